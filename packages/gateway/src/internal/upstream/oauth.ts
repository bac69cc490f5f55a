/**
 * The OAuth client of an upstream HTTP server, backed by the vault: the SDK's
 * `OAuthClientProvider` whose registration, tokens and discovery state live in the encrypted
 * sign-in record of one Space and server (`@mcpmux/vault` `readUpstreamOAuth`). Used twice:
 * by `mcpmux login` (interactive: a loopback redirect) and by the gateway (never interactive:
 * when the tokens cannot be refreshed it reports that the user must sign in again).
 */
import { randomBytes } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import {
  readUpstreamOAuth,
  type SecretScope,
  type UpstreamOAuthRecord,
  type Vault,
  writeUpstreamOAuth,
} from '@mcpmux/vault';
import {
  type AuthorizationServerMetadata,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
  refreshAuthorization,
} from '@modelcontextprotocol/client';

/** Refresh the access token when it expires within this many ms. */
export const REFRESH_MARGIN_MS = 60_000;

/** Options of {@link VaultOAuthProvider}. */
export interface VaultOAuthProviderOptions {
  vault: Vault;
  spaceId: string;
  serverId: string;
  /** The upstream's MCP URL. */
  serverUrl: string;
  /**
   * Interactive sign-in (`mcpmux login`): the loopback redirect URI and what to do with the
   * authorization URL. Absent in the gateway: a needed sign-in fails with {@link signInAgainMessage}.
   */
  interactive?: { redirectUrl: string; onAuthorizationUrl: (url: URL) => void | Promise<void> };
  /** The redirect URI registered by `mcpmux login` (gateway only). */
  registeredRedirectUrl?: string | undefined;
  /** Called (gateway only) when the stored tokens are gone or refused and the user must sign in again. */
  onSignInRequired?: (message: string) => void;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/** What the user must run when a server's sign-in can no longer be refreshed. */
export function signInAgainMessage(serverId: string, spaceId: string): string {
  return `sign in again: mcpmux login ${serverId} --space ${spaceId}`;
}

/**
 * An `OAuthClientProvider` that keeps everything but the PKCE verifier and the `state` in the
 * vault, refreshes the access token before it expires, and (outside `mcpmux login`) never opens a
 * browser.
 */
export class VaultOAuthProvider implements OAuthClientProvider {
  private readonly scope: SecretScope;
  private verifier: string | undefined;
  private refreshing: Promise<void> | undefined;
  /** The `state` sent with the last authorization request (compare it on the callback). */
  lastState: string | undefined;

