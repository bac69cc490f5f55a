import { randomUUID } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { resolveServerConfig } from '@mcpmux/vault';
import {
  LATEST_PROTOCOL_VERSION,
  Server,
  type ServerCapabilities,
  type Transport,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { AuditBuffer } from './internal/audit.js';
import { sessionSpace } from './internal/change-plan.js';
import { Calls } from './internal/core/calls.js';
import { createRequestHandlers, type RequestHandlers, registerHandlers } from './internal/core/handlers.js';
import { createObserve, type Observe } from './internal/core/observe.js';
import { relayServerRequest } from './internal/core/relay.js';
import { SessionRegistry, sessionEvent } from './internal/core/sessions.js';
import { SpaceRegistry } from './internal/core/spaces.js';
import { StoreSync } from './internal/core/store-sync.js';
import { Subscriptions } from './internal/core/subscriptions.js';
import { createUpstreamEvents } from './internal/core/upstream-events.js';
import { ViewRegistry } from './internal/core/views.js';
import { checkedTransport } from './internal/downstream/checked-transport.js';
import { LIST_CACHE_HINTS, MODERN_CAPABILITIES, ModernHttp } from './internal/downstream/modern-http.js';
import { type GatewayLogger, silentLogger } from './internal/logger.js';
import { DownstreamSession, serverOutlet } from './internal/session.js';
import { createUpstreamPool, type UpstreamPoolHandle } from './internal/upstream/pool.js';
import type { UpstreamServerConfig, UpstreamStatus } from './internal/upstream/types.js';
import type { GatewayObserver } from './observer.js';

/** Backoff of upstream restarts after a crash. */
export interface GatewayBackoffOptions {
  /** First restart delay in ms. Default 250. */
  initialMs?: number;
  /** Longest restart delay in ms. Default 30,000. */
  maxMs?: number;
  /** Growth of the delay per consecutive failure. Default 2. */
  factor?: number;
  /** The circuit opens after this many crashes within `windowMs`. Default 5. */
  maxCrashes?: number;
  /** Default 60,000 ms. */
  windowMs?: number;
}

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** Spaces, servers, FeatureSets, clients, grants, discovery cache and audit log. */
  store: SpaceStore;
  /** Credentials; read only when an upstream connects (`${secret:NAME}`). */
  vault: Vault;
  /** Values for `${env:NAME}` references. Default `{}` (libraries never read `process.env`). */
  env?: Record<string, string | undefined>;
  /** Where the gateway reports what it does. Default: discards everything. */
  logger?: GatewayLogger;
  /** Per-call timeout for upstream requests in ms (a server's `timeoutSeconds` wins). Default 60,000. */
  callTimeoutMs?: number;
  /** How long a connect (spawn + initialize + discovery) may take in ms. Default 30,000. */
  connectTimeoutMs?: number;
  /** Close upstreams that served no request for this long, in ms. Default 600,000 (10 min). */
  idleUpstreamMs?: number;
  /** Directory for per-server stderr logs (secrets redacted). Default: none. */
  logDir?: string;
  /** Items per page of every list the gateway serves. Default 500. */
  pageSize?: number;
  /** Audit events are appended to the store in batches at most this often, in ms. Default 1,000. */
  auditFlushMs?: number;
  /** Bursts of changes within this many ms produce one list_changed per kind. Default 25. */
  listChangedDebounceMs?: number;
  /** How often the store is polled for other processes' writes, in ms. Default: the store's. */
  watchIntervalMs?: number;
  /** Restart backoff of crashed upstreams. Default: the pool's. */
  backoff?: GatewayBackoffOptions;
  /** Name and version the gateway announces to clients and upstreams. Default `mcpmux` / `0.1.0`. */
  serverInfo?: { name: string; version: string };
  /** Milliseconds clock for audit timestamps. Default `Date.now`. */
  now?: () => number;
  /** Receives call, session, list_changed, Space and upstream events (metrics, logs). Default none. */
  observer?: GatewayObserver;
}

/** Options of {@link Gateway.fetch}. */
export interface GatewayFetchOptions {
  /** The request's JSON body when the caller has parsed it already (it is not read again). */
  parsedBody?: unknown;
}

/** Options of {@link Gateway.connect}. */
export interface GatewayConnectOptions {
  /**
   * The protocol eras the connection may speak. `'any'` (default): its opening message picks
   * (`initialize`: 2025, a `_meta` envelope: 2026-07-28), as on stdio and the gateway socket.
   * `'legacy'`: 2025 only, for a channel that is a 2025 session by construction (an HTTP session,
   * whose 2026 requests go to {@link Gateway.fetch}); it skips the era detection.
   */
  eras?: 'any' | 'legacy';
}

