import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpmuxError } from '@mcpmux/core';
import { isModernProtocolVersion } from '@mcpmux/gateway';
import {
  type JSONRPCMessage,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
} from '@modelcontextprotocol/server';
import {
  hostHeaderName,
  invalidMessage,
  isJsonContentType,
  isLoopbackHost,
  normalizeOrigin,
  parseAccept,
  RPC,
  sendError,
} from './internal/http-util.js';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth, tooDeepMessage } from './internal/json-depth.js';
import { metricsAccess } from './internal/metrics-access.js';
import { namesPublicHost, type PublicUrl, parsePublicUrl } from './internal/public-url.js';
import { parseReplicaId, REPLICA_HEADER, replicaSessionIds } from './internal/replica.js';
import { Exchange, SessionTransport } from './internal/session-transport.js';
import { claimsModernEra, sendWebResponse, toWebRequest } from './internal/web-exchange.js';
import type { AuthFailureReason } from './metrics.js';

/** The default port of the gateway server. */
export const DEFAULT_PORT = 45818;
/** The default bind address (loopback only). */
export const DEFAULT_HOST = '127.0.0.1';
/** The MCP endpoint path. */
export const MCP_PATH = '/mcp';
/** The health endpoint path. */
export const HEALTH_PATH = '/health';
/** The Prometheus metrics endpoint path. */
export const METRICS_PATH = '/metrics';
/** The default request body limit: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The default idle time after which a session is reaped: 30 minutes. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;
/** The default cap on one client's open sessions. */
export const DEFAULT_MAX_SESSIONS_PER_CLIENT = 64;
/** The default cap on open sessions in total. */
export const DEFAULT_MAX_SESSIONS = 1024;

/** A structured logger (pino-compatible) for the HTTP layer; it never logs per message. */
export interface HttpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the HTTP layer needs from the gateway. */
export interface SessionConnector {
  /** Serves one downstream session over `transport` for `clientId` (the gateway's `connect`). */
  connect(
    transport: Transport,
    auth: { clientId: string },
    options?: { eras?: 'any' | 'legacy' },
  ): Promise<{ close(): Promise<void> }>;
  /**
   * Serves one MCP 2026-07-28 exchange (no session) for `clientId` (the gateway's `fetch`). Without
   * it, such requests are answered as 2025 requests without a session (400).
   */
  fetch?(request: Request, auth: { clientId: string }, options?: { parsedBody?: unknown }): Promise<Response>;
}