  constructor(private readonly options: VaultOAuthProviderOptions) {
    this.scope = { spaceId: options.spaceId, serverId: options.serverId };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The sign-in this provider works for (the first one it read); a gateway provider never writes over another. */
  private loginId: string | undefined;

  /**
   * A sign-in being made (`mcpmux login`): its record stays here until the tokens arrive and is
   * written to the vault once, complete. The running gateway is told of every vault write; a half-made
   * record would let it connect in the middle of the sign-in and stay on "sign in again".
   */
  private draft: UpstreamOAuthRecord | undefined;

  private async load(): Promise<UpstreamOAuthRecord | undefined> {
    if (this.draft !== undefined) return this.draft;
    const record = await readUpstreamOAuth(this.options.vault, this.scope);
    if (record !== undefined) this.loginId ??= record.loginId;
    return record;
  }

  /**
   * Read-modify-write of the sign-in record. The gateway's (non-interactive) provider writes only to
   * the sign-in it started with: it never re-creates one that `mcpmux logout`/`login` removed, and
   * never writes over a newer login's record with its own stale view (a login running while the
   * gateway's upstream fails would otherwise lose its tokens).
   */
  private async update(change: (record: UpstreamOAuthRecord) => UpstreamOAuthRecord): Promise<void> {
    const stored = await readUpstreamOAuth(this.options.vault, this.scope);
    if (this.options.interactive === undefined) {
      if (stored === undefined || (this.loginId !== undefined && stored.loginId !== this.loginId)) return;
    }
    const current = stored ?? {
      v: 1 as const,
      loginId: randomBytes(12).toString('base64url'),
      serverUrl: this.options.serverUrl,
      signedInAt: this.now(),
    };
    this.loginId ??= current.loginId;
    const next = change(this.draft ?? current);
    if (this.options.interactive !== undefined && next.tokens === undefined) {
      this.draft = next;
      return;
    }
    this.draft = undefined;
    await writeUpstreamOAuth(this.options.vault, this.scope, next);
  }

  get redirectUrl(): string {
    // The gateway never redirects, but the SDK treats a provider without a redirect URL as a
    // machine-to-machine client: name the one registered at login.
    return (
      this.options.interactive?.redirectUrl ??
      this.options.registeredRedirectUrl ??
      'http://127.0.0.1/callback'
    );
  }

  get clientMetadata(): OAuthClientMetadata {
    const redirect = this.options.interactive?.redirectUrl;
    return {
      client_name: 'mcpmux',
      redirect_uris: redirect === undefined ? [] : [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    } as OAuthClientMetadata;
  }

  state(): string {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    return (await this.load())?.clientInformation as OAuthClientInformationMixed | undefined;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    await this.update((r) => ({ ...r, clientInformation: { ...info } }));
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    let record = await this.load();
    if (
      this.options.interactive === undefined &&
      record?.tokens?.refresh_token !== undefined &&
      record.expiresAt !== undefined &&
      record.expiresAt - this.now() < REFRESH_MARGIN_MS
    ) {
      this.refreshing ??= this.refresh(record).finally(() => {
        this.refreshing = undefined;
      });
      await this.refreshing;
      record = await this.load();
    }
    return record?.tokens as OAuthTokens | undefined;
  }

  /** Refreshes ahead of expiry; a failure is left to the SDK's own 401 handling. */
  private async refresh(record: UpstreamOAuthRecord): Promise<void> {
    const discovery = record.discovery as OAuthDiscoveryState | undefined;
    const client = record.clientInformation as OAuthClientInformationMixed | undefined;
    const refreshToken = record.tokens?.refresh_token;
    if (discovery?.authorizationServerUrl === undefined || client === undefined) return;
    if (typeof refreshToken !== 'string') return;
    const resource = discovery.resourceMetadata?.resource;
    try {
      const tokens = await refreshAuthorization(discovery.authorizationServerUrl, {
        ...(discovery.authorizationServerMetadata === undefined
          ? {}
          : { metadata: discovery.authorizationServerMetadata as AuthorizationServerMetadata }),
        clientInformation: client,
        refreshToken,
        ...(resource === undefined ? {} : { resource: new URL(resource) }),
      });
      await this.saveTokens(tokens);
    } catch {
      // The request goes out with the old token; a 401 makes the SDK refresh or ask for sign-in.
    }
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : undefined;
    await this.update((r) => {
      const previous = r.tokens?.refresh_token;
      const next: UpstreamOAuthRecord = {
        ...r,
        // A refresh response may omit the refresh token: the old one stays valid then.
        tokens: {
          ...tokens,
          ...(tokens.refresh_token === undefined && previous !== undefined
            ? { refresh_token: previous }
            : {}),
        },
      };
      if (expiresIn === undefined) delete next.expiresAt;
      else next.expiresAt = this.now() + expiresIn * 1000;
      return next;
    });
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    const interactive = this.options.interactive;
    if (interactive !== undefined) {
      await interactive.onAuthorizationUrl(url);
      return;
    }
    const message = `Server "${this.options.serverId}" needs a new OAuth sign-in: ${signInAgainMessage(this.options.serverId, this.options.spaceId)}`;
    this.options.onSignInRequired?.(message);
    throw new McpmuxError('UNAUTHORIZED', message, {
      data: { spaceId: this.options.spaceId, serverId: this.options.serverId },
    });
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new McpmuxError('INTERNAL', 'No sign-in is in progress.');
    return this.verifier;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.update((r) => ({ ...r, discovery: { ...state } as Record<string, unknown> }));
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.load())?.discovery as OAuthDiscoveryState | undefined;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier') {
      this.verifier = undefined;
      return;
    }
    if ((await this.load()) === undefined) return;
    await this.update((r) => {
      const next = { ...r };
      if (scope === 'all' || scope === 'tokens') {
        delete next.tokens;
        delete next.expiresAt;
      }
      if (scope === 'all' || scope === 'client') delete next.clientInformation;
      if (scope === 'all' || scope === 'discovery') delete next.discovery;
      return next;
    });
  }
}
