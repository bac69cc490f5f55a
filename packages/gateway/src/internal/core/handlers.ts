/**
 * The MCP request handlers. Each takes the {@link Caller} it serves (a session is one kind of
 * caller) and the request's params; {@link registerSessionHandlers} installs them on one session's
 * SDK server.
 */
import type { LoggingLevel, Server, ServerContext } from '@modelcontextprotocol/server';
import { toRpcError, unknownError } from '../errors.js';
import { answerMetaTool, CALL_TOOL, listedTools, META_TOOL_NAMES, unwrapCall } from '../lean/meta-tools.js';
import { severity } from '../session.js';
import { startRequestSpan } from '../tracing.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import { type Route, resourceRoute, templateRouteByTemplate, type View } from '../view.js';
import type { Caller, SessionCaller } from './caller.js';
import type { AuditedOperation, Calls, HandlerExtra } from './calls.js';
import { forwardParams } from './calls.js';
import { type ListKind, page } from './paging.js';
import type { SpaceRegistry } from './spaces.js';
import type { Subscriptions } from './subscriptions.js';

const TOOL_CALL: AuditedOperation = { method: 'tools/call', kind: 'tool' };
const PROMPT_GET: AuditedOperation = { method: 'prompts/get', kind: 'prompt' };
const RESOURCE_READ: AuditedOperation = { method: 'resources/read', kind: 'resource' };

/** One list the gateway serves from a view. */
export interface ListSpec {
  method: 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';
  key: ListKind;
  items: (view: View) => readonly unknown[];
}

/** The four lists, in the order they are registered. */
export const LISTS: readonly ListSpec[] = [
  { method: 'tools/list', key: 'tools', items: listedTools },
  { method: 'prompts/list', key: 'prompts', items: (v) => v.prompts },
  { method: 'resources/list', key: 'resources', items: (v) => v.resources },
  { method: 'resources/templates/list', key: 'resourceTemplates', items: (v) => v.templates },
];

type Params<T = Record<string, unknown>> = Record<string, unknown> & T;

/** What {@link createRequestHandlers} needs. */
export interface RequestHandlerDeps {
  calls: Calls;
  spaces: SpaceRegistry;
  subscriptions: Subscriptions;
  pool: () => Pick<UpstreamPoolHandle, 'get'>;
  /** Recomputes a Space's log level after a session changed its own. */
  updateLogLevel: (spaceId: string) => void;
  /** Items per page of every list. */
  pageSize: number;
}

/** The request handlers, each for one caller and one request's params. */
export type RequestHandlers = ReturnType<typeof createRequestHandlers>;

/**
 * Creates the request handlers. Lists are served from the caller's memoized view, in pages;
 * calls, gets and reads are a route lookup plus one upstream request; a denied feature is answered
 * exactly like an unknown one. Subscriptions and the logging level are session features.
 */
export function createRequestHandlers(deps: RequestHandlerDeps) {
  const { calls, spaces, subscriptions } = deps;
  return {
    async list(caller: Caller, spec: ListSpec, params: Params<{ cursor?: string }> | undefined) {
      const span = startRequestSpan(spec.method, undefined, params?._meta, {
        clientId: caller.clientId,
        spaceId: caller.spaceId,
      });
      try {
        const result = page(spec.items(await caller.view('list')), params?.cursor, spec.key, deps.pageSize);
        span.end({ serverId: undefined, outcome: 'ok' });
        return result;
      } catch (err) {
        span.end({ serverId: undefined, outcome: 'error' }, err);
        throw err;
      }
    },

    async callTool(caller: Caller, params: Params<{ name: string }>, extra: HandlerExtra) {
      const view = await caller.view();
      // Lean mode: mcpmux_call_tool unwraps to the direct call below (same allow check, audit,
      // routing, errors, progress and cancellation); search and describe are answered from the view
      // (read like a list: the first one in a Space waits, bounded, for its upstreams) and audited.
      if (view.lean !== undefined && META_TOOL_NAMES.has(params.name)) {
        if (params.name !== CALL_TOOL) {
          return answerMetaTool(params, () => caller.view('list'), {
            clientId: caller.clientId,
            spaceId: caller.spaceId,
            meta: params._meta,
            record: (entry) => calls.recordMetaTool(caller, entry, extra.requestId),
          });
        }
        params = unwrapCall(params);
      }
      return calls.audited(caller, TOOL_CALL, params.name, view.toolRoutes.get(params.name), params, extra);
    },

    async getPrompt(caller: Caller, params: Params<{ name: string }>, extra: HandlerExtra) {
      const view = await caller.view();
      return calls.audited(
        caller,
        PROMPT_GET,
        params.name,
        view.promptRoutes.get(params.name),
        params,
        extra,
      );
    },

    async readResource(caller: Caller, params: Params<{ uri: string }>, extra: HandlerExtra) {
      const view = await caller.view();
      return calls.audited(caller, RESOURCE_READ, params.uri, resourceRoute(view, params.uri), params, extra);
    },

    async complete(caller: Caller, params: Params<{ ref: Record<string, unknown> }>, extra: HandlerExtra) {
      const spaceId = caller.spaceId;
      const view = await caller.view();
      const ref = params.ref;
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
      const upstream = await spaces.upstreamFor(spaceId, route);
      if (upstream.catalog?.capabilities.completions === undefined) {
        return { completion: { values: [], hasMore: false } };
      }
      const message = {
        method: 'completion/complete',
        params: { ...forwardParams(params, undefined, 'ref'), ref: forwardedRef },
      };
      return calls.forward(caller, spaceId, route, message, extra);
    },

    async subscribe(caller: SessionCaller, params: Params<{ uri: string }>) {
      const spaceId = caller.spaceId;
      const view = await caller.view();
      // Like a read: a resource of a server still connecting (a bridge replaying its subscriptions on
      // a gateway that just started) waits, bounded, for that server.
      const route =
        resourceRoute(view, params.uri) ?? (await calls.routeOnceConnected(caller, 'resource', params.uri));
      if (route === undefined) throw unknownError('resource', params.uri);
      await subscriptions.subscribe(caller, spaceId, route, params.uri);
      return {};
    },

    async unsubscribe(caller: SessionCaller, params: Params<{ uri: string }>) {
      await subscriptions.unsubscribe(caller, params.uri);
      return {};
    },

    async setLevel(caller: SessionCaller, params: Params<{ level: LoggingLevel }>) {
      caller.logLevel = severity(params.level);
      deps.updateLogLevel(caller.spaceId);
      return {};
    },

    /** Tells every ready upstream of the caller's Space that the client's roots changed. */
    async rootsListChanged(caller: Caller): Promise<void> {
      for (const server of spaces.get(caller.spaceId)?.servers ?? []) {
        const upstream = deps.pool().get(caller.spaceId, server.serverId);
        if (upstream?.state === 'ready') {
          await upstream.notify({ method: 'notifications/roots/list_changed' }).catch(() => undefined);
        }
      }
    },
  };
}

