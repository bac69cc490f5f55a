/**
 * The upstream pool: one {@link UpstreamConnection} per (Space, server, hash of the resolved
 * config), shared by every session of that Space.
 */

import { createHash } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import { readUpstreamOAuth, type Vault } from '@mcpmux/vault';
import type { Implementation } from '@modelcontextprotocol/client';
import { type ConnectionKey, connectionKey, type UpstreamKey, upstreamKey } from '../keys.js';
import {
  type BackoffOptions,
  type ConnectionContext,
  UpstreamConnection,
  type UpstreamLogger,
  type UpstreamTimers,
} from './connection.js';
import { pickInheritedEnv } from './inherited-env.js';
import { VaultOAuthProvider } from './oauth.js';
import type {
  ServerRequestHandler,
  Upstream,
  UpstreamPool,
  UpstreamPoolEvents,
  UpstreamServerConfig,
  UpstreamStatus,
} from './types.js';

/** A server config with every `${secret:...}`/`${env:...}` reference replaced, plus the secret values used. */
export interface ResolvedUpstreamConfig {
  config: UpstreamServerConfig;
  /** Every secret value the config contains: redacted from logs and error messages. */
  secretValues: string[];
}

/** Resolves a server's config for a Space (the gateway passes the vault's `resolveServerConfig`). */
export type ResolveUpstreamConfig = (
  spaceId: string,
  server: UpstreamServerConfig,
) => Promise<ResolvedUpstreamConfig>;

export { INHERITED_ENV_NAMES, pickInheritedEnv } from './inherited-env.js';

/** The first redirect URI of a stored client registration, if any. */
function registeredRedirect(info: Record<string, unknown> | undefined): string | undefined {
  const uris = info?.redirect_uris;
  return Array.isArray(uris) && typeof uris[0] === 'string' ? uris[0] : undefined;
}

/** Options of {@link createUpstreamPool}. */
export interface UpstreamPoolOptions {
  /** Resolves secrets and env references of a server for a Space; called on every `acquire` and `sync`. */
  resolveConfig: ResolveUpstreamConfig;
  /** Per-call timeout when the server sets none. Default 60 000 ms. */
  callTimeoutMs?: number;
  /** Limit for spawning + `initialize` (each discovery list call then has `callTimeoutMs`), and for `acquire` waiting on a restart. Default 30 000 ms. */
  connectTimeoutMs?: number;
  /** Upstreams with no request and no `acquire` for this long are closed (reconnected on the next `acquire`). Default 600 000 ms; `Infinity` disables. */
  idleMs?: number;
  /** Restart policy; every field defaults as in {@link BackoffOptions}. */
  backoff?: Partial<BackoffOptions>;
  /** When set, each stdio server's stderr goes to `<logDir>/<spaceId>/<serverId>.log`, secrets redacted. Default: discarded. */
  logDir?: string;
  /** Size cap of one stderr log before it rotates to `.log.1`. Default 1 MiB. */
  logMaxBytes?: number;
  /** SIGTERM-to-SIGKILL grace when stopping a stdio child. Default 2000 ms. */
  killGraceMs?: number;
  /** Pino-like logger. Default: silent. Never receives secret values. */
  logger?: UpstreamLogger;
  /** Answers sampling, elicitation and roots/list requests from upstreams. Default: answered with "method not found". */
  onServerRequest?: ServerRequestHandler;
  /** Pool events for the downstream side. */
  events?: UpstreamPoolEvents;
  /** The client name and version sent upstream in `initialize`. Default `{ name: 'mcpmux', version: '0.0.0' }`. */
  clientInfo?: Implementation;
  /**
   * The environment the allow-listed variables ({@link INHERITED_ENV_NAMES}) of stdio children are
   * taken from. Default: the gateway's `process.env`, read once when the pool is created.
   */
  baseEnv?: Record<string, string | undefined>;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /**
   * The vault holding OAuth sign-ins of HTTP upstreams (`mcpmux login`): a signed-in upstream gets
   * an OAuth client that refreshes its tokens. Default: none (no OAuth).
   */
  oauthVault?: Vault;
  /** Timers. Default the global `setTimeout`/`clearTimeout` (unref'd). */
  timers?: UpstreamTimers;
}

