/**
 * Forwarding of calls, prompt gets and resource reads along a view's route, with their audit record,
 * observation and span; and the wait for a not yet connected server that could offer a feature.
 */
import type { AuditEventInput, EffectiveServer, FeatureKind } from '@mcpmux/space-store';
import type { AuditBuffer } from '../audit.js';
import { errorCode, unknownError } from '../errors.js';
import { auditMetaTool, type MetaToolRecord } from '../lean/meta-tools.js';
import { type RequestSpan, startRequestSpan } from '../tracing.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import type { RpcMessage, UpstreamCallOptions } from '../upstream/types.js';
import { type Route, resourceRoute, spaceNaming } from '../view.js';
import type { Caller } from './caller.js';
import type { Observe } from './observe.js';
import { NEEDS_CONNECT, type SpaceRegistry } from './spaces.js';

/** What the gateway uses of the SDK's request-handler context. */
export interface HandlerExtra {
  signal: AbortSignal;
  requestId: string | number;
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification: (notification: never) => Promise<void>;
  /** A 2026-07-28 retry's answers to an earlier `input_required` result (forwarded as they came). */
  inputResponses?: Record<string, unknown>;
  /** A 2026-07-28 retry's echo of the upstream's opaque `requestState` (forwarded as it came). */
  requestState?: string;
  /** What the client can answer: a 2026-07-28 request's envelope, or what a session declared. */
  clientCapabilities?: Record<string, unknown>;
}

/** The key under which a server names itself in a result's `_meta` (2026-07-28). */
const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';

/**
 * An upstream's result as the client gets it: the upstream's own identity (2026-07-28 servers stamp
 * it in `_meta`) is taken out, so the gateway's is the one the client sees, and a cache hint is made
 * private (what the gateway serves depends on the client's Space, credentials and grants, so no
 * shared cache may keep it); the rest is untouched.
 */
function asGatewayResult(result: Record<string, unknown>): Record<string, unknown> {
  const meta = result._meta as Record<string, unknown> | undefined;
  const stamped = meta !== undefined && SERVER_INFO_META_KEY in meta;
  const shared = result.cacheScope !== undefined && result.cacheScope !== 'private';
  if (!stamped && !shared) return result;
  const out = { ...result };
  if (shared) out.cacheScope = 'private';
  if (stamped) {
    const { [SERVER_INFO_META_KEY]: _upstream, ...rest } = meta;
    if (Object.keys(rest).length === 0) delete out._meta;
    else out._meta = rest;
  }
  return out;
}

/** A request that is audited: its method and the kind of feature it names. */
export interface AuditedOperation {
  method: 'tools/call' | 'prompts/get' | 'resources/read';
  kind: FeatureKind;
}