const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** The SDK's request context as the handlers use it (hot path: one object, no spreads). */
function extraOf(ctx: ServerContext, server: Server): HandlerExtra {
  const req = ctx.mcpReq;
  const extra: HandlerExtra = {
    signal: req.signal,
    requestId: req.id,
    sendNotification: (notification: never) => req.notify(notification),
  };
  const meta = req._meta as HandlerExtra['_meta'];
  if (meta !== undefined) extra._meta = meta;
  const envelope = req.envelope as Record<string, unknown> | undefined;
  const capabilities = (envelope?.[CLIENT_CAPABILITIES_KEY] ?? server.getClientCapabilities()) as
    | Record<string, unknown>
    | undefined;
  if (capabilities !== undefined) extra.clientCapabilities = capabilities;
  if (req.inputResponses !== undefined) extra.inputResponses = req.inputResponses;
  const requestState = req.requestState<string>();
  if (requestState !== undefined) extra.requestState = requestState;
  return extra;
}

/**
 * Installs the handlers on an SDK server, with `caller` as the caller of every request: a session's
 * server (2025 era, or a 2026-07-28 connection), or the server of one 2026-07-28 HTTP exchange. The
 * session features (subscriptions, `logging/setLevel`, roots changes) are installed only with a
 * `session`. Params were checked before dispatch (`request-schema.ts`); any error is mapped through
 * the one mapping function. Results pass through as the upstream sent them.
 */
export function registerHandlers(
  server: Server,
  caller: Caller,
  handlers: RequestHandlers,
  session?: SessionCaller,
): void {
  const on = (
    method: Parameters<Server['setRequestHandler']>[0],
    fn: (params: Params, extra: HandlerExtra) => Promise<Record<string, unknown>>,
  ): void => {
    server.setRequestHandler(
      method as 'tools/list',
      (async (request: { params?: Record<string, unknown> }, ctx: ServerContext) => {
        try {
          return await fn((request.params ?? {}) as Params, extraOf(ctx, server));
        } catch (err) {
          throw toRpcError(err);
        }
      }) as never,
    );
  };

  for (const spec of LISTS) on(spec.method, (params) => handlers.list(caller, spec, params));
  on('tools/call', (params, extra) => handlers.callTool(caller, params as Params<{ name: string }>, extra));
  on('prompts/get', (params, extra) => handlers.getPrompt(caller, params as Params<{ name: string }>, extra));
  on('resources/read', (params, extra) =>
    handlers.readResource(caller, params as Params<{ uri: string }>, extra),
  );
  on('completion/complete', (params, extra) =>
    handlers.complete(caller, params as Params<{ ref: Record<string, unknown> }>, extra),
  );
  if (session === undefined) return;
  on('resources/subscribe', (params) => handlers.subscribe(session, params as Params<{ uri: string }>));
  on('resources/unsubscribe', (params) => handlers.unsubscribe(session, params as Params<{ uri: string }>));
  on('logging/setLevel', (params) => handlers.setLevel(session, params as Params<{ level: LoggingLevel }>));
  server.setNotificationHandler('notifications/roots/list_changed', () => handlers.rootsListChanged(session));
}