/** The {@link UpstreamPool} plus introspection the gateway and tests use. */
export interface UpstreamPoolHandle extends UpstreamPool {
  /** Requests currently forwarded and unanswered, over all upstreams (for leak checks). */
  inFlightCount(): number;
  /** Pids of live stdio children. */
  pids(): number[];
  /**
   * Closes every upstream of (space, server), whatever its state, so that the next `acquire` starts
   * afresh with a clean crash count: the way out of `circuit-open` short of a config change.
   */
  reset(spaceId: string, serverId: string): Promise<void>;
}

const SILENT: UpstreamLogger = { debug() {}, info() {}, warn() {}, error() {} };

const DEFAULT_TIMERS: UpstreamTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  },
};

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the canonical JSON of a resolved transport config: the part of the key that changes with secrets. */
export function hashResolvedConfig(config: UpstreamServerConfig): string {
  return createHash('sha256').update(canonicalJson(config.transport)).digest('hex');
}

/**
 * Creates the pool of upstream connections.
 *
 * @param options - see {@link UpstreamPoolOptions} for every default.
 * @returns the pool; `acquire` throws `SECRET_MISSING` (from `resolveConfig`) or `UPSTREAM_UNAVAILABLE`.
 * @example
 * ```ts
 * const pool = createUpstreamPool({ resolveConfig: async (_space, server) => ({ config: server, secretValues: [] }) });
 * const upstream = await pool.acquire('work', { serverId: 'echo', defaultEnabled: false, transport: { type: 'stdio', command: 'node', args: ['echo.mjs'] } });
 * const result = await upstream.request({ method: 'tools/call', params: { name: 'echo', arguments: {} } });
 * await pool.close();
 * ```
 */
