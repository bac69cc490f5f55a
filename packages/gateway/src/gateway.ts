import { randomUUID } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import type {
  AuditEventInput,
  EffectiveServer,
  FeatureKind,
  SpaceStore,
  StoreChange,
} from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { resolveServerConfig } from '@mcpmux/vault';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  McpError,
  ReadResourceRequestSchema,
  ResultSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { AuditBuffer } from './internal/audit.js';
import {
  type ChangePlan,
  type ClientFacts,
  planSessions,
  planStoreChange,
  sessionSpace,
} from './internal/change-plan.js';
import { createObserve, type Observe } from './internal/core/observe.js';
import { page } from './internal/core/paging.js';
import { catalogToDiscovered } from './internal/discovered.js';
import { errorCode, messageOf, toRpcError, unknownError } from './internal/errors.js';
import {
  parseSubscriptionKey,
  parseUpstreamKey,
  parseViewKey,
  type SubscriptionKey,
  subscriptionKey,
  type UpstreamKey,
  upstreamKey,
  type ViewKey,
  viewKey,
} from './internal/keys.js';
import { type GatewayLogger, silentLogger } from './internal/logger.js';
import { matchMethod } from './internal/request-schema.js';
import { DownstreamSession, LOG_LEVELS, severity } from './internal/session.js';
import { type RequestSpan, startRequestSpan } from './internal/tracing.js';
import { createUpstreamPool, type UpstreamPoolHandle } from './internal/upstream/pool.js';
import type {
  DownstreamOrigin,
  RpcMessage,
  Upstream,
  UpstreamCallOptions,
  UpstreamCatalog,
  UpstreamServerConfig,
  UpstreamStatus,
} from './internal/upstream/types.js';
import {
  buildView,
  type Route,
  resourceRoute,
  type SpaceReport,
  spaceNaming,
  templateRouteByTemplate,
  type View,
} from './internal/view.js';
import type { GatewayObserver, SessionObservation } from './observer.js';

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
  kind: 'resource-clash' | 'prefix-ignored' | 'upstream-failed';
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
  connect(transport: Transport, auth: { clientId: string }): Promise<GatewaySession>;
  /** Upstream states, sessions and reports. */
  status(): GatewayStatus;
  /** Closes every session and upstream and flushes the audit log; afterwards no child process is left. */
  close(): Promise<void>;
}

interface SpaceState {
  servers: EffectiveServer[] | undefined;
  loading: Promise<EffectiveServer[]> | undefined;
  sessions: Set<DownstreamSession>;
  /** Most verbose level any session of the Space asked for (undefined: none asked). */
  logLevel: number | undefined;
  reports: SpaceReport[];
}

const NOT_DISCOVERABLE = new Set(['circuit-open', 'closed']);
const NEEDS_CONNECT = new Set(['idle', 'connecting', 'closed']);

type AnyRequestSchema =
  | typeof ListToolsRequestSchema
  | typeof ListPromptsRequestSchema
  | typeof ListResourcesRequestSchema
  | typeof ListResourceTemplatesRequestSchema
  | typeof GetPromptRequestSchema
  | typeof ReadResourceRequestSchema
  | typeof SubscribeRequestSchema
  | typeof UnsubscribeRequestSchema
  | typeof CompleteRequestSchema
  | typeof SetLevelRequestSchema;

/** What the gateway uses of the SDK's request-handler context. */
interface HandlerExtra {
  signal: AbortSignal;
  requestId: string | number;
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification: (notification: never) => Promise<void>;
}

interface AuditedOperation {
  method: 'tools/call' | 'prompts/get' | 'resources/read';
  kind: FeatureKind;
}
const TOOL_CALL: AuditedOperation = { method: 'tools/call', kind: 'tool' };
const PROMPT_GET: AuditedOperation = { method: 'prompts/get', kind: 'prompt' };
const RESOURCE_READ: AuditedOperation = { method: 'resources/read', kind: 'resource' };

function rejectMapped(err: unknown): never {
  throw toRpcError(err);
}

function definedOnly<T extends object>(value: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}

