/**
 * The MCP request handlers. Each takes the {@link Caller} it serves (a session is one kind of
 * caller) and the request's params; {@link registerSessionHandlers} installs them on one session's
 * SDK server.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { toRpcError, unknownError } from '../errors.js';
import { matchMethod } from '../request-schema.js';
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
  { method: 'tools/list', key: 'tools', items: (v) => v.tools },
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
      const route = resourceRoute(view, params.uri);
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

const LIST_SCHEMAS: Record<ListSpec['method'], AnyRequestSchema> = {
  'tools/list': ListToolsRequestSchema,
  'prompts/list': ListPromptsRequestSchema,
  'resources/list': ListResourcesRequestSchema,
  'resources/templates/list': ListResourceTemplatesRequestSchema,
};

function rejectMapped(err: unknown): never {
  throw toRpcError(err);
}

/**
 * Installs the handlers on one session's SDK server, with the session as the caller of every request.
 * Every handler parses its params (the SDK only matches the method, so that invalid params map to
 * -32602 here) and maps any error through the one mapping function.
 */
export function registerSessionHandlers(
  server: Server,
  session: SessionCaller,
  handlers: RequestHandlers,
): void {
  const on = <P>(
    schema: AnyRequestSchema,
    fn: (params: P, extra: HandlerExtra) => Promise<Record<string, unknown>>,
  ): void => {
    const handler = async (raw: unknown, extra: HandlerExtra) => {
      try {
        return await fn((schema.parse(raw) as unknown as { params: P }).params, extra);
      } catch (err) {
        throw toRpcError(err);
      }
    };
    server.setRequestHandler(matchMethod(schema) as typeof ListToolsRequestSchema, handler as never);
  };

  for (const spec of LISTS)
    on(LIST_SCHEMAS[spec.method], (params: Params | undefined) => handlers.list(session, spec, params));

  // tools/call: installed through the base Protocol so the SDK does not re-validate (and strip)
  // the upstream's result; results pass through untouched. Hot path: one map lookup + request.
  Protocol.prototype.setRequestHandler.call(
    server,
    matchMethod(CallToolRequestSchema),
    async (raw: unknown, extra: HandlerExtra) => {
      const parsed = CallToolRequestSchema.safeParse(raw);
      if (!parsed.success) rejectMapped(parsed.error);
      const params = parsed.data.params as Params<{ name: string }>;
      return handlers.callTool(session, params, extra).catch(rejectMapped);
    },
  );

  on(GetPromptRequestSchema, (params: Params<{ name: string }>, extra) =>
    handlers.getPrompt(session, params, extra),
  );
  on(ReadResourceRequestSchema, (params: Params<{ uri: string }>, extra) =>
    handlers.readResource(session, params, extra),
  );
  on(SubscribeRequestSchema, (params: Params<{ uri: string }>) => handlers.subscribe(session, params));
  on(UnsubscribeRequestSchema, (params: Params<{ uri: string }>) => handlers.unsubscribe(session, params));
  on(CompleteRequestSchema, (params: Params<{ ref: Record<string, unknown> }>, extra) =>
    handlers.complete(session, params, extra),
  );
  on(SetLevelRequestSchema, (params: Params<{ level: LoggingLevel }>) => handlers.setLevel(session, params));
  server.setNotificationHandler(RootsListChangedNotificationSchema, () => handlers.rootsListChanged(session));
}
