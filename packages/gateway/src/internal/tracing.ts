/**
 * OpenTelemetry spans of the gateway, through `@opentelemetry/api` only: a no-op until the embedding
 * process registers an SDK (tracer provider, propagator). A SERVER span per downstream request and
 * a CLIENT span per upstream request; the W3C trace context travels in `params._meta`
 * (`traceparent`, `tracestate`, as MCP's SEP-414 specifies) in both directions. Spans carry method,
 * client, Space, server and outcome: never arguments, results or resource URIs.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Span, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { RpcMessage } from './upstream/types.js';

/**
 * `@opentelemetry/api` through `require`: its Node entry is CommonJS, and an ES import makes Node lex
 * its ~50 files for named exports first (~40 ms of the gateway's start-up here). The API keeps its
 * registrations on a global, so the embedding process's SDK is found either way.
 */
const { context, propagation, SpanKind, SpanStatusCode, trace } = createRequire(import.meta.url)(
  '@opentelemetry/api',
) as typeof OtelApi;

/** The tracer's name (the instrumentation scope) under which every gateway span is recorded. */
export const TRACER_NAME = '@mcpmux/gateway';

type Meta = Record<string, unknown>;

/** Reads string values of a `_meta` object (SEP-414 keys are plain, not DNS-prefixed). */
const metaGetter: TextMapGetter<Meta | undefined> = {
  keys: (carrier) => (carrier === undefined ? [] : Object.keys(carrier)),
  get: (carrier, key) => {
    const value = carrier?.[key];
    return typeof value === 'string' ? value : undefined;
  },
};

const metaSetter: TextMapSetter<Meta> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

function tracer() {
  // Looked up per span: a provider registered (or replaced) after the gateway started is used.
  return trace.getTracer(TRACER_NAME);
}

/** The error's code for a span status: never its message, which may quote arguments. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'INTERNAL';
}

/** The span of one downstream request; `context` is the parent of the upstream spans it causes. */
export interface RequestSpan {
  readonly context: Context;
  /** Ends the span with the served server, the outcome and, on failure, an error status. */
  end(
    result: {
      serverId: string | undefined;
      outcome: 'ok' | 'error' | 'timeout';
      decision?: 'allow' | 'deny';
    },
    err?: unknown,
  ): void;
}

/**
 * Starts the SERVER span of a downstream request, as a child of the trace context in its
 * `params._meta` when there is one (else of the active context).
 * @param method - the JSON-RPC method (`tools/call`, `tools/list`...)
 * @param name - the exposed tool or prompt name for the span name; undefined for lists and reads
 */
export function startRequestSpan(
  method: string,
  name: string | undefined,
  meta: unknown,
  attributes: { clientId: string; spaceId: string },
): RequestSpan {
  const carrier = typeof meta === 'object' && meta !== null ? (meta as Meta) : undefined;
  const parent = propagation.extract(context.active(), carrier, metaGetter);
  const attrs: Attributes = { 'mcp.method': method, 'mcp.client.id': attributes.clientId };
  if (attributes.spaceId !== '') attrs['mcpmux.space'] = attributes.spaceId;
  const span = tracer().startSpan(
    name === undefined ? method : `${method} ${name}`,
    { kind: SpanKind.SERVER, attributes: attrs },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end(result, err) {
      if (result.serverId !== undefined) span.setAttribute('mcp.server', result.serverId);
      if (result.decision !== undefined) span.setAttribute('mcpmux.decision', result.decision);
      span.setAttribute('outcome', result.outcome);
      if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: codeOf(err) });
      span.end();
    },
  };
}

/**
 * Sends one upstream request inside a CLIENT span (a child of `parent`, else of the active
 * context) and injects that span's context into the forwarded `params._meta`, replacing any
 * `traceparent`/`tracestate` there and keeping every other key. Nothing is copied or injected when
 * the registered propagator injects nothing (no SDK).
 */
export async function tracedUpstreamRequest(
  message: RpcMessage,
  parent: Context | undefined,
  serverId: string,
  send: (message: RpcMessage) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const base = parent ?? context.active();
  const span: Span = tracer().startSpan(
    `${message.method} ${serverId}`,
    { kind: SpanKind.CLIENT, attributes: { 'mcp.method': message.method, 'mcp.server': serverId } },
    base,
  );
  const injected: Meta = {};
  propagation.inject(trace.setSpan(base, span), injected, metaSetter);
  let outgoing = message;
  if (Object.keys(injected).length > 0) {
    const params = message.params ?? {};
    const meta = typeof params._meta === 'object' && params._meta !== null ? (params._meta as Meta) : {};
    const { traceparent: _p, tracestate: _s, ...rest } = meta;
    outgoing = { ...message, params: { ...params, _meta: { ...rest, ...injected } } };
  }
  try {
    const result = await send(outgoing);
    span.setAttribute('outcome', 'ok');
    return result;
  } catch (err) {
    const code = codeOf(err);
    span.setAttribute('outcome', code === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    throw err;
  } finally {
    span.end();
  }
}
