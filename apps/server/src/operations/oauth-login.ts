import { checkSlug, McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { requireServer, targetSpace } from './lookup.js';

/** Where a sign-in lives: one server in one Space (default: the active one). */
export interface OAuthLoginTarget {
  serverId: string;
  spaceId?: string;
}

/** Options of {@link loginUpstream}. */
export interface LoginUpstreamOptions {
  /** Receives the authorization URL to open in the browser or print (it carries no secret). */
  onAuthorizationUrl: (url: URL) => void | Promise<void>;
  /** How long to wait for the browser. Default 300 000 ms. */
  timeoutMs?: number;
  /** Environment for `${env:NAME}` references in the server's headers. Default none. */
  env?: Record<string, string | undefined>;
  /** Cancels the wait for the browser (the console's sign-in, when a newer one starts). */
  signal?: AbortSignal;
}

/** What `mcpmux login` reports. */
export interface LoginUpstreamResult {
  serverId: string;
  spaceId: string;
  /** The name the server gave in `initialize`, when it said one. */
  serverName: string | undefined;
  /** True when the server answered without a sign-in (nothing stored). */
  notRequired: boolean;
}

/** Whether a server is signed in in a Space, for `server show` (never a token). */
export interface OAuthStatus {
  signedIn: boolean;
  /** True when a sign-in was stored but its tokens were refused: run `mcpmux login` again. */
  expired: boolean;
  /** Ms since the epoch. */
  signedInAt?: number;
  /** When the current access token expires (ms since the epoch), when the server said. */
  expiresAt?: number;
  /** True when a refresh token is stored (the gateway refreshes before expiry). */
  refreshable: boolean;
}

/**
 * Signs in to an OAuth-protected HTTP server for a Space (`mcpmux login SERVER [--space S]`):
 * discovery, client registration, PKCE and a loopback redirect, tokens stored in the vault.
 *
 * @throws `NOT_FOUND` for an unknown server or Space or a server not installed there;
 *   `INVALID_INPUT` for a server that is not Streamable HTTP; `UNAUTHORIZED` when sign-in fails.
 */
export async function loginUpstream(
  store: SpaceStore,
  vault: Vault,
  target: OAuthLoginTarget,
  options: LoginUpstreamOptions,
): Promise<LoginUpstreamResult> {
  checkSlug(target.serverId, 'server id');
  await requireServer(store, target.serverId);
  const space = await targetSpace(store, target.spaceId);
  const effective = (await store.effectiveServers(space.id)).find((e) => e.serverId === target.serverId);
  if (effective === undefined) {
    throw new McpmuxError(
      'NOT_FOUND',
      `Server "${target.serverId}" is not enabled in Space ${space.id}: run \`mcpmux server enable ${target.serverId} --space ${space.id}\` first.`,
      { data: { entity: 'server', id: target.serverId } },
    );
  }
  if (effective.transport.type !== 'http') {
    throw new McpmuxError(
      'INVALID_INPUT',
      `Server "${target.serverId}" is not a Streamable HTTP server (${effective.transport.type}): OAuth sign-in is for hosted HTTP servers.`,
      { data: { field: 'server' } },
    );
  }
  const { resolveServerConfig } = await import('@mcpmux/vault');
  const { config } = await resolveServerConfig(effective.transport, {
    vault,
    spaceId: space.id,
    serverId: target.serverId,
    defaultEnabled: effective.defaultEnabled,
    env: options.env ?? {},
  });
  if (config.type !== 'http') throw new McpmuxError('INTERNAL', 'The resolved transport changed type.');
  // The gateway (and its SDK) load only when someone signs in: the operations stay light.
  const { signInUpstream } = await import('@mcpmux/gateway');
  const result = await signInUpstream({
    vault,
    spaceId: space.id,
    serverId: target.serverId,
    serverUrl: config.url,
    ...(config.headers === undefined ? {} : { headers: config.headers }),
    onAuthorizationUrl: options.onAuthorizationUrl,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { serverId: target.serverId, spaceId: space.id, ...result };
}

/**
 * Removes the stored sign-in of a server in a Space (`mcpmux logout`).
 * @throws `NOT_FOUND` when the server is not signed in there.
 */
export async function logoutUpstream(
  store: SpaceStore,
  vault: Vault,
  target: OAuthLoginTarget,
): Promise<{ serverId: string; spaceId: string }> {
  checkSlug(target.serverId, 'server id');
  const space = await targetSpace(store, target.spaceId);
  const { deleteUpstreamOAuth } = await import('@mcpmux/vault');
  if (!(await deleteUpstreamOAuth(vault, { spaceId: space.id, serverId: target.serverId }))) {
    throw new McpmuxError('NOT_FOUND', `Server "${target.serverId}" is not signed in in Space ${space.id}.`, {
      data: { entity: 'sign-in', id: target.serverId },
    });
  }
  return { serverId: target.serverId, spaceId: space.id };
}

/** Whether `serverId` is signed in in `spaceId` (reads the vault; shows no token). */
export async function oauthStatus(vault: Vault, spaceId: string, serverId: string): Promise<OAuthStatus> {
  const { readUpstreamOAuth } = await import('@mcpmux/vault');
  const record = await readUpstreamOAuth(vault, { spaceId, serverId });
  if (record === undefined) return { signedIn: false, expired: false, refreshable: false };
  return {
    signedIn: record.tokens !== undefined,
    expired: record.tokens === undefined,
    signedInAt: record.signedInAt,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    refreshable: typeof record.tokens?.refresh_token === 'string',
  };
}