export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPoolHandle {
  const ctx: ConnectionContext = {
    callTimeoutMs: options.callTimeoutMs ?? 60_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    idleMs: options.idleMs ?? 600_000,
    backoff: {
      initialMs: 250,
      maxMs: 30_000,
      factor: 2,
      maxCrashes: 5,
      windowMs: 60_000,
      ...options.backoff,
    },
    logDir: options.logDir,
    logMaxBytes: options.logMaxBytes ?? 1024 * 1024,
    killGraceMs: options.killGraceMs ?? 2000,
    logger: options.logger ?? SILENT,
    onServerRequest: options.onServerRequest,
    events: options.events ?? {},
    clientInfo: options.clientInfo ?? { name: 'mcpmux', version: '0.0.0' },
    baseEnv: pickInheritedEnv(options.baseEnv ?? process.env),
    now: options.now ?? Date.now,
    timers: options.timers ?? DEFAULT_TIMERS,
  };
  const oauthVault = options.oauthVault;
  if (oauthVault !== undefined) {
    ctx.authProviderFor = async (spaceId, serverId, url, onSignInRequired) => {
      const record = await readUpstreamOAuth(oauthVault, { spaceId, serverId });
      if (record === undefined) return undefined;
      return new VaultOAuthProvider({
        vault: oauthVault,
        spaceId,
        serverId,
        serverUrl: url,
        registeredRedirectUrl: registeredRedirect(record.clientInformation),
        onSignInRequired,
        now: ctx.now,
      });
    };
  }

  /** The sign-in (`mcpmux login`) an HTTP upstream's connection belongs to: a new login, a new connection. */
  const loginIdOf = async (spaceId: string, server: UpstreamServerConfig): Promise<string | undefined> => {
    if (oauthVault === undefined || server.transport.type !== 'http') return undefined;
    return (await readUpstreamOAuth(oauthVault, { spaceId, serverId: server.serverId }))?.loginId;
  };

  /** Every live connection by key. */
  const byKey = new Map<ConnectionKey, UpstreamConnection>();
  /** The newest connection of each (Space, server). */
  const current = new Map<UpstreamKey, UpstreamConnection>();
  let closed = false;

  const remove = async (conn: UpstreamConnection): Promise<void> => {
    // `UpstreamConnection.key` is typed as a plain string; it was built by `keyOf` below.
    byKey.delete(conn.key as ConnectionKey);
    const slot = upstreamKey(conn.spaceId, conn.serverId);
    if (current.get(slot) === conn) current.delete(slot);
    await conn.shutdown('closed');
  };

  const keyOf = (
    spaceId: string,
    serverId: string,
    config: UpstreamServerConfig,
    loginId: string | undefined,
  ): ConnectionKey => {
    const hash = hashResolvedConfig(config);
    return connectionKey(
      spaceId,
      serverId,
      loginId === undefined ? hash : createHash('sha256').update(`${hash}:${loginId}`).digest('hex'),
    );
  };

  return {
    async acquire(spaceId: string, server: UpstreamServerConfig): Promise<Upstream> {
      if (closed) {
        throw new McpmuxError(
          'UPSTREAM_UNAVAILABLE',
          `Server "${server.serverId}" is unavailable (closed): the gateway is shutting down`,
          {
            data: { spaceId, serverId: server.serverId, state: 'closed' },
          },
        );
      }
      const { config, secretValues } = await options.resolveConfig(spaceId, server);
      const key = keyOf(spaceId, server.serverId, config, await loginIdOf(spaceId, config));
      let conn = byKey.get(key);
      if (conn === undefined || conn.state === 'closed') {
        conn = new UpstreamConnection(spaceId, server.serverId, key, config, secretValues, ctx);
        byKey.set(key, conn);
      }
      conn.timeoutSeconds = server.timeoutSeconds ?? config.timeoutSeconds;
      current.set(upstreamKey(spaceId, server.serverId), conn);
      await conn.ensureReady();
      return conn;
    },

    get(spaceId: string, serverId: string): Upstream | undefined {
      return current.get(upstreamKey(spaceId, serverId));
    },

    async sync(spaceId: string, servers: UpstreamServerConfig[]): Promise<void> {
      const wanted = new Map<string, UpstreamServerConfig>();
      for (const s of servers) wanted.set(s.serverId, s);
      const doomed: UpstreamConnection[] = [];
      for (const conn of [...byKey.values()]) {
        if (conn.spaceId !== spaceId) continue;
        const server = wanted.get(conn.serverId);
        if (server === undefined) {
          doomed.push(conn);
          continue;
        }
        let key: ConnectionKey | undefined;
        try {
          const { config } = await options.resolveConfig(spaceId, server);
          key = keyOf(spaceId, server.serverId, config, await loginIdOf(spaceId, config));
        } catch {
          key = undefined; // a secret went missing: the old credentials must not stay in use
        }
        if (key !== conn.key) doomed.push(conn);
        else conn.timeoutSeconds = server.timeoutSeconds;
      }
      await Promise.all(doomed.map(remove));
    },

    async closeSpace(spaceId: string): Promise<void> {
      await Promise.all([...byKey.values()].filter((c) => c.spaceId === spaceId).map(remove));
    },

    status(): UpstreamStatus[] {
      return [...byKey.values()].map((c) => c.status());
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all([...byKey.values()].map(remove));
    },

    async reset(spaceId: string, serverId: string): Promise<void> {
      await Promise.all(
        [...byKey.values()].filter((c) => c.spaceId === spaceId && c.serverId === serverId).map(remove),
      );
    },

    inFlightCount(): number {
      let n = 0;
      for (const c of byKey.values()) n += c.inFlightCount;
      return n;
    },

    pids(): number[] {
      const out: number[] = [];
      for (const c of byKey.values()) {
        const pid = c.pid;
        if (pid !== undefined) out.push(pid);
      }
      return out;
    },
  };
}
