import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMcpHandler,
  type EventStore,
  hostHeaderValidationResponse,
  isLegacyRequest,
  type JSONRPCMessage,
  localhostAllowedHostnames,
  originValidationResponse,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { createFixtureServer } from './fixture.js';

/** Keeps every event of the fixture's streams in memory so a client can resume with Last-Event-ID. */
export class MemoryEventStore implements EventStore {
  readonly #events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  #next = 0;

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const eventId = `${streamId}_${String(++this.#next).padStart(10, '0')}`;
    this.#events.set(eventId, { streamId, message });
    return eventId;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const streamId = this.#events.get(lastEventId)?.streamId;
    if (streamId === undefined) return '';
    let after = false;
    for (const [eventId, event] of this.#events) {
      if (eventId === lastEventId) {
        after = true;
        continue;
      }
      if (after && event.streamId === streamId) await send(eventId, event.message);
    }
    return streamId;
  }
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The Node request as a web-standard `Request` (aborted when the client goes away). */
function toWebRequest(req: IncomingMessage, body: Buffer, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers, signal });
  return new Request(url, { method, headers, signal, body: new Uint8Array(body) });
}

/** Writes a web-standard `Response` to the Node response, streaming its body (SSE included). */
async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = [...(headers[name] ?? []), value];
  });
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  res.on('close', () => {
    reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The client went away or the stream was cancelled.
  }
  res.end();
}

/** A running fixture over Streamable HTTP. */
export interface FixtureHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the fixture over Streamable HTTP at `http://127.0.0.1:PORT/mcp`, both eras on one endpoint:
 * 2026-07-28 requests (those carrying the per-request `_meta` envelope) per request through
 * `createMcpHandler(..., { legacy: 'reject' })`, 2025 traffic through one sessionful SDK transport
 * per session with an event store (resumability) and a 1 s SSE retry hint. Host and Origin must be
 * loopback (DNS rebinding protection) for both.
 *
 * @param options.port - 0 (default) picks a free port.
 */
export async function startFixtureHttp(options: { port?: number } = {}): Promise<FixtureHttpServer> {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const modern = createMcpHandler(() => createFixtureServer({ notify: modern.notify }), {
    legacy: 'reject',
  });
  const allowedHosts = localhostAllowedHostnames();

  const legacy = async (request: Request, parsedBody: unknown): Promise<Response> => {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId !== null) {
      const transport = sessions.get(sessionId);
      if (transport === undefined) return jsonRpcError(404, -32001, 'Session not found');
      return transport.handleRequest(request, { parsedBody });
    }
    if (request.method !== 'POST')
      return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new MemoryEventStore(),
      retryInterval: 1000,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await createFixtureServer().connect(transport);
    return transport.handleRequest(request, { parsedBody });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const request = toWebRequest(req, await readBody(req), abort.signal);
    const refused =
      new URL(request.url).pathname !== '/mcp'
        ? jsonRpcError(404, -32000, 'Not found')
        : (hostHeaderValidationResponse(request, allowedHosts) ??
          originValidationResponse(request, allowedHosts));
    if (refused !== undefined) return writeWebResponse(res, refused);
    let parsedBody: unknown;
    if (request.method === 'POST') {
      try {
        parsedBody = JSON.parse(await request.clone().text());
      } catch {
        parsedBody = undefined;
      }
    }
    const useLegacy =
      request.headers.has('mcp-session-id') ||
      (request.method === 'POST' && parsedBody !== undefined && (await isLegacyRequest(request, parsedBody)));
    const response = useLegacy
      ? await legacy(request, parsedBody)
      : await modern.fetch(request, parsedBody === undefined ? {} : { parsedBody });
    await writeWebResponse(res, response);
  };

  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      await modern.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