/** Copies request params for the upstream: a new `name`, and the downstream's progress token removed. */
export function forwardParams(
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

/** What {@link Calls} needs. */
export interface CallsDeps {
  spaces: SpaceRegistry;
  pool: () => Pick<UpstreamPoolHandle, 'get'>;
  audit: Pick<AuditBuffer, 'push'>;
  /** Milliseconds clock for audit timestamps. */
  now: () => number;
  observe: Observe;
}

/** Forwarding and auditing of requests to upstreams. */
export class Calls {
  constructor(private readonly deps: CallsDeps) {}

  /**
   * Sends `message` to the route's upstream (connecting it lazily) for `caller`, passing the caller's
   * origin (for the relay) and progress notifications back.
   */
  async forward(
    caller: Caller,
    spaceId: string,
    route: Route,
    message: RpcMessage,
    extra: HandlerExtra,
    span?: RequestSpan,
  ): Promise<Record<string, unknown>> {
    const upstream = await this.deps.spaces.upstreamFor(spaceId, route);
    const options: UpstreamCallOptions = { signal: extra.signal, origin: caller.origin };
    if (extra.clientCapabilities !== undefined) options.clientCapabilities = extra.clientCapabilities;
    if (span !== undefined) options.traceContext = span.context;
    const progressToken = extra._meta?.progressToken;
    if (progressToken !== undefined) {
      options.onProgress = (p) => {
        extra
          .sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } } as never)
          .catch(() => undefined);
      };
    }
    const forwarded: RpcMessage =
      extra.inputResponses === undefined && extra.requestState === undefined
        ? message
        : {
            method: message.method,
            params: {
              ...message.params,
              ...(extra.inputResponses === undefined ? {} : { inputResponses: extra.inputResponses }),
              ...(extra.requestState === undefined ? {} : { requestState: extra.requestState }),
            },
          };
    return asGatewayResult(await upstream.request(forwarded, options));
  }

  /**
   * Forwards one call/get/read along its route (or answers "Unknown ..." when there is none: denied
   * and nonexistent look the same) and queues its audit record.
   */
  async audited(
    caller: Caller,
    op: AuditedOperation,
    name: string,
    route: Route | undefined,
    params: Record<string, unknown>,
    extra: HandlerExtra,
  ): Promise<Record<string, unknown>> {
    const started = performance.now();
    const spaceId = caller.spaceId;
    // A resource URI may carry values (template parameters): it names no span.
    const span = startRequestSpan(op.method, op.kind === 'resource' ? undefined : name, params._meta, {
      clientId: caller.clientId,
      spaceId,
    });
    route ??= await this.routeOnceConnected(caller, op.kind, name);
    const record = (err: unknown): void =>
      this.record(caller, spaceId, op, name, route, started, err, extra.requestId);
    if (route === undefined) {
      const error = unknownError(op.kind, name);
      record(error);
      span.end({ serverId: undefined, outcome: 'error', decision: 'deny' }, error);
      throw error;
    }
    try {
      const forwarded = forwardParams(params, op.kind === 'resource' ? undefined : route.name, 'name');
      const message = { method: op.method, params: forwarded };
      const result = await this.forward(caller, spaceId, route, message, extra, span);
      record(undefined);
      span.end({ serverId: route.serverId, outcome: 'ok', decision: 'allow' });
      return result;
    } catch (err) {
      record(err);
      const outcome = errorCode(err) === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
      span.end({ serverId: route.serverId, outcome, decision: 'allow' }, err);
      throw err;
    }
  }

  /**
   * The route of a feature missing from the caller's view that a server not connected yet could
   * offer: waits (bounded) for just those servers, then looks again. Undefined at once when no such
   * server exists, so a denied feature is answered without waiting for any upstream. A tool or prompt
   * can only come from the server whose `<alias>_` starts its exposed name (or an unprefixed one);
   * this only decides whether waiting can help, routing still goes through the view's table.
   */
  async routeOnceConnected(caller: Caller, kind: FeatureKind, name: string): Promise<Route | undefined> {
    const { spaces } = this.deps;
    const spaceId = caller.spaceId;
    if (spaceId === '') return undefined;
    let servers: EffectiveServer[];
    try {
      servers = await spaces.serversOf(spaceId);
    } catch {
      return undefined;
    }
    const { prefixOf } = spaceNaming(spaceId, servers, new Map());
    const pool = this.deps.pool();
    const couldOffer = (server: EffectiveServer): boolean => {
      const upstream = pool.get(spaceId, server.serverId);
      const connecting =
        upstream === undefined || (upstream.catalog === undefined && NEEDS_CONNECT.has(upstream.state));
      if (!connecting) return false;
      return (
        kind === 'resource' || prefixOf.get(server.serverId) === false || name.startsWith(`${server.alias}_`)
      );
    };
    if (!servers.some(couldOffer)) return undefined;
    await spaces.warm(spaceId, couldOffer);
    if (caller.closed || caller.spaceId !== spaceId) return undefined;
    const view = await caller.view();
    if (kind === 'tool') return view.toolRoutes.get(name);
    if (kind === 'prompt') return view.promptRoutes.get(name);
    return resourceRoute(view, name);
  }

  /** Queues the audit record and call event of a lean meta-tool the gateway answered itself. */
  recordMetaTool(caller: Caller, entry: MetaToolRecord, requestId: string | number): void {
    auditMetaTool(this.deps, caller, entry, requestId);
  }

  private record(
    caller: Caller,
    spaceId: string,
    op: AuditedOperation,
    name: string,
    route: Route | undefined,
    started: number,
    err: unknown,
    requestId: string | number,
  ): void {
    const { method: action, kind } = op;
    const decision = route === undefined ? 'deny' : 'allow';
    const outcome = err === undefined ? 'ok' : errorCode(err) === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
    const durationMs = Math.max(0, performance.now() - started);
    const event: AuditEventInput = {
      at: new Date(this.deps.now()),
      action,
      clientId: caller.clientId,
      decision,
      outcome,
      durationMs,
    };
    if (spaceId !== '') event.spaceId = spaceId;
    if (route !== undefined) event.feature = { kind, server: route.serverId, name: route.name };
    else event.detail = { requested: { kind, name } };
    if (err !== undefined) event.detail = { ...(event.detail ?? {}), errorCode: errorCode(err) };
    this.deps.audit.push(event);
    this.deps.observe('call', {
      method: action,
      kind,
      name,
      clientId: caller.clientId,
      sessionId: caller.sessionId,
      requestId,
      spaceId: spaceId === '' ? undefined : spaceId,
      serverId: route?.serverId,
      decision,
      outcome,
      ...(err === undefined ? {} : { errorCode: errorCode(err) }),
      durationMs,
    });
  }
}