/** One served downstream session. */
export interface GatewaySession {
  /** The client this session acts for. */
  readonly clientId: string;
  /** The gateway's id of the session (not the transport's). */
  readonly id: string;
  /** Closes the session (and its transport). */
  close(): Promise<void>;
}

/** A problem the gateway reports without failing (resource clash, ignored prefix opt-out, failed upstream). */
export interface GatewayReport {
  spaceId: string;
  kind: 'resource-clash' | 'prefix-ignored' | 'meta-tool-clash' | 'upstream-failed';
  message: string;
}

/** What the gateway is doing; safe to show (no secrets, no resolved configs). */
export interface GatewayStatus {
  started: boolean;
  activeSpaceId: string | undefined;
  /** Open downstream sessions. */
  sessions: number;
  /** Sessions per Space. */
  sessionsBySpace: Record<string, number>;
  /** Upstream resource subscriptions held for sessions. */
  subscriptions: number;
  upstreams: UpstreamStatus[];
  /** Requests forwarded upstream and not answered yet. */
  inFlight: number;
  reports: GatewayReport[];
}

/** The gateway: serves downstream MCP sessions over any SDK transport in front of pooled upstreams. */
export interface Gateway {
  /** Subscribes to store changes and warms the active Space (bounded by the connect timeout). */
  start(): Promise<void>;
  /**
   * Serves one downstream MCP session for `clientId` over `transport` (subscribing to the store
   * first if `start` was not called). Returns once the transport is connected; upstreams of the
   * session's Space connect in the background and its first list request waits for them (bounded by
   * `connectTimeoutMs`).
   * @throws `UNAUTHORIZED` when the client does not exist; `FORBIDDEN` after `close`.
   */
  connect(
    transport: Transport,
    auth: { clientId: string },
    options?: GatewayConnectOptions,
  ): Promise<GatewaySession>;
  /**
   * Serves one MCP 2026-07-28 HTTP exchange for `clientId` (a POST whose JSON-RPC message carries the
   * per-request `_meta` envelope; no session): its Space and policy are resolved for this request,
   * and the answer is JSON or an SSE stream (progress, `subscriptions/listen`). The caller has
   * authenticated the client and checked Host/Origin.
   * @throws `UNAUTHORIZED` when the client does not exist; `FORBIDDEN` after `close`.
   */
  fetch(request: Request, auth: { clientId: string }, options?: GatewayFetchOptions): Promise<Response>;
  /** Upstream states, sessions and reports. */
  status(): GatewayStatus;
  /**
   * Restarts one upstream of a Space: closes its connections whatever their state (this also
   * closes an open circuit and forgets the crash count), then connects it again in the background
   * when the Space has sessions or is the active one. A server not running there is a no-op.
   */
  restartUpstream(spaceId: string, serverId: string): Promise<void>;
  /** Closes every session and upstream and flushes the audit log; afterwards no child process is left. */
  close(): Promise<void>;
}

/**
 * Creates the gateway core: one MCP endpoint in front of the upstream servers installed in each
 * Space, showing each client only what its FeatureSets allow (DESIGN §6). Transport-agnostic: the
 * HTTP server and the stdio bridge pass each downstream connection to {@link Gateway.connect}.
 *
 * @param options - see {@link GatewayOptions}; `store` and `vault` are required.
 * @returns a {@link Gateway}; call `start()` once, then `connect()` per downstream session.
 * @example
 * ```ts
 * const gateway = createGateway({ store, vault, env: process.env });
 * await gateway.start();
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await gateway.connect(serverSide, { clientId: 'cursor' });
 * // ... a Client on clientSide lists and calls `<alias>_<tool>` ...
 * await gateway.close();
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  return new GatewayCore(options);
}

function definedOnly<T extends object>(value: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}

/**
 * Wires the parts of the core (see `internal/core/`): the Space registry, the view memo, sessions,
 * subscriptions, the store-change applier, the pool's event handlers, the relay and the request
 * handlers; and owns the lifecycle.
 */
class GatewayCore implements Gateway {
  private readonly store: SpaceStore;
  private readonly serverInfo: { name: string; version: string };
  private readonly watchIntervalMs: number | undefined;
  private readonly observe: Observe;
  private readonly audit: AuditBuffer;
  private readonly pool: UpstreamPoolHandle;
  private readonly spaces: SpaceRegistry;
  private readonly views: ViewRegistry;
  private readonly subscriptions: Subscriptions;
  private readonly sessions: SessionRegistry;
  private readonly storeSync: StoreSync;
  private readonly handlers: RequestHandlers;
  private readonly modernHttp: ModernHttp;
  private readonly logger: GatewayLogger;
  /** Resolves when `close` starts: waits for upstreams end there. */
  private readonly closing: Promise<void>;
  private markClosing: () => void = () => undefined;
  private unwatch: (() => void) | undefined;
  private starting: Promise<void> | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;