/** Serves the paths besides `/mcp`, `/health` and `/metrics` (the admin API and console). */
export interface AdminHttpHandler {
  /** True for the paths it serves. */
  handles(path: string): boolean;
  /** Serves one request whose Host the HTTP server has checked; `search` is the query without `?`. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void>;
}

/** Serves mcpmux's OAuth endpoints (`/.well-known/oauth-*`, `/oauth/*`) and names them in 401s. */
export interface OAuthHttpHandler {
  /** True for the paths it serves. */
  handles(path: string): boolean;
  /** Serves one request whose Host the HTTP server has checked; `search` is the query without `?`. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void>;
  /** The `WWW-Authenticate` value of a 401 on `/mcp` (`Bearer resource_metadata="..."`). */
  challenge(req: IncomingMessage): string;
}

/** Options of {@link createMcpHttpServer}. */
export interface McpHttpServerOptions {
  /** Serves each new session (the gateway). */
  gateway: SessionConnector;
  /** Maps an access key to its client, or undefined when unknown, revoked or expired (`store.authenticate`). */
  authenticate(accessKey: string): Promise<{ id: string } | undefined>;
  /** Extra fields of `GET /health` (version, active Space, upstream states; never secrets). */
  health?: () => Record<string, unknown>;
  /**
   * Serves `GET /metrics` (Prometheus text) to loopback peers on a loopback bind; other peers get
   * 403. Default none (`/metrics` answers 404).
   */
  metrics?: { render(): Promise<string>; contentType: string };
  /** Told of each request refused for its key, Origin or Host (metrics). Default none. */
  onAuthFailure?: (reason: AuthFailureReason) => void;
  /** Bind address. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 45818. */
  port?: number;
  /** Requests without an Authorization header act as this client. Loopback binds only. Default none. */
  anonymousClientId?: string;
  /** Required to bind a non-loopback address (a warning is logged) unless `publicUrl` is set. Default `false`. */
  allowNonLoopback?: boolean;
  /**
   * The URL clients reach the gateway at through a load balancer or TLS proxy
   * (`https://mcp.example.com`, an origin without a path). Requests whose `Host` names its host are
   * accepted (besides the loopback names on a loopback bind), its origin joins the allowed Origins,
   * and binding a non-loopback address needs no `allowNonLoopback`. Requests that arrive under the
   * public host are treated as remote: `/health` needs a key and `/metrics` answers 403, even on a
   * loopback bind. An anonymous client is refused with it. Default none.
   */
  publicUrl?: string;
  /**
   * This replica's id (`[a-z0-9]{1,16}`) in team mode (DESIGN §12): session ids it issues start
   * with `<id>.` so that the load balancer can route a session to the replica that holds it, and
   * every response names it in the `Mcpmux-Replica` header (and `/health` in `replica`). Default
   * none (ids without a prefix, no header).
   */
  replicaId?: string;
  /**
   * Origins (`scheme://host[:port]`) allowed besides the loopback ones (which are allowed on loopback
   * binds). A request with any other Origin, or `Origin: null`, gets 403. Default none.
   */
  allowedOrigins?: string[];
  /** Largest accepted request body in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /**
   * Deepest nesting of arrays and objects in a request body, checked before the body is parsed; a
   * deeper one gets 400 with JSON-RPC error -32600. Default 64.
   */
  maxJsonDepth?: number;
  /**
   * Sessions without a request in flight or an open stream for this long are closed (a later
   * request on one answers 404). Default 30 min.
   */
  sessionIdleMs?: number;
  /** How often idle sessions are looked for, in ms. Default `min(sessionIdleMs / 2, 60_000)`. */
  reapIntervalMs?: number;
  /**
   * Open sessions per client. A session is never closed to make room: a client at the cap (after
   * its sessions idle past `sessionIdleMs` are closed) gets 429 with `Retry-After`. Default 64.
   */
  maxSessionsPerClient?: number;
  /** Open sessions in total; beyond it a new session gets 503 with `Retry-After`. Default 1,024. */
  maxSessions?: number;
  /**
   * Sessions the gateway serves on other channels (its Unix socket), counted in the same caps:
   * `count(clientId)` for one client, `count()` for all. Default none.
   */
  externalSessions?: { count(clientId?: string): number };
  /** Messages in one JSON-RPC batch (protocol revisions before 2025-06-18). Default 64. */
  maxBatch?: number;
  /** How long a successful key check is reused, in ms (revocation takes effect within it). Default 250. */
  authCacheMs?: number;
  /** Lifecycle notices (listening, warnings); nothing per message. Default: none. */
  logger?: HttpLogger;
  /**
   * Serves `/`, `/login`, `/api/v1` and console paths (after the Host check of `/mcp`). Default
   * none: those paths answer 404.
   */
  admin?: AdminHttpHandler;
  /**
   * mcpmux as the OAuth authorization server of `/mcp`: serves its endpoints, and 401s on `/mcp`
   * name its protected-resource metadata. Default none (401s say `Bearer` only).
   */
  oauth?: OAuthHttpHandler;
  /** On `close()`, how long in-flight requests may take to finish before sessions close, in ms. Default 5,000. */
  drainMs?: number;
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  /** Session id generator. Default: 16 random bytes, base64url, after `<replicaId>.` when set. */
  sessionId?: () => string;
}

/** Counters of {@link McpHttpServer.stats}. */
export interface HttpServerStats {
  sessions: number;
  /** Sessions with an open GET (server-to-client) stream. */
  streams: number;
  /** Requests being answered. */
  inflight: number;
  sessionsByClient: Record<string, number>;
}

/** A Streamable HTTP MCP server in front of the gateway. */
export interface McpHttpServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<{ url: string; port: number }>;
  /** `http://HOST:PORT/mcp` once listening. */
  readonly url: string;
  /** Open sessions. */
  stats(): HttpServerStats;
  /** Closes sessions idle for longer than the idle limit now; returns how many. */
  reapIdleSessions(): Promise<number>;
  /** Forgets cached key checks (call on client or key changes). */
  invalidateAuth(): void;
  /**
   * Stops accepting, lets in-flight requests finish (up to `drainMs`; new requests get 503), then
   * closes every session and connection. Idempotent.
   */
  close(): Promise<void>;
}

