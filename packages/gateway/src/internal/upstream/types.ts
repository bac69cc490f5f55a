/**
 * The contract between the upstream side of the gateway (connections to MCP servers) and the
 * downstream side (sessions of AI clients). Internal: not exported from the package root.
 */
import type {
  Implementation,
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';
import type { Context } from '@opentelemetry/api';

/** Lifecycle of one upstream connection. */
export type UpstreamState =
  | 'idle' // not connected (never, or closed after being idle)
  | 'connecting'
  | 'ready'
  | 'backoff' // crashed; a restart is scheduled
  | 'circuit-open' // crashed too often; no automatic restart until `reset` or a config change
  | 'closed'; // shut down for good (pool closing, server removed)

/** What one upstream server offers right now (all pages merged), as the server sent it. */
export interface UpstreamCatalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  capabilities: ServerCapabilities;
  serverInfo: Implementation;
  instructions?: string;
  /** Increments on every completed (re-)discovery of this upstream. */
  version: number;
}

/** The downstream session on whose behalf an upstream request is made. */
export interface DownstreamOrigin {
  sessionId: string;
}

/** Options for one request forwarded to an upstream. */
export interface UpstreamCallOptions {
  /**
   * What the client the request is made for can answer (sampling, elicitation, roots). A 2026-07-28
   * server reads it from the request (it asks only what the client can answer); default: the
   * gateway's own capabilities.
   */
  clientCapabilities?: Record<string, unknown>;
  /** Aborting sends `notifications/cancelled` upstream and rejects the call. */
  signal?: AbortSignal;
  /** Defaults to the server's configured timeout, else the pool's `callTimeoutMs`. */
  timeoutMs?: number;
  /** Receives the upstream's `notifications/progress` for this request. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** Which downstream session caused this request (routes sampling/elicitation/roots back to it). */
  origin?: DownstreamOrigin;
  /** The OpenTelemetry context whose span is the parent of this request's span. Default: the active one. */
  traceContext?: Context;
}

/** A JSON-RPC request or notification as plain data. */
export interface RpcMessage {
  method: string;
  params?: Record<string, unknown>;
}

/** One shared connection to an upstream MCP server for one Space and one resolved config. */
export interface Upstream {
  readonly spaceId: string;
  readonly serverId: string;
  /** The connection's `ConnectionKey` (see `keys.ts`); the hash covers resolved secrets, so it is never shown. */
  readonly key: string;
  readonly state: UpstreamState;
  /** Undefined until the first discovery completed. */
  readonly catalog: UpstreamCatalog | undefined;
  /** The last error that moved it out of `ready` (message only, secrets redacted). */
  readonly lastError: string | undefined;
  /** Restarts after crashes or failed starts since it was created. */
  readonly restarts: number;
  /**
   * Forwards a request and returns the raw result object untouched (no result-schema parsing).
   * Throws `McpmuxError('UPSTREAM_UNAVAILABLE')` (names server and state) when not connected or when
   * the upstream dies mid-call (fails fast), `McpmuxError('UPSTREAM_TIMEOUT')` on timeout (after
   * sending `notifications/cancelled`), and an `McpError` carrying the upstream's own JSON-RPC error.
   */
  request(message: RpcMessage, options?: UpstreamCallOptions): Promise<Record<string, unknown>>;
  /** Sends a notification upstream (e.g. `notifications/roots/list_changed`). */
  notify(message: RpcMessage): Promise<void>;
}

/**
 * Answers a server->client request (sampling, elicitation, roots/list) sent by an upstream.
 * `origin` is the session whose in-flight requests are the only ones on that upstream when the
 * request arrives; undefined when none or several sessions' requests are in flight (fail closed).
 */
export type ServerRequestHandler = (
  upstream: Upstream,
  request: RpcMessage,
  origin: DownstreamOrigin | undefined,
  signal: AbortSignal,
) => Promise<Record<string, unknown>>;

/** Events the pool reports to the downstream side. */
export interface UpstreamPoolEvents {
  /** After every completed discovery (first connect and each re-discovery on list_changed). */
  catalogChanged?: (upstream: Upstream) => void;
  /** On every state transition. */
  stateChanged?: (upstream: Upstream, previous: UpstreamState) => void;
  /** Upstream notifications not tied to a call: `notifications/message`, `notifications/resources/updated`. */
  notification?: (upstream: Upstream, message: RpcMessage) => void;
}

/** A server as the pool needs it: the store's `EffectiveServer` satisfies this structurally. */
export interface UpstreamServerConfig {
  serverId: string;
  defaultEnabled: boolean;
  timeoutSeconds?: number | undefined;
  transport:
    | { type: 'stdio'; command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
    | { type: 'http'; url: string; headers?: Record<string, string> }
    | { type: 'sse'; url: string; headers?: Record<string, string> };
}

/** Health of one upstream, safe to show (no secrets, no resolved config). */
export interface UpstreamStatus {
  spaceId: string;
  serverId: string;
  state: UpstreamState;
  pid?: number;
  /** The MCP revision spoken with the server while it is ready (e.g. `2026-07-28`, `2025-11-25`). */
  protocolVersion?: string;
  restarts: number;
  lastError?: string;
  tools: number;
  prompts: number;
  resources: number;
}

/** All upstream connections of the gateway. */
export interface UpstreamPool {
  /**
   * Returns the shared upstream for (space, server, resolved config), connecting lazily; resolves
   * once it is ready. Throws `SECRET_MISSING` when a referenced secret is absent and
   * `UPSTREAM_UNAVAILABLE` when it cannot connect (or its circuit is open).
   */
  acquire(spaceId: string, server: UpstreamServerConfig): Promise<Upstream>;
  /** The current upstream of (space, server), if any, without connecting. */
  get(spaceId: string, serverId: string): Upstream | undefined;
  /** Closes upstreams of `spaceId` whose server is not in `servers` or whose resolved config changed. */
  sync(spaceId: string, servers: UpstreamServerConfig[]): Promise<void>;
  /** Closes every upstream of a Space. */
  closeSpace(spaceId: string): Promise<void>;
  status(): UpstreamStatus[];
  /** Closes everything; afterwards no child process of the pool is alive. */
  close(): Promise<void>;
}