/** Copies request params for the upstream: a new `name`, and the downstream's progress token removed. */
function forwardParams(
  params: Record<string, unknown>,
  name: string | undefined,
  key: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  if (name !== undefined) out[key] = name;
  const meta = params._meta as Record<string, unknown> | undefined;
  if (meta !== undefined && 'progressToken' in meta) {
    const { progressToken: _drop, ...rest } = meta;
    if (Object.keys(rest).length === 0) delete out._meta;
    else out._meta = rest;
  }
  return out;
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

class GatewayCore implements Gateway {
  private readonly store: SpaceStore;
  private readonly vault: Vault;
  private readonly env: Record<string, string | undefined>;
  private readonly logger: GatewayLogger;
  private readonly pageSize: number;
  private readonly connectTimeoutMs: number;
  private readonly debounceMs: number;
  private readonly now: () => number;
  private readonly serverInfo: { name: string; version: string };
  private readonly pool: UpstreamPoolHandle;
  private readonly audit: AuditBuffer;
  private readonly sessions = new Map<string, DownstreamSession>();
  private readonly spaces = new Map<string, SpaceState>();
  /** (client, Space) -> memoized view computation. */
  private readonly views = new Map<ViewKey, Promise<View>>();
  /** Bumped on every invalidation; a view computed across a bump is recomputed. */
  private generation = 0;
  /** Bumped on every invalidation caused by a store change: a view computed across one is never served. */
  private policyGeneration = 0;
  /** (Space, server, URI) -> sessions subscribed to that upstream resource. */
  private readonly subscribers = new Map<SubscriptionKey, Set<DownstreamSession>>();
  private readonly failures = new Map<UpstreamKey, GatewayReport>();
  private readonly dirty = new Set<DownstreamSession>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Running list_changed checks, one per session (a slow one delays no other). */
  private readonly refreshes = new Map<DownstreamSession, Promise<void>>();
  /** The session part of store changes (store reads only, never upstream I/O), in order. */
  private changes: Promise<void> = Promise.resolve();
  /** Running upstream syncs, one per Space, and the Spaces that want another one. */
  private readonly syncs = new Map<string, Promise<void>>();
  private readonly syncWanted = new Set<string>();
  /** Resolves when `close` starts: waits for upstreams end there. */
  private readonly closing: Promise<void>;
  private markClosing: () => void = () => undefined;
  private unwatch: (() => void) | undefined;
  private activeSpaceId: string | undefined;
  private starting: Promise<void> | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;
  private readonly watchIntervalMs: number | undefined;
  private readonly observe: Observe;

  constructor(options: GatewayOptions) {
    this.store = options.store;
    this.vault = options.vault;
    this.env = options.env ?? {};
    this.logger = options.logger ?? silentLogger;
    this.pageSize = options.pageSize ?? 500;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.debounceMs = options.listChangedDebounceMs ?? 25;
    this.now = options.now ?? Date.now;
    this.serverInfo = options.serverInfo ?? { name: 'mcpmux', version: '0.1.0' };
    this.watchIntervalMs = options.watchIntervalMs;
    this.observe = createObserve(options.observer ?? {}, this.logger);
    this.closing = new Promise<void>((resolve) => {
      this.markClosing = resolve;
    });
    this.audit = new AuditBuffer(this.store, this.logger, options.auditFlushMs ?? 1_000);
    this.pool = createUpstreamPool({
      resolveConfig: async (spaceId: string, server: UpstreamServerConfig) => {
        const { config, secretValues } = await resolveServerConfig(server.transport, {
          vault: this.vault,
          spaceId,
          serverId: server.serverId,
          defaultEnabled: server.defaultEnabled,
          env: this.env,
        });
        return { config: { ...server, transport: config }, secretValues };
      },
      callTimeoutMs: options.callTimeoutMs ?? 60_000,
      connectTimeoutMs: this.connectTimeoutMs,
      idleMs: options.idleUpstreamMs ?? 600_000,
      ...(options.backoff === undefined ? {} : { backoff: definedOnly(options.backoff) }),
      ...(options.env === undefined ? {} : { baseEnv: options.env }),
      ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
      logger: this.logger,
      clientInfo: this.serverInfo,
      onServerRequest: (upstream, request, origin, signal) =>
        this.relayServerRequest(upstream, request, origin, signal),
      events: {
        catalogChanged: (upstream) => this.onCatalogChanged(upstream),
        stateChanged: (upstream, previous) => this.onStateChanged(upstream, previous),
        notification: (upstream, message) => this.onUpstreamNotification(upstream, message),
      },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new McpmuxError('FORBIDDEN', 'The gateway is closed.'));
    this.starting ??= this.ensureReady().then(() =>
      this.activeSpaceId === undefined ? undefined : this.warm(this.activeSpaceId),
    );
    return this.starting;
  }

  /** Subscribes to store changes and reads the active Space, once. Never waits for upstreams. */
  private ensureReady(): Promise<void> {
    this.ready ??= (async () => {
      this.unwatch = this.store.watch(
        (change) => this.onStoreChange(change),
        this.watchIntervalMs === undefined ? undefined : { intervalMs: this.watchIntervalMs },
      );
      this.activeSpaceId = (await this.store.getActiveSpace())?.id;
    })();
    return this.ready;
  }

  async connect(transport: Transport, auth: { clientId: string }): Promise<GatewaySession> {
    if (this.closed) throw new McpmuxError('FORBIDDEN', 'The gateway is closed.');
    // A session never waits for upstreams to connect: its first list request does (bounded).
    await this.ensureReady();
    const client = await this.store.getClient(auth.clientId);
    if (client === undefined) {
      throw new McpmuxError('UNAUTHORIZED', `Client "${auth.clientId}" does not exist.`, {
        data: { entity: 'client', id: auth.clientId },
      });
    }
    const spaceId = sessionSpace(client.mode, client.pinnedSpaceId, this.activeSpaceId);
    const server = new Server(this.serverInfo, {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        logging: {},
        completions: {},
      },
    });
    const session = new DownstreamSession(
      randomUUID(),
      client.id,
      server,
      spaceId ?? '',
      client.mode,
      client.pinnedSpaceId,
    );
    this.registerHandlers(session);
    server.onclose = () => this.dropSession(session);
    server.oninitialized = () => {
      if (session.closed || session.initialized) return;
      session.initialized = true;
      this.observe('sessionOpened', this.sessionEvent(session));
    };
    this.sessions.set(session.id, session);
    this.spaceState(session.spaceId).sessions.add(session);
    try {
      await server.connect(transport);
    } catch (err) {
      this.dropSession(session);
      throw err;
    }
    // The negotiated revision, as the SDK's server picks it (it keeps no getter for it).
    const receive = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const m = message as { method?: unknown; params?: { protocolVersion?: unknown } };
      if (m.method === 'initialize') {
        const requested = m.params?.protocolVersion;
        session.protocolVersion =
          typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
            ? requested
            : LATEST_PROTOCOL_VERSION;
      }
      receive?.call(transport, message, extra);
    };
    if (session.spaceId !== '') void this.warm(session.spaceId);
    return {
      clientId: session.clientId,
      id: session.id,
      close: async () => {
        await server.close();
        this.dropSession(session);
      },
    };
  }

  status(): GatewayStatus {
    const sessionsBySpace: Record<string, number> = {};
    for (const s of this.sessions.values())
      sessionsBySpace[s.spaceId] = (sessionsBySpace[s.spaceId] ?? 0) + 1;
    const reports: GatewayReport[] = [];
    for (const state of this.spaces.values()) {
      reports.push(...state.reports);
    }
    reports.push(...this.failures.values());
    return {
      started: this.ready !== undefined && !this.closed,
      activeSpaceId: this.activeSpaceId,
      sessions: this.sessions.size,
      sessionsBySpace,
      subscriptions: this.subscribers.size,
      upstreams: this.pool.status(),
      inFlight: this.pool.inFlightCount(),
      reports,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markClosing();
    this.unwatch?.();
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    const closing: Promise<void>[] = [];
    for (const s of [...this.sessions.values()]) closing.push(s.server.close().catch(() => undefined));
    await Promise.all(closing);
    for (const s of [...this.sessions.values()]) this.dropSession(s);
    await this.changes.catch(() => undefined);
    await Promise.all([...this.refreshes.values(), ...this.syncs.values()]);
    await this.pool.close();
    await this.audit.flush();
  }

  // ------------------------------------------------------------------------------------------
  // Spaces, upstream readiness and views

  private spaceState(spaceId: string): SpaceState {
    let state = this.spaces.get(spaceId);
    if (state === undefined) {
      state = {
        servers: undefined,
        loading: undefined,
        sessions: new Set(),
        logLevel: undefined,
        reports: [],
      };
      this.spaces.set(spaceId, state);
    }
    return state;
  }

  private serversOf(spaceId: string): Promise<EffectiveServer[]> {
    const state = this.spaceState(spaceId);
    if (state.servers !== undefined) return Promise.resolve(state.servers);
    if (state.loading === undefined) {
      const loading = this.store.effectiveServers(spaceId).then(
        (servers) => {
          if (state.loading === loading) {
            state.servers = servers;
            state.loading = undefined;
          }
          return servers;
        },
        (err: unknown) => {
          if (state.loading === loading) state.loading = undefined;
          throw err;
        },
      );
      state.loading = loading;
    }
    return state.loading;
  }

  /**
   * Starts connecting every server of the Space that is not connected yet (those `only` accepts, when
   * given); resolves once all of them are ready or failed.
   */
  private async connectSpace(spaceId: string, only?: (server: EffectiveServer) => boolean): Promise<void> {
    if (this.closed) return;
    let servers: EffectiveServer[];
    try {
      servers = await this.serversOf(spaceId);
    } catch (err) {
      this.logger.warn({ spaceId, error: messageOf(err) }, 'gateway: could not load the servers of a Space');
      return;
    }
    const pending: Promise<unknown>[] = [];
    for (const server of servers) {
      if (only !== undefined && !only(server)) continue;
      const upstream = this.pool.get(spaceId, server.serverId);
      if (upstream !== undefined && !NEEDS_CONNECT.has(upstream.state)) continue;
      pending.push(this.acquire(spaceId, server).catch(() => undefined));
    }
    await Promise.all(pending);
  }

  /** {@link connectSpace}, waiting at most the connect timeout (and not past `close`). */
  private async warm(spaceId: string, only?: (server: EffectiveServer) => boolean): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.connectTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.connectSpace(spaceId, only), timeout, this.closing]);
    clearTimeout(timer);
  }

  private async acquire(spaceId: string, server: EffectiveServer): Promise<Upstream> {
    const key = upstreamKey(spaceId, server.serverId);
    try {
      const upstream = await this.pool.acquire(spaceId, server as UpstreamServerConfig);
      this.failures.delete(key);
      return upstream;
    } catch (err) {
      const message = `Server "${server.serverId}" in Space "${spaceId}" is unavailable: ${messageOf(err)}`;
      if (this.failures.get(key)?.message !== message) this.logger.warn({}, `gateway: ${message}`);
      this.failures.set(key, { spaceId, kind: 'upstream-failed', message });
      throw err;
    }
  }

  private catalogsOf(spaceId: string, servers: readonly EffectiveServer[]): Map<string, UpstreamCatalog> {
    const catalogs = new Map<string, UpstreamCatalog>();
    for (const server of servers) {
      const upstream = this.pool.get(spaceId, server.serverId);
      if (upstream === undefined || upstream.catalog === undefined || NOT_DISCOVERABLE.has(upstream.state))
        continue;
      catalogs.set(server.serverId, upstream.catalog);
    }
    return catalogs;
  }

  /** Builds a view from the upstreams connected now; never waits for one (starts those that are not). */
  private async computeView(clientId: string, spaceId: string): Promise<View> {
    void this.connectSpace(spaceId);
    const servers = await this.serversOf(spaceId);
    const ctx = await this.store.loadPolicyContext(clientId, spaceId);
    const catalogs = this.catalogsOf(spaceId, servers);
    const naming = spaceNaming(spaceId, servers, catalogs);
    this.noteReports(spaceId, naming.reports);
    return buildView(
      {
        clientId,
        spaceId,
        servers,
        catalogs,
        featureSets: ctx?.featureSets ?? [],
        grants: ctx?.grants ?? [],
      },
      naming,
    );
  }

  private noteReports(spaceId: string, reports: SpaceReport[]): void {
    const state = this.spaceState(spaceId);
    const before = new Set(state.reports.map((r) => r.message));
    for (const r of reports) if (!before.has(r.message)) this.logger.warn({}, `gateway: ${r.message}`);
    state.reports = reports;
  }

  /**
   * The session's current view: memoized per (client, Space), recomputed after invalidation. Calls
   * (`purpose` 'call') never wait for upstreams; a list, and a list_changed check ('refresh'), wait for
   * the Space's upstreams (bounded by the connect timeout) when the session was not yet served a list
   * in that Space, so its first list there is complete. A view computed across a store change is
   * never served: the policy generation must not move while it is computed.
   */
  private async viewOf(
    session: DownstreamSession,
    purpose: 'call' | 'list' | 'refresh' = 'call',
  ): Promise<View> {
    for (let attempt = 0; ; attempt++) {
      const spaceId = session.spaceId;
      if (spaceId === '') return this.emptyView(session);
      if (purpose !== 'call' && session.listedSpaceId !== spaceId) {
        await this.warm(spaceId);
        if (session.spaceId !== spaceId) continue;
      }
      const generation = this.generation;
      const policyGeneration = this.policyGeneration;
      const key = viewKey(session.clientId, spaceId);
      let pending = this.views.get(key);
      if (pending === undefined) {
        pending = this.computeView(session.clientId, spaceId);
        const stored = pending;
        this.views.set(key, stored);
        stored.catch(() => {
          if (this.views.get(key) === stored) this.views.delete(key);
        });
      }
      const view = await pending;
      if (session.spaceId !== spaceId || policyGeneration !== this.policyGeneration) continue;
      // Upstream catalog churn alone may outpace recomputation: after a few tries serve this view
      // (its policy is current), without memoizing it on the session.
      const current = generation === this.generation;
      if (current || attempt >= 3) {
        if (current && !session.closed) session.view = view;
        if (!session.closed) session.shown ??= view.fingerprints;
        if (purpose === 'list') session.listedSpaceId = spaceId;
        return view;
      }
    }
  }

  private emptyView(session: DownstreamSession): View {
    return buildView(
      {
        clientId: session.clientId,
        spaceId: '',
        servers: [],
        catalogs: new Map(),
        featureSets: [],
        grants: [],
      },
      spaceNaming('', [], new Map()),
    );
  }

  /**
   * Drops memoized views (of the given Spaces, or all) and schedules list_changed checks for their
   * sessions. Synchronous: the next request of any affected session recomputes its view. `policy`
   * marks invalidations caused by store changes (see {@link viewOf}).
   */
  private invalidate(spaceIds: 'all' | readonly string[], policy = false): void {
    this.generation++;
    if (policy) this.policyGeneration++;
    const spaces = spaceIds === 'all' ? undefined : new Set(spaceIds);
    if (spaces === undefined) {
      this.views.clear();
    } else {
      for (const key of this.views.keys()) {
        if (spaces.has(parseViewKey(key).spaceId)) this.views.delete(key);
      }
    }
    for (const s of this.sessions.values()) {
      if (spaces !== undefined && !spaces.has(s.spaceId)) continue;
      s.view = undefined;
      this.dirty.add(s);
    }
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined || this.closed) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      for (const s of [...this.dirty]) this.refreshSession(s);
    }, this.debounceMs);
    this.refreshTimer.unref();
  }

  /** Runs list_changed checks of one session until it is no longer dirty; at most one at a time. */
  private refreshSession(s: DownstreamSession): void {
    if (this.refreshes.has(s) || !this.dirty.has(s) || this.closed) return;
    const run = async (): Promise<void> => {
      for (;;) {
        // Checked and cleared in one step, so a session made dirty meanwhile is never lost.
        if (!this.dirty.delete(s) || this.closed) {
          this.refreshes.delete(s);
          return;
        }
        try {
          await this.refresh(s);
        } catch (err) {
          this.logger.warn({ error: messageOf(err) }, 'gateway: could not refresh a session view');
        }
      }
    };
    this.refreshes.set(s, run());
  }

  /** Recomputes a session's view and sends list_changed for each kind whose fingerprint moved. */
  private async refresh(s: DownstreamSession): Promise<void> {
    if (s.closed || s.shown === undefined) return;
    const view = await this.viewOf(s, 'refresh');
    if (s.closed) return;
    const shown = s.shown;
    s.shown = view.fingerprints;
    const sends: Promise<void>[] = [];
    const changed = (kind: 'tools' | 'prompts' | 'resources', send: () => Promise<void>) => {
      sends.push(send());
      this.observe('listChanged', { sessionId: s.id, clientId: s.clientId, kind });
    };
    if (shown.tools !== view.fingerprints.tools) changed('tools', () => s.server.sendToolListChanged());
    if (shown.prompts !== view.fingerprints.prompts)
      changed('prompts', () => s.server.sendPromptListChanged());
    if (shown.resources !== view.fingerprints.resources)
      changed('resources', () => s.server.sendResourceListChanged());
    await Promise.all(sends).catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------
  // Store and upstream events

  /**
   * Applies a store change (decide, then do): the plan is made from the change alone; views are
   * dropped at once (synchronously, before the store's write even returns to an in-process writer);
   * the session part (active Space, client modes, moves) follows after a few store reads, in change
   * order; upstream syncing runs per Space in the background. Nothing here waits for an upstream,
   * and a failing step never keeps views from being dropped.
   */
  private onStoreChange(change: StoreChange): void {
    if (this.closed) return;
    let plan: ChangePlan | undefined;
    let failed = false;
    try {
      plan = planStoreChange(change, [...this.spaces.keys()]);
      if (plan === undefined) return;
      // Views built after this point must re-read the changed Spaces' servers.
      for (const spaceId of plan.syncSpaces) this.forgetServers(spaceId);
    } catch (err) {
      failed = true;
      this.logger.error({ error: messageOf(err) }, 'gateway: store change failed');
    } finally {
      // No plan and no failure: nothing any session sees has changed.
      if (plan !== undefined || failed) this.invalidate(plan?.invalidate ?? 'all', true);
    }
    if (plan === undefined) return;
    const p = plan;
    if (p.readActiveSpace || p.readClients) {
      this.changes = this.changes
        .then(() => this.applySessionChanges(p))
        .catch((err: unknown) =>
          this.logger.error({ error: messageOf(err) }, 'gateway: store change failed'),
        );
    }
    for (const spaceId of p.syncSpaces) this.requestSync(spaceId);
  }

  /** Drops the cached server list of a Space (an effective-servers load under way is ignored). */
  private forgetServers(spaceId: string): void {
    const state = this.spaces.get(spaceId);
    if (state === undefined) return;
    state.servers = undefined;
    state.loading = undefined;
  }

  /**
   * The session part of a store change: reads the active Space and the clients with open sessions,
   * then moves, re-modes and closes sessions as {@link planSessions} decides. A failed read leaves
   * that part as it was; views are dropped again at the end whatever happened.
   */
  private async applySessionChanges(plan: ChangePlan): Promise<void> {
    if (this.closed) return;
    try {
      let active = this.activeSpaceId;
      if (plan.readActiveSpace) {
        try {
          active = (await this.store.getActiveSpace())?.id;
        } catch (err) {
          this.logger.error({ error: messageOf(err) }, 'gateway: could not read the active Space');
        }
      }
      const clients = plan.readClients ? await this.readClients() : undefined;
      if (this.closed) return;
      if (active !== this.activeSpaceId) {
        this.observe('activeSpaceChanged', { from: this.activeSpaceId, to: active });
        this.activeSpaceId = active;
        if (active !== undefined) void this.warm(active);
      }
      const decided = planSessions([...this.sessions.values()], active, clients);
      for (const id of decided.close) {
        const s = this.sessions.get(id);
        if (s === undefined) continue;
        this.dropSession(s);
        s.server.close().catch(() => undefined);
      }
      for (const m of decided.modes) {
        const s = this.sessions.get(m.sessionId);
        if (s === undefined) continue;
        s.mode = m.mode;
        s.pinnedSpaceId = m.pinnedSpaceId;
      }
      for (const m of decided.moves) {
        const s = this.sessions.get(m.sessionId);
        if (s !== undefined) this.moveSession(s, m.spaceId);
      }
    } finally {
      this.invalidate(plan.invalidate, true);
    }
  }

  /** The clients of open sessions as stored now (undefined: deleted); a failed read is left out. */
  private async readClients(): Promise<Map<string, ClientFacts | undefined>> {
    const ids = new Set([...this.sessions.values()].map((s) => s.clientId));
    const clients = new Map<string, ClientFacts | undefined>();
    await Promise.all(
      [...ids].map(async (id) => {
        try {
          const client = await this.store.getClient(id);
          clients.set(
            id,
            client === undefined ? undefined : { mode: client.mode, pinnedSpaceId: client.pinnedSpaceId },
          );
        } catch (err) {
          this.logger.warn({ clientId: id, error: messageOf(err) }, 'gateway: could not read a client');
        }
      }),
    );
    return clients;
  }

  /**
   * Syncs a Space's upstreams with its servers (closes removed or reconfigured ones, reconnects)
   * in the background; at most one sync per Space runs, and one more follows when asked meanwhile.
   */
  private requestSync(spaceId: string): void {
    this.syncWanted.add(spaceId);
    if (this.syncs.has(spaceId) || this.closed) return;
    const run = async (): Promise<void> => {
      for (;;) {
        if (!this.syncWanted.delete(spaceId) || this.closed) {
          this.syncs.delete(spaceId);
          return;
        }
        try {
          await this.syncSpace(spaceId);
        } catch (err) {
          this.logger.warn(
            { spaceId, error: messageOf(err) },
            'gateway: could not sync the upstreams of a Space',
          );
        }
      }
    };
    this.syncs.set(spaceId, run());
  }

  private async syncSpace(spaceId: string): Promise<void> {
    const state = this.spaces.get(spaceId);
    if (state === undefined) return;
    let servers: EffectiveServer[];
    try {
      servers = await this.serversOf(spaceId);
    } catch {
      servers = [];
    }
    await this.pool.sync(spaceId, servers as UpstreamServerConfig[]);
    for (const key of this.failures.keys()) {
      if (parseUpstreamKey(key).spaceId === spaceId) this.failures.delete(key);
    }
    if (state.sessions.size > 0 || spaceId === this.activeSpaceId) void this.warm(spaceId);
  }

  private moveSession(s: DownstreamSession, spaceId: string): void {
    const from = s.spaceId;
    this.releaseSubscriptions(s);
    this.spaces.get(from)?.sessions.delete(s);
    s.spaceId = spaceId;
    s.view = undefined;
    this.spaceState(spaceId).sessions.add(s);
    this.updateLogLevel(from);
    this.updateLogLevel(spaceId);
    if (spaceId !== '') void this.warm(spaceId);
  }

  private isCurrent(upstream: Upstream): boolean {
    return this.pool.get(upstream.spaceId, upstream.serverId) === upstream;
  }

  private onCatalogChanged(upstream: Upstream): void {
    if (this.closed || !this.isCurrent(upstream)) return;
    const catalog = upstream.catalog;
    if (catalog !== undefined) {
      const features = catalogToDiscovered(upstream.serverId, catalog);
      this.store.replaceDiscovered(upstream.spaceId, upstream.serverId, features).catch((err: unknown) => {
        this.logger.warn(
          {
            spaceId: upstream.spaceId,
            serverId: upstream.serverId,
            error: messageOf(err),
          },
          'gateway: could not store discovered features',
        );
      });
      const level = this.spaces.get(upstream.spaceId)?.logLevel;
      if (level !== undefined && catalog.capabilities.logging !== undefined) {
        upstream
          .request({ method: 'logging/setLevel', params: { level: LOG_LEVELS[level] as LoggingLevel } })
          .catch(() => undefined);
      }
    }
    this.invalidate([upstream.spaceId]);
  }

  private onStateChanged(upstream: Upstream, previous: string): void {
    if (this.closed) return;
    const state = upstream.state;
    const lastError = upstream.lastError;
    this.observe('upstreamState', {
      spaceId: upstream.spaceId,
      serverId: upstream.serverId,
      previous,
      state,
      restarts: upstream.restarts,
      ...(lastError === undefined ? {} : { lastError }),
    });
    if (NOT_DISCOVERABLE.has(state) && !NOT_DISCOVERABLE.has(previous)) {
      if (state === 'circuit-open' && this.isCurrent(upstream)) {
        this.store.markServerUnavailable(upstream.spaceId, upstream.serverId).catch(() => undefined);
      }
      this.dropUpstreamSubscriptions(upstream);
      this.invalidate([upstream.spaceId]);
    }
  }

  private onUpstreamNotification(upstream: Upstream, message: RpcMessage): void {
    const params = message.params ?? {};
    if (message.method === 'notifications/message') {
      const level = severity(params.level);
      const state = this.spaces.get(upstream.spaceId);
      if (state === undefined) return;
      for (const s of state.sessions) {
        if (s.logLevel !== undefined && level < s.logLevel) continue;
        if (s.view === undefined || !s.view.visibleServers.has(upstream.serverId)) continue;
        s.server.notification({ method: message.method, params }).catch(() => undefined);
      }
    } else if (message.method === 'notifications/resources/updated') {
      const key = subscriptionKey(upstream.spaceId, upstream.serverId, String(params.uri));
      const subscribed = this.subscribers.get(key);
      if (subscribed === undefined) return;
      for (const s of subscribed)
        s.server.notification({ method: message.method, params }).catch(() => undefined);
    }
  }

  /**
   * Answers an upstream's sampling, elicitation or roots request by asking the session whose call
   * caused it, and nobody else. Fails closed (an error to the upstream, no client asked) when that
   * session cannot be known (no call, or calls of several sessions, in flight on the upstream), has
   * closed or left the upstream's Space, or did not declare the capability the method needs.
   */
  private async relayServerRequest(
    upstream: Upstream,
    request: RpcMessage,
    origin: DownstreamOrigin | undefined,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (origin === undefined) {
      throw new McpError(
        ErrorCode.InternalError,
        `mcpmux cannot tell which client this ${request.method} request is for: it arrived outside a call, or while calls of several clients were in flight on server "${upstream.serverId}", so no client was asked. Send it while handling the call it serves; a call that failed this way can be retried.`,
      );
    }
    const target = this.sessions.get(origin.sessionId);
    if (
      target === undefined ||
      target.closed ||
      target.spaceId !== upstream.spaceId ||
      !target.canAnswer(request.method)
    ) {
      throw new McpError(
        ErrorCode.MethodNotFound,
        `The client whose call led to this ${request.method} request cannot answer it (it did not declare the capability, or its session ended or moved to another Space); no other client was asked.`,
      );
    }
    const message =
      request.params === undefined
        ? { method: request.method }
        : { method: request.method, params: request.params };
    return target.server.request(message as never, ResultSchema, { signal });
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  private dropSession(session: DownstreamSession): void {
    if (session.closed) return;
    session.closed = true;
    if (session.initialized) this.observe('sessionClosed', this.sessionEvent(session));
    this.releaseSubscriptions(session);
    this.sessions.delete(session.id);
    this.dirty.delete(session);
    const state = this.spaces.get(session.spaceId);
    if (state !== undefined) {
      state.sessions.delete(session);
      if (session.logLevel !== undefined) this.updateLogLevel(session.spaceId);
    }
    session.view = undefined;
  }

  private releaseSubscriptions(session: DownstreamSession): void {
    for (const key of session.subscriptions) {
      const set = this.subscribers.get(key);
      if (set === undefined) continue;
      set.delete(session);
      if (set.size === 0) {
        this.subscribers.delete(key);
        const { spaceId, serverId, uri } = parseSubscriptionKey(key);
        const upstream = this.pool.get(spaceId, serverId);
        if (upstream?.state === 'ready' && upstream.catalog?.capabilities.resources?.subscribe === true) {
          upstream.request({ method: 'resources/unsubscribe', params: { uri } }).catch(() => undefined);
        }
      }
    }
    session.subscriptions.clear();
  }

  private dropUpstreamSubscriptions(upstream: Upstream): void {
    for (const [key, set] of this.subscribers) {
      const { spaceId, serverId } = parseSubscriptionKey(key);
      if (spaceId !== upstream.spaceId || serverId !== upstream.serverId) continue;
      for (const s of set) s.subscriptions.delete(key);
      this.subscribers.delete(key);
    }
  }

  private updateLogLevel(spaceId: string): void {
    const state = this.spaces.get(spaceId);
    if (state === undefined || spaceId === '') return;
    let level: number | undefined;
    for (const s of state.sessions) {
      if (s.logLevel !== undefined && (level === undefined || s.logLevel < level)) level = s.logLevel;
    }
    if (level === state.logLevel) return;
    state.logLevel = level;
    if (level === undefined) return;
    for (const server of state.servers ?? []) {
      const upstream = this.pool.get(spaceId, server.serverId);
      if (upstream?.state !== 'ready' || upstream.catalog?.capabilities.logging === undefined) continue;
      upstream
        .request({ method: 'logging/setLevel', params: { level: LOG_LEVELS[level] as LoggingLevel } })
        .catch(() => undefined);
    }
  }

  /** The connected upstream for a route; connects lazily, fails with the server's state otherwise. */
  private async upstreamFor(spaceId: string, route: Route): Promise<Upstream> {
    const upstream = this.pool.get(spaceId, route.serverId);
    if (upstream !== undefined && !NEEDS_CONNECT.has(upstream.state)) return upstream;
    return this.acquire(spaceId, route.server);
  }

  private async forward(
    session: DownstreamSession,
    spaceId: string,
    route: Route,
    message: RpcMessage,
    extra: HandlerExtra,
    span?: RequestSpan,
  ): Promise<Record<string, unknown>> {
    const upstream = await this.upstreamFor(spaceId, route);
    const options: UpstreamCallOptions = { signal: extra.signal, origin: session.origin };
    if (span !== undefined) options.traceContext = span.context;
    const progressToken = extra._meta?.progressToken;
    if (progressToken !== undefined) {
      options.onProgress = (p) => {
        extra
          .sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } } as never)
          .catch(() => undefined);
      };
    }
    return upstream.request(message, options);
  }

  /**
   * The route of a feature missing from the session's view that a server not connected yet could
   * offer: waits (bounded) for just those servers, then looks again. Undefined at once when no such
   * server exists, so a denied feature is answered without waiting for any upstream. A tool or prompt
   * can only come from the server whose `<alias>_` starts its exposed name (or an unprefixed one);
   * this only decides whether waiting can help, routing still goes through the view's table.
   */
  private async routeOnceConnected(
    s: DownstreamSession,
    kind: FeatureKind,
    name: string,
  ): Promise<Route | undefined> {
    const spaceId = s.spaceId;
    if (spaceId === '') return undefined;
    let servers: EffectiveServer[];
    try {
      servers = await this.serversOf(spaceId);
    } catch {
      return undefined;
    }
    const { prefixOf } = spaceNaming(spaceId, servers, new Map());
    const couldOffer = (server: EffectiveServer): boolean => {
      const upstream = this.pool.get(spaceId, server.serverId);
      const connecting =
        upstream === undefined || (upstream.catalog === undefined && NEEDS_CONNECT.has(upstream.state));
      if (!connecting) return false;
      return (
        kind === 'resource' || prefixOf.get(server.serverId) === false || name.startsWith(`${server.alias}_`)
      );
    };
    if (!servers.some(couldOffer)) return undefined;
    await this.warm(spaceId, couldOffer);
    if (s.closed || s.spaceId !== spaceId) return undefined;
    const view = await this.viewOf(s);
    if (kind === 'tool') return view.toolRoutes.get(name);
    if (kind === 'prompt') return view.promptRoutes.get(name);
    return resourceRoute(view, name);
  }

  /**
   * Forwards one call/get/read along its route (or answers "Unknown ..." when there is none: denied
   * and nonexistent look the same) and queues its audit record.
   */
  private async audited(
    s: DownstreamSession,
    op: AuditedOperation,
    name: string,
    route: Route | undefined,
    params: Record<string, unknown>,
    extra: HandlerExtra,
  ): Promise<Record<string, unknown>> {
    const started = performance.now();
    const spaceId = s.spaceId;
    // A resource URI may carry values (template parameters): it names no span.
    const span = startRequestSpan(op.method, op.kind === 'resource' ? undefined : name, params._meta, {
      clientId: s.clientId,
      spaceId,
    });
    route ??= await this.routeOnceConnected(s, op.kind, name);
    if (route === undefined) {
      const error = unknownError(op.kind, name);
      this.record(s, spaceId, op.method, op.kind, name, undefined, started, error, extra.requestId);
      span.end({ serverId: undefined, outcome: 'error', decision: 'deny' }, error);
      throw error;
    }
    try {
      const forwarded = forwardParams(params, op.kind === 'resource' ? undefined : route.name, 'name');
      const message = { method: op.method, params: forwarded };
      const result = await this.forward(s, spaceId, route, message, extra, span);
      this.record(s, spaceId, op.method, op.kind, name, route, started, undefined, extra.requestId);
      span.end({ serverId: route.serverId, outcome: 'ok', decision: 'allow' });
      return result;
    } catch (err) {
      this.record(s, spaceId, op.method, op.kind, name, route, started, err, extra.requestId);
      const outcome = errorCode(err) === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
      span.end({ serverId: route.serverId, outcome, decision: 'allow' }, err);
      throw err;
    }
  }

  private sessionEvent(s: DownstreamSession): SessionObservation {
    return {
      sessionId: s.id,
      clientId: s.clientId,
      spaceId: s.spaceId,
      protocolVersion: s.protocolVersion,
    };
  }

  private record(
    session: DownstreamSession,
    spaceId: string,
    action: string,
    kind: FeatureKind,
    name: string,
    route: Route | undefined,
    started: number,
    err: unknown,
    requestId: string | number,
  ): void {
    const decision = route === undefined ? 'deny' : 'allow';
    const outcome = err === undefined ? 'ok' : errorCode(err) === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
    const durationMs = Math.max(0, performance.now() - started);
    const event: AuditEventInput = {
      at: new Date(this.now()),
      action,
      clientId: session.clientId,
      decision,
      outcome,
      durationMs,
    };
    if (spaceId !== '') event.spaceId = spaceId;
    if (route !== undefined) event.feature = { kind, server: route.serverId, name: route.name };
    else event.detail = { requested: { kind, name } };
    if (err !== undefined) event.detail = { ...(event.detail ?? {}), errorCode: errorCode(err) };
    this.audit.push(event);
    this.observe('call', {
      method: action,
      kind,
      name,
      clientId: session.clientId,
      sessionId: session.id,
      requestId,
      spaceId: spaceId === '' ? undefined : spaceId,
      serverId: route?.serverId,
      decision,
      outcome,
      ...(err === undefined ? {} : { errorCode: errorCode(err) }),
      durationMs,
    });
  }

  private registerHandlers(s: DownstreamSession): void {
    const server = s.server;
    // Every handler: parse the params (the SDK only matches the method, so
    // that invalid params map to -32602 here), map any error through the one mapping function.
    const on = <P>(
      schema: AnyRequestSchema,
      fn: (request: { params: P }, extra: HandlerExtra) => Promise<Record<string, unknown>>,
    ): void => {
      const handler = async (raw: unknown, extra: HandlerExtra) => {
        try {
          return await fn(schema.parse(raw) as unknown as { params: P }, extra);
        } catch (err) {
          throw toRpcError(err);
        }
      };
      server.setRequestHandler(matchMethod(schema) as typeof ListToolsRequestSchema, handler as never);
    };

    // The four lists: served from the memoized view, in pages.
    const lists = [
      [ListToolsRequestSchema, 'tools', 'tools/list', (v: View): readonly unknown[] => v.tools],
      [ListPromptsRequestSchema, 'prompts', 'prompts/list', (v: View): readonly unknown[] => v.prompts],
      [
        ListResourcesRequestSchema,
        'resources',
        'resources/list',
        (v: View): readonly unknown[] => v.resources,
      ],
      [
        ListResourceTemplatesRequestSchema,
        'resourceTemplates',
        'resources/templates/list',
        (v: View): readonly unknown[] => v.templates,
      ],
    ] as const;
    for (const [schema, key, method, items] of lists) {
      on(schema, async (r: { params: { cursor?: string; _meta?: unknown } | undefined }) => {
        const span = startRequestSpan(method, undefined, r.params?._meta, {
          clientId: s.clientId,
          spaceId: s.spaceId,
        });
        try {
          const result = page(items(await this.viewOf(s, 'list')), r.params?.cursor, key, this.pageSize);
          span.end({ serverId: undefined, outcome: 'ok' });
          return result;
        } catch (err) {
          span.end({ serverId: undefined, outcome: 'error' }, err);
          throw err;
        }
      });
    }

    // tools/call: installed through the base Protocol so the SDK does not re-validate (and strip)
    // the upstream's result; results pass through untouched. Hot path: one map lookup + request.
    Protocol.prototype.setRequestHandler.call(
      server,
      matchMethod(CallToolRequestSchema),
      async (raw: unknown, extra: HandlerExtra) => {
        const parsed = CallToolRequestSchema.safeParse(raw);
        if (!parsed.success) rejectMapped(parsed.error);
        const request = parsed.data as { params: Record<string, unknown> & { name: string } };
        const view = s.view ?? (await this.viewOf(s).catch(rejectMapped));
        const name = request.params.name;
        return this.audited(s, TOOL_CALL, name, view.toolRoutes.get(name), request.params, extra).catch(
          rejectMapped,
        );
      },
    );

    on(
      GetPromptRequestSchema,
      async (request: { params: Record<string, unknown> & { name: string } }, extra) => {
        const view = s.view ?? (await this.viewOf(s));
        const name = request.params.name;
        return this.audited(s, PROMPT_GET, name, view.promptRoutes.get(name), request.params, extra);
      },
    );

    on(
      ReadResourceRequestSchema,
      async (request: { params: Record<string, unknown> & { uri: string } }, extra) => {
        const view = s.view ?? (await this.viewOf(s));
        const uri = request.params.uri;
        return this.audited(s, RESOURCE_READ, uri, resourceRoute(view, uri), request.params, extra);
      },
    );

    on(SubscribeRequestSchema, async (request: { params: { uri: string } }) => {
      const spaceId = s.spaceId;
      const view = s.view ?? (await this.viewOf(s));
      const uri = request.params.uri;
      const route = resourceRoute(view, uri);
      if (route === undefined) throw unknownError('resource', uri);
      const key = subscriptionKey(spaceId, route.serverId, uri);
      if (s.subscriptions.has(key)) return {};
      let set = this.subscribers.get(key);
      if (set === undefined) {
        const upstream = await this.upstreamFor(spaceId, route);
        if (upstream.catalog?.capabilities.resources?.subscribe === true) {
          await upstream.request({ method: 'resources/subscribe', params: { uri } }, { origin: s.origin });
        }
        set = this.subscribers.get(key);
        if (set === undefined) {
          set = new Set();
          this.subscribers.set(key, set);
        }
      }
      if (s.closed || s.spaceId !== spaceId) return {};
      set.add(s);
      s.subscriptions.add(key);
      return {};
    });

    on(UnsubscribeRequestSchema, async (request: { params: { uri: string } }) => {
      const uri = request.params.uri;
      for (const key of s.subscriptions) {
        const held = parseSubscriptionKey(key);
        if (held.uri !== uri || held.spaceId !== s.spaceId) continue;
        const set = this.subscribers.get(key);
        s.subscriptions.delete(key);
        if (set === undefined) continue;
        set.delete(s);
        if (set.size === 0) {
          this.subscribers.delete(key);
          const upstream = this.pool.get(s.spaceId, held.serverId);
          if (upstream?.state === 'ready' && upstream.catalog?.capabilities.resources?.subscribe === true) {
            await upstream.request({ method: 'resources/unsubscribe', params: { uri } });
          }
        }
      }
      return {};
    });

    on(
      CompleteRequestSchema,
      async (
        request: { params: Record<string, unknown> & { ref: Record<string, unknown> } },
        extra: HandlerExtra,
      ) => {
        const spaceId = s.spaceId;
        const view = s.view ?? (await this.viewOf(s));
        const ref = request.params.ref;
        let route: Route | undefined;
        let forwardedRef: Record<string, unknown>;
        if (ref.type === 'ref/prompt') {
          route = view.promptRoutes.get(String(ref.name));
          if (route === undefined) throw unknownError('prompt', String(ref.name));
          forwardedRef = { ...ref, name: route.name };
        } else {
          route = templateRouteByTemplate(view, String(ref.uri));
          if (route === undefined) throw unknownError('resource', String(ref.uri));
          forwardedRef = ref;
        }
        const upstream = await this.upstreamFor(spaceId, route);
        if (upstream.catalog?.capabilities.completions === undefined) {
          return { completion: { values: [], hasMore: false } };
        }
        return this.forward(
          s,
          spaceId,
          route,
          {
            method: 'completion/complete',
            params: { ...forwardParams(request.params, undefined, 'ref'), ref: forwardedRef },
          },
          extra,
        );
      },
    );

    on(SetLevelRequestSchema, async (request: { params: { level: LoggingLevel } }) => {
      s.logLevel = severity(request.params.level);
      this.updateLogLevel(s.spaceId);
      return {};
    });

    server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      for (const server of this.spaces.get(s.spaceId)?.servers ?? []) {
        const upstream = this.pool.get(s.spaceId, server.serverId);
        if (upstream?.state === 'ready') {
          await upstream.notify({ method: 'notifications/roots/list_changed' }).catch(() => undefined);
        }
      }
    });
  }
}

/** The protocol revision the gateway speaks by default (older revisions are negotiated by the SDK). */
export const GATEWAY_PROTOCOL_VERSION = LATEST_PROTOCOL_VERSION;