const LOOPBACK_HOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const SUPPORTED_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS);

interface Session {
  transport: SessionTransport;
  gateway: { close(): Promise<void> } | undefined;
}

/** Why a new session was refused: the HTTP status, the message and when to retry (seconds). */
interface Refusal {
  status: 429 | 503;
  message: string;
  retryAfter: number;
}

function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Creates the Streamable HTTP server (MCP spec 2025-11-25, older revisions negotiated) in front of
 * the gateway. Every request is checked before any work: the path, the `Host` header (loopback
 * binds: DNS rebinding), the `Origin` header (allow-list; `null` refused), the Bearer access key
 * (or the anonymous client on loopback), the content type, the body limit and the JSON nesting
 * depth (scanned before parsing); failures are JSON errors with 404/403/401/415/413/400. Sessions
 * have random ids bound to the authenticated client; a session id presented with another client's
 * key answers 404. A session is never closed to make room for another: over the per-client cap a
 * new session gets 429, over the total cap 503, both with `Retry-After`; idle sessions are closed
 * by age and answer 404 afterwards. Responses are plain JSON unless the gateway streams (progress,
 * logs, sampling, elicitation), then SSE. A request the client cancels (`notifications/cancelled`)
 * ends its POST without a response and frees its id.
 *
 * @param options - see {@link McpHttpServerOptions}; `gateway` and `authenticate` are required.
 * With `replicaId`, session ids start with `<replicaId>.` and responses carry `Mcpmux-Replica`; a
 * session id this replica does not hold (another replica's, or an ended one) answers 404 with
 * JSON-RPC error -32001, so that the client initializes again (MCP 2025-11-25, Session Management).
 * @throws `FORBIDDEN` for a non-loopback `host` without `allowNonLoopback` or `publicUrl`, or
 *   `anonymousClientId` on a non-loopback bind or with a non-loopback `publicUrl`; `INVALID_INPUT` for
 *   a malformed allowed origin, public URL or replica id.
 * @example
 * ```ts
 * const http = createMcpHttpServer({
 *   gateway,
 *   authenticate: (key) => store.authenticate(key),
 *   port: 0,
 * });
 * const { url } = await http.listen();
 * // ... clients connect to url ...
 * await http.close();
 * ```
 */
export function createMcpHttpServer(options: McpHttpServerOptions): McpHttpServer {
  const host = options.host ?? DEFAULT_HOST;
  const loopback = isLoopbackHost(host);
  const publicUrl: PublicUrl | undefined =
    options.publicUrl === undefined ? undefined : parsePublicUrl(options.publicUrl);
  const replicaId = options.replicaId === undefined ? undefined : parseReplicaId(options.replicaId);
  if (!loopback && options.allowNonLoopback !== true && publicUrl === undefined) {
    throw new McpmuxError(
      'FORBIDDEN',
      `Binding ${host} exposes the gateway beyond this machine; pass --public-url URL (the address clients use) or --allow-non-loopback to do so.`,
      { data: { field: 'host' } },
    );
  }
  if (!loopback && options.anonymousClientId !== undefined) {
    throw new McpmuxError('FORBIDDEN', 'An anonymous client is only allowed on a loopback bind.', {
      data: { field: 'anonymousClientId' },
    });
  }
  if (publicUrl !== undefined && !publicUrl.loopback && options.anonymousClientId !== undefined) {
    throw new McpmuxError(
      'FORBIDDEN',
      'An anonymous client is not allowed with a public URL: anyone reaching it would act as that client. Drop --anonymous, or --public-url.',
      { data: { field: 'anonymousClientId' } },
    );
  }
  const allowedOrigins = new Set<string>();
  if (publicUrl !== undefined) allowedOrigins.add(publicUrl.origin);
  for (const origin of options.allowedOrigins ?? []) {
    const url = normalizeOrigin(origin);
    if (url === undefined) {
      throw new McpmuxError('INVALID_INPUT', `Allowed origin "${origin}" is not a URL origin.`, {
        data: { field: 'allowedOrigins' },
      });
    }
    allowedOrigins.add(url.origin);
  }
  const logger = options.logger;
  const now = options.now ?? Date.now;
  const newSessionId = options.sessionId ?? replicaSessionIds(replicaId);
  const sessionNotFound =
    replicaId === undefined
      ? 'Session not found.'
      : `Session not found: replica ${replicaId} does not hold it (it ended, or the replica that held it stopped). Initialize a new session.`;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const reapEvery = options.reapIntervalMs ?? Math.min(Math.max(idleMs / 2, 10), 60_000);
  const maxPerClient = options.maxSessionsPerClient ?? DEFAULT_MAX_SESSIONS_PER_CLIENT;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const maxBatch = options.maxBatch ?? 64;
  const authCacheMs = options.authCacheMs ?? 250;
  const anonymous = options.anonymousClientId;
  const drainMs = options.drainMs ?? 5000;
  const external = options.externalSessions;

  const sessions = new Map<string, Session>();
  const authCache = new Map<string, { clientId: string; until: number }>();
  const sockets = new Set<Socket>();
  let boundUrl = '';
  let closing: Promise<void> | undefined;

  function hostAllowed(req: IncomingMessage): boolean {
    const value = req.headers.host;
    if (publicUrl !== undefined && namesPublicHost(publicUrl, value)) return true;
    // Beyond loopback without a public URL any Host goes (as before public URLs existed).
    if (!loopback && publicUrl === undefined) return true;
    return value !== undefined && LOOPBACK_HOST_NAMES.has(hostHeaderName(value));
  }

  /**
   * True when the request may see what only this machine sees (`/health` without a key,
   * `/metrics`): a loopback bind, and not a request that came in under the public host (a proxy on
   * this machine forwards the world's requests from a loopback address).
   */
  function localView(req: IncomingMessage): boolean {
    if (!loopback) return false;
    return publicUrl === undefined || publicUrl.loopback || !namesPublicHost(publicUrl, req.headers.host);
  }

  function originAllowed(req: IncomingMessage): boolean {
    const value = req.headers.origin;
    if (value === undefined) return true;
    const url = normalizeOrigin(value);
    if (url === undefined) return false;
    if (allowedOrigins.has(url.origin)) return true;
    return (
      loopback && (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname)
    );
  }

  function authFailed(reason: AuthFailureReason): void {
    try {
      options.onAuthFailure?.(reason);
    } catch (err) {
      logger?.warn({ err }, 'auth failure hook threw');
    }
  }

  /** The request's client, or why it has none. */
  async function authenticate(
    req: IncomingMessage,
  ): Promise<{ clientId: string } | { reason: AuthFailureReason }> {
    const header = headerValue(req.headers.authorization);
    if (header === undefined) {
      return anonymous === undefined ? { reason: 'missing_key' } : { clientId: anonymous };
    }
    const match = BEARER.exec(header);
    if (match === null) return { reason: 'malformed_header' };
    const key = match[1] ?? '';
    const t = now();
    const cached = authCache.get(key);
    if (cached !== undefined && cached.until > t) return { clientId: cached.clientId };
    const client = await options.authenticate(key);
    if (client === undefined) {
      authCache.delete(key);
      return { reason: 'unknown_key' };
    }
    if (authCacheMs > 0) {
      if (authCache.size >= 1024) authCache.clear();
      authCache.set(key, { clientId: client.id, until: t + authCacheMs });
    }
    return { clientId: client.id };
  }

  async function handleMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const metrics = options.metrics;
    if (metrics === undefined) {
      return sendError(res, 404, RPC.METHOD_NOT_FOUND, 'Not found: metrics are turned off for this gateway.');
    }
    const access = metricsAccess({ bindLoopback: localView(req), remoteAddress: req.socket.remoteAddress });
    if (!access.allowed) return sendError(res, 403, RPC.FORBIDDEN, access.message);
    const body = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function sessionFor(req: IncomingMessage, clientId: string): Session | undefined | null {
    const id = headerValue(req.headers['mcp-session-id']);
    if (id === undefined) return null;
    const session = sessions.get(id);
    if (session === undefined || session.transport.clientId !== clientId || session.transport.closed)
      return undefined;
    session.transport.lastActivity = now();
    return session;
  }

  async function closeSession(session: Session): Promise<void> {
    sessions.delete(session.transport.sessionId);
    try {
      await session.gateway?.close();
    } finally {
      await session.transport.close();
    }
  }

  function countOf(clientId: string): number {
    let count = external?.count(clientId) ?? 0;
    for (const s of sessions.values()) if (s.transport.clientId === clientId) count++;
    return count;
  }

  /** Open sessions in total, the other channels' included. */
  function totalCount(): number {
    return sessions.size + (external?.count() ?? 0);
  }

  /** Closes the sessions (of `clientId`, or all) idle for longer than the idle limit. */
  async function reapIdle(clientId?: string): Promise<number> {
    const limit = now() - idleMs;
    const idle = [...sessions.values()].filter(
      (s) =>
        (clientId === undefined || s.transport.clientId === clientId) &&
        s.transport.idle &&
        s.transport.lastActivity <= limit,
    );
    await Promise.allSettled(idle.map((s) => closeSession(s)));
    return idle.length;
  }

  /** Seconds until the first idle session (of `clientId`, or any) reaches the idle limit. */
  function retryAfter(clientId?: string): number {
    const t = now();
    let soonest = Math.min(idleMs, 60_000);
    for (const s of sessions.values()) {
      if (clientId !== undefined && s.transport.clientId !== clientId) continue;
      if (s.transport.idle) soonest = Math.min(soonest, s.transport.lastActivity + idleMs - t);
    }
    return Math.max(1, Math.ceil(soonest / 1000));
  }

  /**
   * A cap is reached: sessions idle past the limit go first (the reaper would close them soon).
   * A session that works is never closed to make room; the new one is refused instead.
   */
  async function refusal(clientId: string): Promise<Refusal | undefined> {
    const idleSeconds = Math.round(idleMs / 1000);
    if (countOf(clientId) >= maxPerClient) {
      await reapIdle(clientId);
      if (countOf(clientId) >= maxPerClient) {
        return {
          status: 429,
          retryAfter: retryAfter(clientId),
          message:
            `Too many sessions: client "${clientId}" already has ${plural(maxPerClient, 'open session')}, its limit. ` +
            `Close sessions it no longer uses (HTTP DELETE), let idle ones expire (after ${idleSeconds} s), ` +
            'or raise the limit: `mcpmux serve --max-sessions-per-client N`, or "serve.maxSessionsPerClient" in <home>/config.json.',
        };
      }
    }
    if (totalCount() >= maxSessions) {
      await reapIdle();
      if (totalCount() >= maxSessions) {
        return {
          status: 503,
          retryAfter: retryAfter(),
          message:
            `Too many sessions: the gateway has ${plural(maxSessions, 'open session')}, its limit. ` +
            `Try again later (idle sessions expire after ${idleSeconds} s), ` +
            'or raise the limit: `mcpmux serve --max-sessions N`, or "serve.maxSessions" in <home>/config.json.',
        };
      }
    }
    return undefined;
  }

  async function openSession(clientId: string): Promise<Session | Refusal> {
    // Checked again after each wait: another request may have taken the room meanwhile.
    while (countOf(clientId) >= maxPerClient || totalCount() >= maxSessions) {
      const refused = await refusal(clientId);
      if (refused !== undefined) return refused;
    }
    const transport = new SessionTransport(newSessionId(), clientId, now);
    const session: Session = { transport, gateway: undefined };
    sessions.set(transport.sessionId, session);
    // Set before connecting: the gateway's protocol layer chains its own handler after this one.
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
    };
    try {
      // An HTTP session is 2025-era by construction: 2026-07-28 requests never open one.
      session.gateway = await options.gateway.connect(transport, { clientId }, { eras: 'legacy' });
    } catch (err) {
      sessions.delete(transport.sessionId);
      await transport.close();
      throw err;
    }
    return session;
  }

  function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) {
      tooLarge(res);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > maxBody) {
          failed = true;
          tooLarge(res);
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      });
      req.on('error', () => {
        if (!failed) {
          failed = true;
          resolve(undefined);
        }
      });
    });
  }

  function tooLarge(res: ServerResponse): void {
    sendError(res, 413, RPC.TOO_LARGE, `Request body exceeds the limit of ${maxBody} bytes.`, {
      connection: 'close',
    });
  }

  async function handlePost(req: IncomingMessage, res: ServerResponse, clientId: string): Promise<void> {
    if (!isJsonContentType(headerValue(req.headers['content-type']))) {
      req.resume();
      return sendError(res, 415, RPC.INVALID_REQUEST, 'Content-Type must be application/json.');
    }
    const accept = parseAccept(headerValue(req.headers.accept));
    if (!accept.json && !accept.sse) {
      req.resume();
      return sendError(
        res,
        406,
        RPC.INVALID_REQUEST,
        'Accept must allow application/json or text/event-stream.',
      );
    }
    const body = await readBody(req, res);
    if (body === undefined) return;
    // Before parsing: deep nesting costs nothing to send and a great deal to handle later.
    if (exceedsJsonDepth(body, maxDepth)) {
      return sendError(res, 400, RPC.INVALID_REQUEST, tooDeepMessage(maxDepth));
    }
    let text = body.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let parsed: unknown;
    try {
      // Own `__proto__` members (which JSON.parse creates) are dropped before anything sees them.
      parsed = text.includes('"__proto__"') ? JSON.parse(text, dropProto) : JSON.parse(text);
    } catch {
      return sendError(res, 400, RPC.PARSE_ERROR, 'Parse error: the body is not valid JSON.');
    }
    const batch = Array.isArray(parsed);
    const raw: unknown[] = batch ? (parsed as unknown[]) : [parsed];
    if (raw.length === 0) return sendError(res, 400, RPC.INVALID_REQUEST, 'An empty batch is not a request.');
    if (raw.length > maxBatch) {
      return sendError(res, 400, RPC.INVALID_REQUEST, `A batch holds at most ${maxBatch} messages.`);
    }
    const messages: JSONRPCMessage[] = [];
    const ids = new Set<RequestId>();
    let initialize = false;
    for (const item of raw) {
      const problem = invalidMessage(item);
      if (problem !== undefined)
        return sendError(res, 400, RPC.INVALID_REQUEST, `Invalid request: ${problem}`);
      // `invalidMessage` accepts only what the SDK's schema accepts: no second parse per message.
      const message = item as JSONRPCMessage;
      if ('method' in message && 'id' in message) {
        if (ids.has(message.id)) {
          return sendError(res, 400, RPC.INVALID_REQUEST, 'Invalid request: duplicate id in the batch.');
        }
        ids.add(message.id);
        if (message.method === 'initialize') initialize = true;
      }
      messages.push(message);
    }

    const fetchModern = options.gateway.fetch;
    if (
      fetchModern !== undefined &&
      !batch &&
      req.headers['mcp-session-id'] === undefined &&
      (claimsModernEra(messages[0]) ||
        isModernProtocolVersion(headerValue(req.headers['mcp-protocol-version'])))
    ) {
      // 2026-07-28: the exchange carries its revision and client capabilities; no session.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      // The body was read, limited and parsed above: the gateway does not parse it again.
      const response = await fetchModern.call(
        options.gateway,
        toWebRequest(req, text, gone.signal),
        { clientId },
        { parsedBody: parsed },
      );
      return sendWebResponse(res, response);
    }

    let session: Session | undefined | null;
    if (initialize) {
      if (messages.length > 1) {
        return sendError(res, 400, RPC.INVALID_REQUEST, 'initialize must be sent alone, not in a batch.');
      }
      if (req.headers['mcp-session-id'] !== undefined) {
        return sendError(res, 400, RPC.INVALID_REQUEST, 'This session is already initialized.');
      }
      let opened: Session | Refusal;
      try {
        opened = await openSession(clientId);
      } catch (err) {
        if (err instanceof McpmuxError && err.code === 'UNAUTHORIZED') {
          authFailed('unknown_key');
          return sendError(res, 401, RPC.UNAUTHORIZED, 'Unauthorized.', { 'www-authenticate': 'Bearer' });
        }
        logger?.error({ err }, 'could not open a session');
        return sendError(res, 500, RPC.SERVER_ERROR, 'Internal error.');
      }
      if (!('transport' in opened)) {
        return sendError(res, opened.status, RPC.TOO_MANY_SESSIONS, opened.message, {
          'retry-after': opened.retryAfter,
        });
      }
      session = opened;
    } else {
      session = sessionFor(req, clientId);
      if (session === null) {
        return sendError(
          res,
          400,
          RPC.INVALID_REQUEST,
          'Bad request: the Mcp-Session-Id header is required.',
        );
      }
      if (session === undefined) return sendError(res, 404, RPC.SESSION_NOT_FOUND, sessionNotFound);
      const version = headerValue(req.headers['mcp-protocol-version']);
      if (version !== undefined && !SUPPORTED_VERSIONS.has(version)) {
        return sendError(
          res,
          400,
          RPC.INVALID_REQUEST,
          `Unsupported MCP-Protocol-Version: ${version.slice(0, 32)}.`,
        );
      }
      for (const id of ids) {
        if (session.transport.isInflight(id)) {
          return sendError(res, 400, RPC.INVALID_REQUEST, 'Invalid request: this id is already in flight.');
        }
      }
    }
    const transport = session.transport;
    if (ids.size === 0) {
      res.writeHead(202, { 'mcp-session-id': transport.sessionId, 'content-length': 0 });
      res.end();
      transport.receive(messages, undefined);
      return;
    }
    const exchange = new Exchange(res, transport, [...ids], { batch, acceptsSse: accept.sse });
    transport.receive(messages, exchange);
  }

  function handleGet(req: IncomingMessage, res: ServerResponse, clientId: string): void {
    const session = sessionFor(req, clientId);
    if (!parseAccept(headerValue(req.headers.accept)).sse || req.headers.accept === undefined) {
      sendError(res, 406, RPC.INVALID_REQUEST, 'Accept must allow text/event-stream.');
    } else if (session === null) {
      sendError(res, 400, RPC.INVALID_REQUEST, 'Bad request: the Mcp-Session-Id header is required.');
    } else if (session === undefined) {
      sendError(res, 404, RPC.SESSION_NOT_FOUND, sessionNotFound);
    } else if (session.transport.hasStandaloneStream) {
      sendError(res, 409, RPC.INVALID_REQUEST, 'A stream is already open for this session.');
    } else {
      session.transport.openStandalone(res);
    }
  }

  async function handleDelete(req: IncomingMessage, res: ServerResponse, clientId: string): Promise<void> {
    const session = sessionFor(req, clientId);
    if (session === null) {
      return sendError(res, 400, RPC.INVALID_REQUEST, 'Bad request: the Mcp-Session-Id header is required.');
    }
    if (session === undefined) return sendError(res, 404, RPC.SESSION_NOT_FOUND, sessionNotFound);
    await closeSession(session);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  function handleHealth(res: ServerResponse): void {
    const body = JSON.stringify({
      status: 'ok',
      ...options.health?.(),
      ...(replicaId === undefined ? {} : { replica: replicaId }),
      sessions: sessions.size,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const isMcp = path === MCP_PATH;
    const isHealth = path === HEALTH_PATH && req.method === 'GET';
    const isMetrics = path === METRICS_PATH && req.method === 'GET';
    if (replicaId !== undefined) res.setHeader(REPLICA_HEADER, replicaId);
    if (closing !== undefined) {
      req.resume();
      return sendError(res, 503, RPC.SERVER_ERROR, 'The server is shutting down.', { connection: 'close' });
    }
    if (!isMcp && !isHealth && !isMetrics) {
      if (options.oauth?.handles(path) === true) {
        if (!hostAllowed(req)) {
          req.resume();
          authFailed('bad_host');
          return sendError(res, 403, RPC.FORBIDDEN, 'Forbidden: Host is not allowed.');
        }
        return options.oauth.handle(req, res, path, q === -1 ? '' : url.slice(q + 1));
      }
      if (options.admin?.handles(path) === true) {
        if (!hostAllowed(req)) {
          req.resume();
          authFailed('bad_host');
          return sendError(res, 403, RPC.FORBIDDEN, 'Forbidden: Host is not allowed.');
        }
        return options.admin.handle(req, res, path, q === -1 ? '' : url.slice(q + 1));
      }
      req.resume();
      return sendError(res, 404, RPC.METHOD_NOT_FOUND, 'Not found. The MCP endpoint is /mcp.');
    }
    if (!hostAllowed(req)) {
      req.resume();
      authFailed('bad_host');
      return sendError(res, 403, RPC.FORBIDDEN, 'Forbidden: Host is not allowed.');
    }
    if (!originAllowed(req)) {
      req.resume();
      authFailed('bad_origin');
      return sendError(res, 403, RPC.FORBIDDEN, 'Forbidden: Origin is not allowed.');
    }
    if (isMetrics) {
      req.resume();
      return handleMetrics(req, res);
    }
    if (isHealth && localView(req)) return handleHealth(res);
    const authenticated = await authenticate(req);
    if ('reason' in authenticated) {
      req.resume();
      authFailed(authenticated.reason);
      if (options.oauth !== undefined) {
        return sendError(
          res,
          401,
          RPC.UNAUTHORIZED,
          'Unauthorized: a valid access key is required (Bearer), or an OAuth sign-in: apps that sign in with OAuth discover it from the WWW-Authenticate header; for the others, `mcpmux client add APP` prints a key.',
          { 'www-authenticate': options.oauth.challenge(req) },
        );
      }
      return sendError(res, 401, RPC.UNAUTHORIZED, 'Unauthorized: a valid access key is required (Bearer).', {
        'www-authenticate': 'Bearer',
      });
    }
    const clientId = authenticated.clientId;
    if (isHealth) return handleHealth(res);
    switch (req.method) {
      case 'POST':
        return handlePost(req, res, clientId);
      case 'GET':
        req.resume();
        return handleGet(req, res, clientId);
      case 'DELETE':
        req.resume();
        return handleDelete(req, res, clientId);
      default:
        req.resume();
        return sendError(res, 405, RPC.INVALID_REQUEST, 'Method not allowed.', {
          allow: 'GET, POST, DELETE',
        });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger?.error({ err }, 'request failed');
      sendError(res, 500, RPC.SERVER_ERROR, 'Internal error.');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  const reapIdleSessions = (): Promise<number> => reapIdle();

  let reaper: NodeJS.Timeout | undefined;

  return {
    get url() {
      return boundUrl;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? DEFAULT_PORT, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      boundUrl = `http://${shown}:${port}${MCP_PATH}`;
      reaper = setInterval(() => {
        reapIdleSessions().catch((err: unknown) => logger?.warn({ err }, 'session reaping failed'));
      }, reapEvery);
      reaper.unref();
      if (!loopback) {
        logger?.warn(
          { host, port },
          'listening on a non-loopback address: anyone who can reach it and holds an access key can use the gateway',
        );
      }
      return { url: boundUrl, port };
    },
    stats() {
      const sessionsByClient: Record<string, number> = {};
      let streams = 0;
      let inflight = 0;
      for (const s of sessions.values()) {
        if (s.transport.hasStandaloneStream) streams++;
        inflight += s.transport.inflight;
        sessionsByClient[s.transport.clientId] = (sessionsByClient[s.transport.clientId] ?? 0) + 1;
      }
      return { sessions: sessions.size, streams, inflight, sessionsByClient };
    },
    reapIdleSessions,
    invalidateAuth() {
      authCache.clear();
    },
    close() {
      closing ??= (async () => {
        if (reaper !== undefined) clearInterval(reaper);
        const stopped = new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
        });
        // Drain: requests already in flight may finish (bounded); new ones get 503.
        const until = Date.now() + drainMs;
        while (Date.now() < until && [...sessions.values()].some((s) => s.transport.inflight > 0)) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await Promise.allSettled([...sessions.values()].map((s) => closeSession(s)));
        server.closeIdleConnections();
        for (const socket of sockets) socket.destroySoon();
        const forced = setTimeout(() => server.closeAllConnections(), 2000);
        await stopped;
        clearTimeout(forced);
      })();
      return closing;
    },
  };
}
