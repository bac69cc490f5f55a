/**
 * MCP 2026-07-28 over HTTP: every request stands alone (no handshake, no session). Each client gets
 * one SDK handler (`createMcpHandler`) that builds a server for each request, and one stand-in
 * session that holds what the client's requests share between them: its Space (moved live with the
 * active Space for follow-active clients, as the store changes), its memoized view and the lists it
 * was shown. Its `subscriptions/listen` streams are told of list changes through the handler's bus.
 */
import { randomUUID } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import {
  createMcpHandler,
  InMemoryServerEventBus,
  type McpHttpHandler,
  Server,
  type ServerCapabilities,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { sessionSpace } from '../change-plan.js';
import type { ChangingList } from '../core/caller.js';
import { type RequestHandlers, registerHandlers } from '../core/handlers.js';
import type { SessionRegistry } from '../core/sessions.js';
import type { SpaceRegistry } from '../core/spaces.js';
import type { ViewRegistry } from '../core/views.js';
import type { GatewayLogger } from '../logger.js';
import { paramHeaderMismatch } from '../param-headers.js';
import { invalidParamsAnswer } from '../request-schema.js';
import { DownstreamSession } from '../session.js';

/** What a 2026-07-28 server of the gateway offers: no `logging/setLevel` and no server requests in this era. */
export const MODERN_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true },
  completions: {},
};

/**
 * Every list the gateway serves is this client's alone (its Space, grants and the upstreams' live
 * catalogs) and may change at any moment: never cached by a shared cache, not reused without asking.
 */
export const LIST_CACHE_HINTS = Object.fromEntries(
  ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'].map((method) => [
    method,
    { ttlMs: 0, cacheScope: 'private' as const },
  ]),
);

/** What {@link ModernHttp} needs from the rest of the gateway. */
export interface ModernHttpDeps {
  store: Pick<SpaceStore, 'getClient'>;
  spaces: SpaceRegistry;
  sessions: SessionRegistry;
  views: ViewRegistry;
  handlers: RequestHandlers;
  serverInfo: { name: string; version: string };
  logger: GatewayLogger;
}

interface Entry {
  handler: McpHttpHandler;
  session: DownstreamSession;
}

/** JSON-RPC error of a request whose HTTP headers disagree with its body (2026-07-28). */
const HEADER_MISMATCH = -32020;

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The 2026-07-28 HTTP side of the gateway: one handler and one stand-in session per client. */
export class ModernHttp {
  private readonly entries = new Map<string, Promise<Entry>>();

  constructor(private readonly deps: ModernHttpDeps) {}

  /**
   * Serves one exchange for `clientId`: checks the params of a request the gateway serves (a bad one
   * gets one -32602 line), then lets the client's handler answer it (JSON, or an SSE stream for
   * progress and `subscriptions/listen`).
   * @throws `UNAUTHORIZED` when the client does not exist.
   */
  async fetch(request: Request, clientId: string, parsedBody?: unknown): Promise<Response> {
    let body: unknown = parsedBody;
    if (body === undefined) {
      try {
        body = await request.clone().json();
      } catch {
        body = undefined; // the handler answers what is not JSON
      }
    }
    const invalid = invalidParamsAnswer(body, 'modern');
    if (invalid !== undefined) return jsonResponse(200, invalid);
    const entry = await this.entryFor(clientId);
    const mismatch = await this.headerMismatch(entry, body, request.headers);
    if (mismatch !== undefined) return mismatch;
    return entry.handler.fetch(request, body === undefined ? undefined : { parsedBody: body });
  }

  /**
   * A `tools/call` whose `Mcp-Param-*` headers disagree with its body, answered 400 / -32020 as the
   * spec requires (checked against the tool as this client sees it); undefined for every other request.
   */
  private async headerMismatch(entry: Entry, body: unknown, headers: Headers): Promise<Response | undefined> {
    const { id, method, params } = (body ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
    if (method !== 'tools/call' || typeof params !== 'object' || params === null) return undefined;
    const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
    const view = await entry.session.view().catch(() => undefined);
    const tool = view?.tools.find((t) => t.name === name);
    if (tool === undefined) return undefined;
    const mismatch = paramHeaderMismatch(tool.inputSchema, args, headers);
    if (mismatch === undefined) return undefined;
    return jsonResponse(400, {
      jsonrpc: '2.0',
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: {
        code: HEADER_MISMATCH,
        message: `Bad Request: the request headers and body disagree: ${mismatch.message}`,
        data: { mismatch: { header: mismatch.header, body: mismatch.message } },
      },
    });
  }

  /** Forgets a client's handler and stand-in session (the client was removed, or the gateway closes). */
  async forget(clientId: string): Promise<void> {
    const pending = this.entries.get(clientId);
    if (pending === undefined) return;
    this.entries.delete(clientId);
    const entry = await pending.catch(() => undefined);
    if (entry === undefined) return;
    this.deps.sessions.drop(entry.session);
    await entry.handler.close().catch(() => undefined);
  }

  /** Closes every handler (open listen streams end). */
  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.forget(id)));
  }

  private entryFor(clientId: string): Promise<Entry> {
    let pending = this.entries.get(clientId);
    if (pending === undefined) {
      pending = this.create(clientId);
      const stored = pending;
      this.entries.set(clientId, stored);
      stored.catch(() => {
        if (this.entries.get(clientId) === stored) this.entries.delete(clientId);
      });
    }
    return pending;
  }

  private async create(clientId: string): Promise<Entry> {
    const { store, spaces, sessions, views, handlers, serverInfo, logger } = this.deps;
    const client = await store.getClient(clientId);
    if (client === undefined) {
      throw new McpmuxError('UNAUTHORIZED', `Client "${clientId}" does not exist.`, {
        data: { entity: 'client', id: clientId },
      });
    }
    const session = new DownstreamSession(
      `http-${randomUUID()}`,
      client.id,
      sessionSpace(client.mode, client.pinnedSpaceId, spaces.activeSpaceId) ?? '',
      client.mode,
      client.pinnedSpaceId,
      (s, purpose) => views.viewOf(s, purpose),
    );
    session.protocolVersion = '2026-07-28';
    // A client that opens a listen stream before it ever listed is told of changes from then on.
    const inner = new InMemoryServerEventBus();
    const bus: ServerEventBus = {
      publish: (event) => inner.publish(event),
      subscribe: (listener) => {
        void session.view('list').catch(() => undefined);
        return inner.subscribe(listener);
      },
    };
    const handler = createMcpHandler(
      () => {
        const server = new Server(serverInfo, {
          capabilities: MODERN_CAPABILITIES,
          cacheHints: LIST_CACHE_HINTS,
        });
        registerHandlers(server, session, handlers);
        return server;
      },
      {
        legacy: 'reject',
        bus,
        onerror: (error) =>
          logger.debug({ clientId, err: error.message }, 'gateway: 2026-07-28 exchange failed'),
      },
    );
    const notify: Record<ChangingList, () => void> = {
      tools: () => handler.notify.toolsChanged(),
      prompts: () => handler.notify.promptsChanged(),
      resources: () => handler.notify.resourcesChanged(),
    };
    session.outlet = {
      capabilities: () => undefined,
      ask: (message) =>
        Promise.reject(new Error(`${message.method} cannot be sent to a 2026-07-28 client over HTTP`)),
      notify: () => Promise.resolve(),
      sendListChanged: async (kind) => notify[kind](),
      close: () => this.forget(clientId),
    };
    sessions.add(session);
    if (session.spaceId !== '') void spaces.warm(session.spaceId);
    return { handler, session };
  }
}