  constructor(options: GatewayOptions) {
    const store = options.store;
    const logger = options.logger ?? silentLogger;
    this.logger = logger;
    const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    const isClosed = (): boolean => this.closed;
    const pool = (): UpstreamPoolHandle => this.pool;
    this.store = store;
    this.serverInfo = options.serverInfo ?? { name: 'mcpmux', version: '0.1.0' };
    this.watchIntervalMs = options.watchIntervalMs;
    this.observe = createObserve(options.observer ?? {}, logger);
    this.closing = new Promise<void>((resolve) => {
      this.markClosing = resolve;
    });
    this.audit = new AuditBuffer(store, logger, options.auditFlushMs ?? 1_000);
    this.spaces = new SpaceRegistry({
      store,
      pool,
      logger,
      connectTimeoutMs,
      closing: this.closing,
      isClosed,
    });
    this.views = new ViewRegistry({
      store,
      spaces: this.spaces,
      holders: () => this.sessions.values(),
      debounceMs: options.listChangedDebounceMs ?? 25,
      logger,
      observe: this.observe,
      isClosed,
    });
    this.subscriptions = new Subscriptions(pool, this.spaces);
    this.sessions = new SessionRegistry({
      spaces: this.spaces,
      views: this.views,
      subscriptions: this.subscriptions,
      pool,
      observe: this.observe,
    });
    this.storeSync = new StoreSync({
      store,
      spaces: this.spaces,
      views: this.views,
      sessions: this.sessions,
      logger,
      observe: this.observe,
      isClosed,
    });
    const calls = new Calls({
      spaces: this.spaces,
      pool,
      audit: this.audit,
      now: options.now ?? Date.now,
      observe: this.observe,
    });
    this.handlers = createRequestHandlers({
      calls,
      spaces: this.spaces,
      subscriptions: this.subscriptions,
      pool,
      updateLogLevel: (spaceId) => this.sessions.updateLogLevel(spaceId),
      pageSize: options.pageSize ?? 500,
    });
    this.modernHttp = new ModernHttp({
      store,
      spaces: this.spaces,
      sessions: this.sessions,
      views: this.views,
      handlers: this.handlers,
      serverInfo: this.serverInfo,
      logger,
    });
    const vault: Vault = options.vault;
    const env = options.env ?? {};
    this.pool = createUpstreamPool({
      resolveConfig: async (spaceId: string, server: UpstreamServerConfig) => {
        const { config, secretValues } = await resolveServerConfig(server.transport, {
          vault,
          spaceId,
          serverId: server.serverId,
          defaultEnabled: server.defaultEnabled,
          env,
        });
        return { config: { ...server, transport: config }, secretValues };
      },
      oauthVault: vault,
      callTimeoutMs: options.callTimeoutMs ?? 60_000,
      connectTimeoutMs,
      idleMs: options.idleUpstreamMs ?? 600_000,
      ...(options.backoff === undefined ? {} : { backoff: definedOnly(options.backoff) }),
      ...(options.env === undefined ? {} : { baseEnv: options.env }),
      ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
      logger,
      clientInfo: this.serverInfo,
      onServerRequest: (upstream, request, origin, signal) =>
        relayServerRequest((o) => this.sessions.get(o.sessionId), upstream, request, origin, signal),
      events: createUpstreamEvents({
        store,
        pool,
        spaces: this.spaces,
        views: this.views,
        subscriptions: this.subscriptions,
        logger,
        observe: this.observe,
        isClosed,
      }),
    });
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new McpmuxError('FORBIDDEN', 'The gateway is closed.'));
    this.starting ??= this.ensureReady().then(() => {
      const active = this.spaces.activeSpaceId;
      return active === undefined ? undefined : this.spaces.warm(active);
    });
    return this.starting;
  }

  /** Subscribes to store changes and reads the active Space, once. Never waits for upstreams. */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      this.unwatch = this.store.watch(
        (change) => this.storeSync.apply(change),
        this.watchIntervalMs === undefined ? undefined : { intervalMs: this.watchIntervalMs },
      );
      this.spaces.activeSpaceId = (await this.store.getActiveSpace())?.id;
    })();
    return this.ready;
  }

  async connect(
    transport: Transport,
    auth: { clientId: string },
    options: GatewayConnectOptions = {},
  ): Promise<GatewaySession> {
    if (this.closed) throw new McpmuxError('FORBIDDEN', 'The gateway is closed.');
    // A session never waits for upstreams to connect: its first list request does (bounded).
    await this.ensureReady();
    const client = await this.store.getClient(auth.clientId);
    if (client === undefined) {
      throw new McpmuxError('UNAUTHORIZED', `Client "${auth.clientId}" does not exist.`, {
        data: { entity: 'client', id: auth.clientId },
      });
    }
    const spaceId = sessionSpace(client.mode, client.pinnedSpaceId, this.spaces.activeSpaceId);
    const session = new DownstreamSession(
      randomUUID(),
      client.id,
      spaceId ?? '',
      client.mode,
      client.pinnedSpaceId,
      (s, purpose) => this.views.viewOf(s, purpose),
    );
    const opened = (): void => {
      if (session.closed || session.initialized) return;
      session.initialized = true;
      this.observe('sessionOpened', sessionEvent(session));
    };
    this.sessions.add(session);
    let current: Server | undefined;
    const serverFor = (era: 'legacy' | 'modern'): Server => {
      const server = new Server(this.serverInfo, {
        capabilities: era === 'legacy' ? LEGACY_CAPABILITIES : MODERN_CAPABILITIES,
        cacheHints: LIST_CACHE_HINTS,
      });
      current = server;
      session.outlet = serverOutlet(server);
      registerHandlers(server, session, this.handlers, era === 'legacy' ? session : undefined);
      server.onclose = () => {
        if (current === server) this.sessions.drop(session);
      };
      if (era === 'legacy') {
        server.oninitialized = () => {
          session.protocolVersion = server.getNegotiatedProtocolVersion();
          opened();
        };
      } else {
        session.protocolVersion = MODERN_PROTOCOL_VERSION;
        opened();
      }
      return server;
    };
    const checked = checkedTransport(transport, () => this.sessions.drop(session));
    let close: () => Promise<void>;
    if (options.eras === 'legacy') {
      // A 2025-era channel (an HTTP session): one server, connected directly.
      const server = serverFor('legacy');
      try {
        await server.connect(checked);
      } catch (err) {
        this.sessions.drop(session);
        throw err;
      }
      close = () => server.close();
    } else {
      // The opening message picks the era (`initialize`: 2025, a `_meta` envelope: 2026-07-28) and
      // one server is pinned for the connection (a `server/discover` probe may get its own first).
      const handle = serveStdio(({ era }) => serverFor(era), {
        transport: checked,
        onerror: (error) => this.logger.debug({ err: error.message }, 'gateway: downstream connection error'),
      });
      close = () => handle.close();
    }
    if (session.spaceId !== '') void this.spaces.warm(session.spaceId);
    return {
      clientId: session.clientId,
      id: session.id,
      close: async () => {
        await close();
        this.sessions.drop(session);
      },
    };
  }

  fetch(request: Request, auth: { clientId: string }, options: GatewayFetchOptions = {}): Promise<Response> {
    if (this.closed) return Promise.reject(new McpmuxError('FORBIDDEN', 'The gateway is closed.'));
    return this.ensureReady().then(() => this.modernHttp.fetch(request, auth.clientId, options.parsedBody));
  }

  async restartUpstream(spaceId: string, serverId: string): Promise<void> {
    await this.pool.reset(spaceId, serverId);
    if (this.closed) return;
    if (spaceId === this.spaces.activeSpaceId || (this.sessions.countBySpace()[spaceId] ?? 0) > 0) {
      void this.spaces.warm(spaceId, (server) => server.serverId === serverId);
    }
  }

  status(): GatewayStatus {
    return {
      started: this.ready !== undefined && !this.closed,
      activeSpaceId: this.spaces.activeSpaceId,
      sessions: this.sessions.size,
      sessionsBySpace: this.sessions.countBySpace(),
      subscriptions: this.subscriptions.size,
      upstreams: this.pool.status(),
      inFlight: this.pool.inFlightCount(),
      reports: this.spaces.reports(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markClosing();
    this.unwatch?.();
    await this.modernHttp.close();
    await Promise.all([...this.sessions.values()].map((s) => s.outlet.close().catch(() => undefined)));
    for (const s of [...this.sessions.values()]) this.sessions.drop(s);
    await this.storeSync.close();
    await Promise.all([this.views.close(), this.spaces.close()]);
    await this.pool.close();
    await this.audit.flush();
  }
}

/** The newest 2025-era revision the gateway speaks (older ones are negotiated by the SDK). */
export const GATEWAY_PROTOCOL_VERSION = LATEST_PROTOCOL_VERSION;

/** The per-request revision the gateway also serves (no handshake, no session). */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** What a 2025-era session of the gateway offers. */
const LEGACY_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true, subscribe: true },
  logging: {},
  completions: {},
};
