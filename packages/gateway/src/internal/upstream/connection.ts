/**
 * One upstream connection: an SDK `Client` over a stdio, Streamable HTTP or SSE transport, with its
 * state machine (idle -> connecting -> ready -> backoff/circuit-open -> closed), discovery, in-flight
 * tracking, crash handling and idle close. The pool owns instances of this class.
 */
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { createRedactor } from '@mcpmux/vault';
import {
  Client,
  type DiscoverResult,
  type Implementation,
  type JSONRPCMessage,
  type McpSubscription,
  type OAuthClientProvider,
  type ProgressCallback,
  type Prompt,
  ProtocolError,
  type RequestOptions,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  SdkError,
  SdkErrorCode,
  type ServerCapabilities,
  SSEClientTransport,
  type StandardSchemaV1,
  StreamableHTTPClientTransport,
  type Tool,
  type Transport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { paramHeadersFor } from '../param-headers.js';
import { tracedUpstreamRequest } from '../tracing.js';
import { createStderrLog, type Redactor, type StderrLog } from './stderr-log.js';
import { ChildProcessTransport } from './stdio-transport.js';
import type {
  DownstreamOrigin,
  RpcMessage,
  ServerRequestHandler,
  Upstream,
  UpstreamCallOptions,
  UpstreamCatalog,
  UpstreamPoolEvents,
  UpstreamServerConfig,
  UpstreamState,
  UpstreamStatus,
} from './types.js';

/** A pino-like logger: `(obj, msg)`. */
export interface UpstreamLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Timer functions, injectable for tests. */
export interface UpstreamTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Restart policy after a crash. */
export interface BackoffOptions {
  /** First restart delay. Default 250 ms. */
  initialMs: number;
  /** Longest restart delay. Default 30 000 ms. */
  maxMs: number;
  /** Growth of the delay per consecutive failure. Default 2. */
  factor: number;
  /** The circuit opens after this many crashes within `windowMs`. Default 5. */
  maxCrashes: number;
  /** Default 60 000 ms. */
  windowMs: number;
}

/** Everything a connection needs from its pool (options with defaults applied). */
export interface ConnectionContext {
  callTimeoutMs: number;
  connectTimeoutMs: number;
  idleMs: number;
  backoff: BackoffOptions;
  logDir: string | undefined;
  logMaxBytes: number;
  killGraceMs: number;
  logger: UpstreamLogger;
  onServerRequest: ServerRequestHandler | undefined;
  events: UpstreamPoolEvents;
  clientInfo: Implementation;
  baseEnv: Record<string, string>;
  now: () => number;
  timers: UpstreamTimers;
  /**
   * The OAuth client of an HTTP upstream signed in with `mcpmux login` (undefined when it is not);
   * `onSignInRequired` receives the message to show when its tokens can no longer be refreshed.
   */
  authProviderFor?:
    | ((
        spaceId: string,
        serverId: string,
        url: string,
        onSignInRequired: (message: string) => void,
      ) => Promise<OAuthClientProvider | undefined>)
    | undefined;
}

interface InFlight {
  origin: DownstreamOrigin | undefined;
  reject: (error: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

type Kind = 'tools' | 'prompts' | 'resources';

/** A result schema that accepts anything and returns it as is: results pass through untouched. */
const PASSTHROUGH: StandardSchemaV1<unknown, unknown> = {
  '~standard': { version: 1, vendor: 'mcpmux', validate: (value: unknown) => ({ value }) },
};

/**
 * How long a call given up on (cancelled or timed out; the upstream was sent `notifications/cancelled`)
 * still counts as in flight for routing server->client requests: covers a request already on its way
 * when the cancellation arrived. A server that ignores cancellation for longer than this is not covered.
 */
const ABANDONED_GRACE_MS = 5_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** 2025 methods a 2026-07-28 server does not have; see `UpstreamConnection.answerLocally`. */
const ANSWERED_LOCALLY = new Set([
  'resources/subscribe',
  'resources/unsubscribe',
  'logging/setLevel',
  'ping',
]);

function isSdkTimeout(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout;
}

/** The SDK's own "the connection closed under this request" (never an answer of the server). */
function isConnectionClosed(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
}

/**
 * How deep request params may nest before the gateway refuses to forward them: transports
 * serialize with `JSON.stringify`, which recurses and overflows the stack a few thousand levels down.
 */
const MAX_FORWARD_DEPTH = 1000;

/**
 * True when `value` nests objects and arrays more than `limit` levels deep (`{}` is one level).
 * Iterative, so any depth is safe to check; stops at the first path past the limit (a cycle counts
 * as too deep).
 */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const containers: object[] = [value];
  const depths: number[] = [1];
  for (;;) {
    const container = containers.pop();
    const depth = depths.pop();
    if (container === undefined || depth === undefined) return false;
    if (depth > limit) return true;
    const children: unknown[] = Array.isArray(container) ? container : Object.values(container);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

/** Why `value` cannot be sent as JSON, or undefined when it can (only run after a send failed). */
function serializationProblem(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

/**
 * Streamable HTTP to an upstream that writes the `Mcp-Param-*` headers of each `tools/call` from the
 * tool's `x-mcp-header` declarations (MCP 2026-07-28, SEP-2243: a server refuses a call without them;
 * the SDK writes them only in its own `callTool`).
 */
type SendOptions = Parameters<StreamableHTTPClientTransport['send']>[1];

class UpstreamHttpTransport extends StreamableHTTPClientTransport {
  constructor(
    url: URL,
    options: ConstructorParameters<typeof StreamableHTTPClientTransport>[1],
    private readonly schemaOf: (tool: unknown) => unknown,
  ) {
    super(url, options);
  }

  override send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    if ('method' in message && message.method === 'tools/call' && message.params !== undefined) {
      const { name, arguments: args } = message.params as { name?: unknown; arguments?: unknown };
      const headers = paramHeadersFor(this.schemaOf(name), args);
      if (Object.keys(headers).length > 0) {
        return super.send(message, { ...options, headers: { ...options?.headers, ...headers } });
      }
    }
    return super.send(message, options);
  }
}

/** One shared connection to an upstream server; implements the {@link Upstream} contract. */
export class UpstreamConnection implements Upstream {
  readonly spaceId: string;
  readonly serverId: string;
  readonly key: string;
  /** The resolved config (secrets included): never logged, never shown. */
  readonly resolved: UpstreamServerConfig;
  /** Latest call timeout from the server config (updates on every acquire). */
  timeoutSeconds: number | undefined;

  private readonly ctx: ConnectionContext;
  private readonly redact: Redactor;
  /** The secret values `redact` hides: the stderr log needs them to never cut text through one. */
  private readonly secretValues: readonly string[];
  private _state: UpstreamState = 'idle';
  private _catalog: UpstreamCatalog | undefined;
  private _lastError: string | undefined;
  /** Why the last start or connection failed, without the restart/circuit note. */
  private lastReason: string | undefined;
  private restartCount = 0;
  private consecutiveFailures = 0;
  private crashTimes: number[] = [];
  private client: Client | undefined;
  private transport: Transport | undefined;
  private stderrLog: StderrLog | undefined;
  private connectPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private backoffTimer: unknown;
  private idleTimer: unknown;
  private lastActivity: number;
  private generation = 0;
  private readonly inflight = new Map<number, InFlight>();
  /**
   * Origins of calls given up on (cancelled by the client or timed out) that the upstream may still be
   * running, until {@link ABANDONED_GRACE_MS} after (`now()` ms). They count as in flight when deciding
   * whose call caused a server->client request, so a request of an abandoned call is never handed to
   * another session that happens to be calling.
   */
  private readonly abandoned = new Map<number, { origin: DownstreamOrigin; until: number }>();
  private nextCallId = 0;
  private waiters: Waiter[] = [];
  private discoveryRunning = false;
  /** What the last successful connect learned of the server's era; the next connect skips the probe. */
  private verdict: { kind: 'legacy' } | { kind: 'modern'; discover: DiscoverResult } | undefined;
  private _protocolVersion: string | undefined;
  /** 2026-07-28 servers: the open `subscriptions/listen` stream and the resource URIs it asks for. */
  private subscription: McpSubscription | undefined;
  private readonly resourceUris = new Set<string>();
  /** 2026-07-28 servers: the level sent in each request's `_meta` (they have no `logging/setLevel`). */
  private logLevel: string | undefined;
  private readonly pendingKinds = new Set<Kind>();
  /** Set when the upstream's OAuth sign-in can no longer be refreshed: the message to show. */
  private signInRequired: string | undefined;

  constructor(
    spaceId: string,
    serverId: string,
    key: string,
    resolved: UpstreamServerConfig,
    secretValues: string[],
    ctx: ConnectionContext,
  ) {
    this.spaceId = spaceId;
    this.serverId = serverId;
    this.key = key;
    this.resolved = resolved;
    this.timeoutSeconds = resolved.timeoutSeconds;
    this.ctx = ctx;
    this.redact = createRedactor(secretValues);
    this.secretValues = secretValues;
    this.lastActivity = ctx.now();
  }

  get state(): UpstreamState {
    return this._state;
  }

  get catalog(): UpstreamCatalog | undefined {
    return this._catalog;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  get restarts(): number {
    return this.restartCount;
  }

  /** The protocol revision spoken with the server (undefined until connected). */
  get protocolVersion(): string | undefined {
    return this._protocolVersion;
  }

  /** True when the server speaks 2026-07-28 or later (no handshake, no session, no server requests). */
  private get modern(): boolean {
    return this.verdict?.kind === 'modern' && this.client?.getProtocolEra() === 'modern';
  }

  /**
   * 2026-07-28 servers deliver list changes and resource updates only on a `subscriptions/listen`
   * stream: (re)opens it with every kind the server can change and the subscribed resource URIs,
   * then closes the previous one. A no-op for 2025 servers (they notify unasked).
   */
  private async listen(client: Client): Promise<void> {
    if (client.getProtocolEra() !== 'modern') return;
    const caps = client.getServerCapabilities() ?? {};
    const filter = {
      ...(caps.tools?.listChanged === true ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged === true ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged === true ? { resourcesListChanged: true } : {}),
      ...(caps.resources?.subscribe === true && this.resourceUris.size > 0
        ? { resourceSubscriptions: [...this.resourceUris] }
        : {}),
    };
    const previous = this.subscription;
    this.subscription = Object.keys(filter).length === 0 ? undefined : await client.listen(filter);
    await previous?.close().catch(() => undefined);
  }

  /**
   * The 2025 methods a 2026-07-28 server does not have, answered here: resource subscriptions move
   * into the listen stream's filter, the logging level into each request's `_meta`, and `ping` has
   * nothing to ask (the connection is per request).
   */
  private async answerLocally(client: Client, message: RpcMessage): Promise<Record<string, unknown>> {
    const params = message.params ?? {};
    switch (message.method) {
      case 'resources/subscribe':
        this.resourceUris.add(String(params.uri));
        await this.listen(client);
        return {};
      case 'resources/unsubscribe':
        if (this.resourceUris.delete(String(params.uri))) await this.listen(client);
        return {};
      case 'logging/setLevel':
        this.logLevel = typeof params.level === 'string' ? params.level : undefined;
        return {};
      default:
        return {}; // ping
    }
  }

  /**
   * For a 2026-07-28 server, the per-request `_meta` the gateway fills in itself: the logging level
   * (it has no `logging/setLevel`) and the capabilities of the client the request is made for (so it
   * asks for input only the client can give).
   */
  private withRequestMeta(
    message: RpcMessage,
    clientCapabilities: Record<string, unknown> | undefined,
  ): RpcMessage {
    if (!this.modern || (this.logLevel === undefined && clientCapabilities === undefined)) return message;
    const params = message.params ?? {};
    const meta = { ...((params._meta ?? {}) as Record<string, unknown>) };
    if (this.logLevel !== undefined) meta['io.modelcontextprotocol/logLevel'] = this.logLevel;
    if (clientCapabilities !== undefined)
      meta['io.modelcontextprotocol/clientCapabilities'] = clientCapabilities;
    return { ...message, params: { ...params, _meta: meta } };
  }

  /** Number of requests forwarded and not yet settled (for leak checks). */
  get inFlightCount(): number {
    return this.inflight.size;
  }

  /** Pid of the stdio child, when there is one. */
  get pid(): number | undefined {
    return this.transport instanceof ChildProcessTransport ? this.transport.pid : undefined;
  }

  status(): UpstreamStatus {
    const status: UpstreamStatus = {
      spaceId: this.spaceId,
      serverId: this.serverId,
      state: this._state,
      restarts: this.restartCount,
      tools: this._catalog?.tools.length ?? 0,
      prompts: this._catalog?.prompts.length ?? 0,
      resources: this._catalog?.resources.length ?? 0,
    };
    const pid = this.pid;
    if (pid !== undefined && this._state === 'ready') status.pid = pid;
    if (this._protocolVersion !== undefined && this._state === 'ready') {
      status.protocolVersion = this._protocolVersion;
    }
    if (this._lastError !== undefined) status.lastError = this._lastError;
    return status;
  }

  private setState(next: UpstreamState): void {
    const previous = this._state;
    if (previous === next) return;
    this._state = next;
    this.ctx.logger.debug(
      { spaceId: this.spaceId, serverId: this.serverId, previous, state: next },
      'upstream state',
    );
    if (next === 'ready') {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    } else if (next === 'circuit-open' || next === 'closed' || next === 'idle') {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(this.unavailable());
    }
    try {
      this.ctx.events.stateChanged?.(this, previous);
    } catch (error) {
      this.ctx.logger.error({ err: errorMessage(error) }, 'stateChanged listener threw');
    }
  }

  /** The error for a call that cannot reach this upstream now; names the server and its state. */
  unavailable(reason?: string): McpmuxError {
    const detail = reason ?? this._lastError;
    return new McpmuxError(
      'UPSTREAM_UNAVAILABLE',
      `Server "${this.serverId}" is unavailable (${this._state})${detail === undefined ? '' : `: ${detail}`}`,
      {
        data: {
          spaceId: this.spaceId,
          serverId: this.serverId,
          state: this._state,
          ...(this.lastReason === undefined ? {} : { reason: this.lastReason }),
        },
      },
    );
  }

  /** Marks use by a session (keeps the upstream from idling). */
  touch(): void {
    this.lastActivity = this.ctx.now();
  }

  /**
   * Resolves once the upstream is ready: connects when idle, joins a running connect, waits for a
   * scheduled restart up to `connectTimeoutMs`. Throws `UPSTREAM_UNAVAILABLE` otherwise.
   */
  async ensureReady(): Promise<void> {
    this.touch();
    switch (this._state) {
      case 'ready':
        return;
      case 'idle':
        return this.connect();
      case 'connecting':
        return this.connectPromise ?? this.waitReady();
      case 'backoff':
        return this.waitReady();
      default:
        throw this.unavailable();
    }
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      let handle: unknown;
      const waiter: Waiter = {
        resolve: () => {
          this.ctx.timers.clearTimeout(handle);
          resolve();
        },
        reject: (error) => {
          this.ctx.timers.clearTimeout(handle);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      handle = this.ctx.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.unavailable(`not ready within ${formatSeconds(this.ctx.connectTimeoutMs)} s`));
      }, this.ctx.connectTimeoutMs);
    });
  }

  private connect(): Promise<void> {
    if (this.connectPromise !== undefined) return this.connectPromise;
    const promise = this.connectOnce().finally(() => {
      if (this.connectPromise === promise) this.connectPromise = undefined;
    });
    this.connectPromise = promise;
    return promise;
  }

  private createTransport(authProvider: OAuthClientProvider | undefined): Transport {
    const t = this.resolved.transport;
    if (t.type === 'stdio') {
      if (this.ctx.logDir !== undefined) {
        this.stderrLog ??= createStderrLog({
          path: join(this.ctx.logDir, this.spaceId, `${this.serverId}.log`),
          redact: this.redact,
          secretValues: this.secretValues,
          maxBytes: this.ctx.logMaxBytes,
        });
      }
      const log = this.stderrLog;
      return new ChildProcessTransport({
        command: t.command,
        args: t.args ?? [],
        env: { ...this.ctx.baseEnv, ...(t.env ?? {}) },
        cwd: t.cwd,
        killGraceMs: this.ctx.killGraceMs,
        onStderr: log === undefined ? undefined : (chunk) => log.write(chunk),
      });
    }
    const requestInit: RequestInit = t.headers === undefined ? {} : { headers: t.headers };
    if (t.type === 'http') {
      const schemaOf = (name: unknown): unknown =>
        this._catalog?.tools.find((x) => x.name === name)?.inputSchema;
      return new UpstreamHttpTransport(
        new URL(t.url),
        authProvider === undefined ? { requestInit } : { requestInit, authProvider },
        schemaOf,
      );
    }
    return new SSEClientTransport(new URL(t.url), { requestInit });
  }

  private createClient(generation: number): Client {
    const client = new Client(this.ctx.clientInfo, {
      capabilities: {
        sampling: {},
        elicitation: { form: {}, url: {} },
        roots: { listChanged: true },
      },
      // Speak the newest era the server supports: a `server/discover` probe (skipped when an
      // earlier connection of this upstream already told us the answer), else the 2025 handshake.
      versionNegotiation: { mode: 'auto', probe: { timeoutMs: this.ctx.connectTimeoutMs } },
      // `input_required` results of a 2026 server pass through to the caller (the gateway's own
      // server turns them into server->client requests for 2025 clients).
      inputRequired: { autoFulfill: false },
    });
    const relay = async (
      method: string,
      params: unknown,
      signal: AbortSignal,
    ): Promise<Record<string, unknown>> => {
      const handler = this.ctx.onServerRequest;
      if (handler === undefined) throw new ProtocolError(-32601, `${method} is not supported`);
      const request: RpcMessage =
        params === undefined ? { method } : { method, params: params as Record<string, unknown> };
      return handler(this, request, this.currentOrigin(), signal);
    };
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
      client.setRequestHandler(method, ((
        req: { method: string; params?: unknown },
        ctx: { mcpReq: { signal: AbortSignal } },
      ) => relay(req.method, req.params, ctx.mcpReq.signal)) as never);
    }
    client.fallbackNotificationHandler = async (notification) => {
      if (generation !== this.generation) return;
      const method = notification.method;
      if (method === 'notifications/tools/list_changed') this.scheduleDiscovery(['tools']);
      else if (method === 'notifications/prompts/list_changed') this.scheduleDiscovery(['prompts']);
      else if (method === 'notifications/resources/list_changed') this.scheduleDiscovery(['resources']);
      else {
        const message: RpcMessage =
          notification.params === undefined
            ? { method }
            : { method, params: notification.params as Record<string, unknown> };
        this.ctx.events.notification?.(this, message);
      }
    };
    client.onerror = (error) => {
      this.ctx.logger.debug(
        { spaceId: this.spaceId, serverId: this.serverId, err: this.redact(errorMessage(error)) },
        'upstream transport error',
      );
    };
    client.onclose = () => this.onClientClosed(generation);
    return client;
  }

  /**
   * The downstream session that caused a server->client request arriving now: the one session with
   * requests in flight on this upstream. Undefined when no request with an origin is in flight, or
   * when requests of two or more sessions are (the SDK client does not tell which request's stream
   * carried it): the request then belongs to nobody we can name and must fail closed.
   */
  private currentOrigin(): DownstreamOrigin | undefined {
    const now = this.ctx.now();
    for (const [id, entry] of this.abandoned) if (entry.until <= now) this.abandoned.delete(id);
    let origin: DownstreamOrigin | undefined;
    for (const entry of [...this.inflight.values(), ...this.abandoned.values()]) {
      if (entry.origin === undefined) continue;
      if (origin === undefined) origin = entry.origin;
      else if (entry.origin.sessionId !== origin.sessionId) return undefined;
    }
    return origin;
  }

  private async connectOnce(): Promise<void> {
    const generation = ++this.generation;
    this.setState('connecting');
    const t = this.resolved.transport;
    let authProvider: OAuthClientProvider | undefined;
    try {
      authProvider =
        t.type === 'http'
          ? await this.ctx.authProviderFor?.(this.spaceId, this.serverId, t.url, (message) =>
              this.onSignInRequired(message),
            )
          : undefined;
    } catch (error) {
      this.recordFailure(this.redact(`failed to start: ${errorMessage(error)}`));
      throw this.unavailable();
    }
    const transport = this.createTransport(authProvider);
    const client = this.createClient(generation);
    this.transport = transport;
    this.client = client;
    try {
      let timer: unknown;
      const timeout = new Promise<never>((_, reject) => {
        timer = this.ctx.timers.setTimeout(
          () =>
            reject(new Error(`no answer to initialize within ${formatSeconds(this.ctx.connectTimeoutMs)} s`)),
          this.ctx.connectTimeoutMs,
        );
      });
      try {
        const prior = this.verdict;
        await Promise.race([
          client.connect(transport, {
            timeout: this.ctx.connectTimeoutMs,
            ...(prior === undefined ? {} : { prior }),
          }),
          timeout,
        ]);
      } finally {
        this.ctx.timers.clearTimeout(timer);
      }
      if (generation !== this.generation) throw new Error('closed while connecting');
      const discovered = client.getDiscoverResult();
      this.verdict = discovered === undefined ? { kind: 'legacy' } : { kind: 'modern', discover: discovered };
      this._protocolVersion = client.getNegotiatedProtocolVersion();
      await this.listen(client);
      const catalog = await this.discover(client, ['tools', 'prompts', 'resources']);
      if (generation !== this.generation) throw new Error('closed while connecting');
      this.applyCatalog(catalog);
      this.consecutiveFailures = 0;
      this._lastError = undefined;
      this.lastReason = undefined;
      this.setState('ready');
      this.scheduleIdleCheck(this.ctx.idleMs);
      this.emitCatalogChanged();
    } catch (error) {
      if (generation !== this.generation || this._state === 'closed') {
        throw this.unavailable();
      }
      const reason = this.describeFailure(transport, `failed to start: ${errorMessage(error)}`);
      this.verdict = undefined; // the server may have changed: probe again next time
      await this.teardown();
      const signIn =
        this.signInRequired ??
        (error instanceof UnauthorizedError
          ? `the server requires an OAuth sign-in: mcpmux login ${this.serverId} --space ${this.spaceId}`
          : undefined);
      if (signIn !== undefined) {
        // Restarting cannot help: wait for `mcpmux login` (a new sign-in makes a new connection).
        this.lastReason = signIn;
        this._lastError = signIn;
        this.setState('circuit-open');
        throw this.unavailable();
      }
      this.recordFailure(reason);
      throw this.unavailable();
    }
  }

  private describeFailure(transport: Transport | undefined, fallback: string): string {
    if (
      transport instanceof ChildProcessTransport &&
      transport.pid !== undefined &&
      transport.exit !== undefined
    ) {
      const { code, signal } = transport.exit;
      const how = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
      return this.redact(`process ${how}`);
    }
    return this.redact(fallback);
  }

  private onClientClosed(generation: number): void {
    if (generation !== this.generation) return;
    if (this._state !== 'ready') return;
    // Unexpected: the transport closed while we were using it.
    const transport = this.transport;
    const reason = this.describeFailure(transport, 'connection closed');
    this.failInFlight(reason);
    this.client = undefined;
    this.transport = undefined;
    this.generation++;
    void transport?.close().catch(() => undefined);
    this.recordFailure(reason);
  }

  /** Counts a crash or failed start and moves to `backoff` (restart scheduled) or `circuit-open`. */
  private recordFailure(reason: string): void {
    const now = this.ctx.now();
    const { backoff } = this.ctx;
    this.lastReason = reason;
    this.crashTimes = this.crashTimes.filter((t) => now - t < backoff.windowMs);
    this.crashTimes.push(now);
    this.consecutiveFailures++;
    if (this.crashTimes.length >= backoff.maxCrashes) {
      this._lastError = `${reason}; crashed ${this.crashTimes.length} time${this.crashTimes.length === 1 ? '' : 's'} within ${formatSeconds(backoff.windowMs)} s, circuit open: not restarting until its configuration changes or it is removed and added again`;
      this.ctx.logger.debug(
        { spaceId: this.spaceId, serverId: this.serverId, err: this._lastError },
        'upstream circuit open',
      );
      this.setState('circuit-open');
      return;
    }
    const delay = Math.min(
      backoff.maxMs,
      backoff.initialMs * backoff.factor ** (this.consecutiveFailures - 1),
    );
    this._lastError = `${reason}; restarting in ${delay} ms`;
    this.ctx.logger.debug(
      { spaceId: this.spaceId, serverId: this.serverId, err: this._lastError },
      'upstream down',
    );
    this.setState('backoff');
    this.backoffTimer = this.ctx.timers.setTimeout(() => {
      this.backoffTimer = undefined;
      if (this._state !== 'backoff') return;
      this.restartCount++;
      this.connect().catch(() => {
        // recordFailure already scheduled the next attempt or opened the circuit.
      });
    }, delay);
  }

  /** The OAuth tokens are gone or refused: stop using this connection until the user signs in again. */
  private onSignInRequired(message: string): void {
    this.signInRequired = message;
    if (this._state !== 'ready') return; // connecting: `connectOnce` reports it
    this.failInFlight(message);
    this.lastReason = message;
    this._lastError = message;
    void this.teardown().catch(() => undefined);
    this.setState('circuit-open');
  }

  private failInFlight(reason: string): void {
    this.abandoned.clear(); // the process running them is gone
    if (this.inflight.size === 0) return;
    const entries = [...this.inflight.values()];
    this.inflight.clear();
    const error = this.unavailable(reason);
    for (const entry of entries) entry.reject(error);
  }

  private scheduleIdleCheck(delayMs: number): void {
    if (!Number.isFinite(this.ctx.idleMs) || this.ctx.idleMs <= 0) return;
    this.ctx.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.ctx.timers.setTimeout(() => {
      this.idleTimer = undefined;
      if (this._state !== 'ready') return;
      const idleFor = this.ctx.now() - this.lastActivity;
      if (this.inflight.size === 0 && idleFor >= this.ctx.idleMs) {
        this.ctx.logger.debug({ spaceId: this.spaceId, serverId: this.serverId }, 'closing idle upstream');
        void this.shutdown('idle');
      } else {
        this.scheduleIdleCheck(Math.max(this.ctx.idleMs - idleFor, Math.min(this.ctx.idleMs, 1000)));
      }
    }, delayMs);
  }

  /** Lists everything of the given kinds the server declares, following every `nextCursor`. */
  private async discover(client: Client, kinds: readonly Kind[]): Promise<Partial<UpstreamCatalog>> {
    const caps = client.getServerCapabilities() ?? {};
    const listAll = async <T>(method: string, field: string): Promise<T[]> => {
      const items: T[] = [];
      let cursor: string | undefined;
      const seen = new Set<string>();
      do {
        const result = (await client.request(
          cursor === undefined ? { method } : { method, params: { cursor } },
          PASSTHROUGH,
          { timeout: this.ctx.callTimeoutMs },
        )) as Record<string, unknown>;
        const page = result[field];
        if (Array.isArray(page)) items.push(...(page as T[]));
        const next = result.nextCursor;
        cursor = typeof next === 'string' && next !== '' && !seen.has(next) ? next : undefined;
        if (cursor !== undefined) seen.add(cursor);
      } while (cursor !== undefined);
      return items;
    };
    const safely = async <T>(method: string, field: string): Promise<T[]> => {
      try {
        return await listAll<T>(method, field);
      } catch (error) {
        if (error instanceof ProtocolError) {
          this.ctx.logger.warn(
            { spaceId: this.spaceId, serverId: this.serverId, method, err: this.redact(error.message) },
            'upstream list failed; treating as empty',
          );
          return [];
        }
        throw error;
      }
    };
    const out: Partial<UpstreamCatalog> = {};
    const jobs: Promise<void>[] = [];
    if (kinds.includes('tools')) {
      jobs.push(
        (caps.tools ? safely<Tool>('tools/list', 'tools') : Promise.resolve([])).then((v) => {
          out.tools = v;
        }),
      );
    }
    if (kinds.includes('prompts')) {
      jobs.push(
        (caps.prompts ? safely<Prompt>('prompts/list', 'prompts') : Promise.resolve([])).then((v) => {
          out.prompts = v;
        }),
      );
    }
    if (kinds.includes('resources')) {
      jobs.push(
        (caps.resources ? safely<Resource>('resources/list', 'resources') : Promise.resolve([])).then((v) => {
          out.resources = v;
        }),
      );
      jobs.push(
        (caps.resources
          ? safely<ResourceTemplate>('resources/templates/list', 'resourceTemplates')
          : Promise.resolve([])
        ).then((v) => {
          out.resourceTemplates = v;
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  private applyCatalog(partial: Partial<UpstreamCatalog>): void {
    const client = this.client;
    const previous = this._catalog;
    const capabilities: ServerCapabilities = client?.getServerCapabilities() ?? previous?.capabilities ?? {};
    const serverInfo: Implementation = client?.getServerVersion() ??
      previous?.serverInfo ?? { name: this.serverId, version: '0' };
    const instructions = client?.getInstructions() ?? previous?.instructions;
    const catalog: UpstreamCatalog = {
      tools: partial.tools ?? previous?.tools ?? [],
      prompts: partial.prompts ?? previous?.prompts ?? [],
      resources: partial.resources ?? previous?.resources ?? [],
      resourceTemplates: partial.resourceTemplates ?? previous?.resourceTemplates ?? [],
      capabilities,
      serverInfo,
      version: (previous?.version ?? 0) + 1,
    };
    if (instructions !== undefined) catalog.instructions = instructions;
    this._catalog = catalog;
  }

  private emitCatalogChanged(): void {
    try {
      this.ctx.events.catalogChanged?.(this);
    } catch (error) {
      this.ctx.logger.error({ err: errorMessage(error) }, 'catalogChanged listener threw');
    }
  }

  /** Coalesces list_changed bursts: at most one discovery runs, one more follows with every kind asked meanwhile. */
  private scheduleDiscovery(kinds: readonly Kind[]): void {
    for (const k of kinds) this.pendingKinds.add(k);
    if (this.discoveryRunning) return;
    this.discoveryRunning = true;
    // Let the rest of a burst arrive before listing.
    setImmediate(() => {
      void this.runDiscovery();
    });
  }

  private async runDiscovery(): Promise<void> {
    try {
      while (this.pendingKinds.size > 0) {
        const client = this.client;
        const generation = this.generation;
        if (client === undefined || this._state !== 'ready') {
          this.pendingKinds.clear();
          break;
        }
        const kinds = [...this.pendingKinds];
        this.pendingKinds.clear();
        try {
          const partial = await this.discover(client, kinds);
          if (generation !== this.generation || this._state !== 'ready') break;
          this.applyCatalog(partial);
          this.emitCatalogChanged();
        } catch (error) {
          if (generation !== this.generation) break;
          this.ctx.logger.warn(
            { spaceId: this.spaceId, serverId: this.serverId, err: this.redact(errorMessage(error)) },
            'upstream re-discovery failed',
          );
        }
      }
    } finally {
      this.discoveryRunning = false;
    }
  }

  request(message: RpcMessage, options: UpstreamCallOptions = {}): Promise<Record<string, unknown>> {
    return tracedUpstreamRequest(message, options.traceContext, this.serverId, (traced) =>
      this.send(traced, options),
    );
  }

  private send(request: RpcMessage, options: UpstreamCallOptions): Promise<Record<string, unknown>> {
    const client = this.client;
    if (this._state !== 'ready' || client === undefined) return Promise.reject(this.unavailable());
    if (nestsDeeperThan(request.params, MAX_FORWARD_DEPTH)) return Promise.reject(this.nestedTooDeeply());
    if (this.modern && ANSWERED_LOCALLY.has(request.method)) return this.answerLocally(client, request);
    const message = this.withRequestMeta(request, options.clientCapabilities);
    this.lastActivity = this.ctx.now();
    const timeoutMs =
      options.timeoutMs ??
      (this.timeoutSeconds !== undefined ? this.timeoutSeconds * 1000 : this.ctx.callTimeoutMs);
    const id = this.nextCallId++;
    const generation = this.generation;
    const { signal, onProgress } = options;
    // The SDK registers a response handler, a progress handler and a timer before it sends, and
    // drops them on a response, a timeout, an abort or a close, but not when sending fails: the
    // handlers then keep the call's params alive until the connection closes. Aborting a signal of
    // our own is the public way to drop them; the caller's signal is linked to it until we settle.
    const local = new AbortController();
    const forwardAbort = (): void => local.abort(signal?.reason);
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { origin: options.origin, reject });
      const settle = (): boolean => {
        signal?.removeEventListener('abort', forwardAbort);
        if (!this.inflight.delete(id)) return false;
        this.lastActivity = this.ctx.now();
        return true;
      };
      // setTimeout treats anything above 2^31-1 ms as 1 ms.
      const requestOptions: RequestOptions = {
        timeout: Math.min(timeoutMs, MAX_TIMER_MS),
        signal: local.signal,
        allowInputRequired: true,
      };
      if (onProgress !== undefined) requestOptions.onprogress = onProgress as ProgressCallback;
      if (signal?.aborted) local.abort(signal.reason);
      else signal?.addEventListener('abort', forwardAbort, { once: true });
      let sent: Promise<unknown>;
      try {
        sent = client.request(message as { method: string }, PASSTHROUGH, requestOptions);
      } catch (error) {
        sent = Promise.reject(error);
      }
      sent.then(
        (result) => {
          if (settle()) resolve(result as Record<string, unknown>);
        },
        (error: unknown) => {
          // An answer (ProtocolError) or the SDK's own timeout/close; anything else failed to send.
          const answered = error instanceof ProtocolError || isSdkTimeout(error) || isConnectionClosed(error);
          if (!answered && !local.signal.aborted) local.abort(error);
          const origin = options.origin;
          if (origin !== undefined && (signal?.aborted === true || isSdkTimeout(error))) {
            // The upstream was told to cancel but may go on (and ask for sampling) for a while.
            const now = this.ctx.now();
            for (const [key, entry] of this.abandoned) if (entry.until <= now) this.abandoned.delete(key);
            this.abandoned.set(id, { origin, until: now + Math.min(timeoutMs, ABANDONED_GRACE_MS) });
          }
          if (settle()) reject(this.mapCallError(error, timeoutMs, signal, generation, message.params));
        },
      );
    });
  }

  /** `INVALID_INPUT` for params that nest deeper than the gateway forwards. */
  private nestedTooDeeply(): McpmuxError {
    return new McpmuxError(
      'INVALID_INPUT',
      `Invalid params: arguments nested too deeply to forward (more than ${MAX_FORWARD_DEPTH} levels); send them less deeply nested.`,
      { data: { spaceId: this.spaceId, serverId: this.serverId, maxDepth: MAX_FORWARD_DEPTH } },
    );
  }

  /** True when the connection a call or notification went out on (`generation`) is gone. */
  private closedSince(generation: number): boolean {
    return generation !== this.generation || this._state !== 'ready' || this.client === undefined;
  }

  private mapCallError(
    error: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    generation: number,
    params: unknown,
  ): unknown {
    if (signal?.aborted) return signal.reason;
    if (isSdkTimeout(error)) {
      return new McpmuxError(
        'UPSTREAM_TIMEOUT',
        `Server "${this.serverId}" did not answer within ${formatSeconds(timeoutMs)} s; the request was cancelled.`,
        { data: { spaceId: this.spaceId, serverId: this.serverId, timeoutSeconds: timeoutMs / 1000 } },
      );
    }
    if (error instanceof ProtocolError) return error; // the server's answer, e.g. its own -32000
    if (isConnectionClosed(error)) {
      return this.closedSince(generation) ? this.unavailable('connection closed') : error;
    }
    return this.sendFailure(error, params);
  }

  /**
   * Maps a failure to send (not an answer) to the error a caller gets; never a stack trace. Params
   * that cannot be serialized (a BigInt or a cycle from an embedder, a string past V8's limit) are
   * the caller's problem and leave the connection alone; anything else is a connection failure.
   */
  private sendFailure(error: unknown, params: unknown): McpmuxError | ProtocolError {
    const problem = serializationProblem(params);
    if (problem !== undefined) {
      return new ProtocolError(
        -32603,
        `Could not send the request to server "${this.serverId}": ${this.redact(problem)}. Send plain JSON arguments.`,
      );
    }
    return this.unavailable(this.redact(`connection failed: ${errorMessage(error)}`));
  }

  async notify(message: RpcMessage): Promise<void> {
    const client = this.client;
    if (this._state !== 'ready' || client === undefined) throw this.unavailable();
    if (nestsDeeperThan(message.params, MAX_FORWARD_DEPTH)) throw this.nestedTooDeeply();
    try {
      await client.notification(message as { method: string });
    } catch (error) {
      // A 2025 notification a 2026-07-28 server has no use for (e.g. roots/list_changed).
      if (error instanceof SdkError && error.code === SdkErrorCode.MethodNotSupportedByProtocolVersion)
        return;
      throw this.sendFailure(error, message.params);
    }
  }

  /** Stops the client and its child (awaiting the child's exit); keeps nothing running. */
  private async teardown(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    this.subscription = undefined; // closes with the client
    this.resourceUris.clear();
    this.generation++;
    this.ctx.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
      // Tell the server the session is over (HTTP DELETE) instead of leaving it to expire; bounded.
      let timer: unknown;
      await Promise.race([
        transport.terminateSession().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = this.ctx.timers.setTimeout(resolve, 1000);
        }),
      ]);
      this.ctx.timers.clearTimeout(timer);
    }
    try {
      await client?.close();
    } catch {
      // closing is best effort; the transport close below still kills the child
    }
    try {
      await transport?.close();
    } catch {
      // ignore
    }
  }

  /**
   * Closes the connection and moves to `idle` (can reconnect) or `closed` (final). In-flight calls
   * reject with `UPSTREAM_UNAVAILABLE`; resolves once the child has exited.
   */
  shutdown(final: 'idle' | 'closed'): Promise<void> {
    if (this._state === 'closed') return this.closePromise ?? Promise.resolve();
    this.ctx.timers.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    const promise = (async () => {
      this.setState(final);
      this.failInFlight(final === 'idle' ? 'closed after being idle' : 'closed');
      await this.teardown();
      if (final === 'closed') this.stderrLog?.close();
    })();
    if (final === 'closed') this.closePromise = promise;
    return promise;
  }
}
