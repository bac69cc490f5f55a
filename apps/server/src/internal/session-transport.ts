// One downstream Streamable HTTP session as an SDK `Transport`. Each POST that carries requests
// becomes an exchange: its responses are written as one JSON body (the fast path), unless something
// must be streamed before they are done (progress, logging, sampling, elicitation): then the
// exchange switches to SSE on the spot. Messages related to no request go to the session's GET
// stream, if one is open.
import type { ServerResponse } from 'node:http';
import type {
  JSONRPCMessage,
  RequestId,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && ('result' in message || 'error' in message);
}

/** The request id a `notifications/cancelled` names, if `message` is one. */
function cancelledId(message: JSONRPCMessage): RequestId | undefined {
  if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) {
    return undefined;
  }
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** The answer to one POST that carried requests. */
export class Exchange {
  readonly #res: ServerResponse;
  readonly #session: SessionTransport;
  readonly #pending: Set<RequestId>;
  readonly #batch: boolean;
  readonly #acceptsSse: boolean;
  readonly #buffered: JSONRPCMessage[] = [];
  #sse = false;
  #done = false;

  constructor(
    res: ServerResponse,
    session: SessionTransport,
    ids: RequestId[],
    options: { batch: boolean; acceptsSse: boolean },
  ) {
    this.#res = res;
    this.#session = session;
    this.#pending = new Set(ids);
    this.#batch = options.batch;
    this.#acceptsSse = options.acceptsSse;
    res.on('close', () => {
      if (this.#done) return;
      this.#done = true;
      this.#session.abandon([...this.#pending]);
    });
  }

  /** True while the client still listens and may receive streamed messages. */
  get canStream(): boolean {
    return !this.#done && this.#acceptsSse;
  }

  respond(message: JSONRPCMessage & { id: RequestId }): void {
    if (this.#done) return;
    this.#pending.delete(message.id);
    if (this.#sse) {
      this.#res.write(sseEvent(message));
    } else {
      this.#buffered.push(message);
    }
    if (this.#pending.size === 0) this.#complete();
  }

  /**
   * The client cancelled request `id` (`notifications/cancelled`): no response will come for it, so
   * the exchange stops waiting for one. When nothing else is pending the HTTP response ends: the
   * other responses of a batch as JSON, the SSE stream closed, or (nothing answered yet) an empty
   * event stream, or `202` for a client that accepts JSON only.
   */
  cancel(id: RequestId): void {
    if (this.#done || !this.#pending.delete(id)) return;
    if (this.#pending.size === 0) this.#complete();
  }

  stream(message: JSONRPCMessage): void {
    if (!this.#sse) {
      this.#sse = true;
      this.#res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.#session.sessionId });
      for (const buffered of this.#buffered) this.#res.write(sseEvent(buffered));
      this.#buffered.length = 0;
    }
    this.#res.write(sseEvent(message));
  }

  /** Ends the HTTP response (session closing). */
  end(): void {
    if (this.#done) return;
    this.#finish();
  }

  /** Every request of the POST is answered or cancelled. */
  #complete(): void {
    this.#done = true;
    if (this.#sse) {
      this.#res.end();
    } else if (this.#buffered.length > 0) {
      const body = JSON.stringify(this.#batch ? this.#buffered : this.#buffered[0]);
      this.#res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'mcp-session-id': this.#session.sessionId,
      });
      this.#res.end(body);
    } else if (this.#acceptsSse) {
      this.#res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.#session.sessionId });
      this.#res.end();
    } else {
      this.#res.writeHead(202, { 'mcp-session-id': this.#session.sessionId, 'content-length': 0 });
      this.#res.end();
    }
  }

  #finish(): void {
    this.#done = true;
    if (!this.#sse && !this.#res.headersSent) {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Session closed' },
        id: null,
      });
      this.#res.writeHead(503, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      this.#res.end(body);
      return;
    }
    this.#res.end();
  }
}

/**
 * The transport of one session. The HTTP server creates it, binds it to the authenticated client,
 * passes it to the gateway (`connect`), and feeds it the messages of each request.
 */
export class SessionTransport implements Transport {
  readonly sessionId: string;
  readonly clientId: string;
  /** `Date.now()`-style time of the last request, or of the moment the last one in flight ended. */
  lastActivity: number;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #inflight = new Map<RequestId, Exchange>();
  readonly #now: () => number;
  #standalone: ServerResponse | undefined;
  #closed = false;

  constructor(sessionId: string, clientId: string, now: () => number) {
    this.sessionId = sessionId;
    this.clientId = clientId;
    this.#now = now;
    this.lastActivity = now();
  }

  async start(): Promise<void> {}

  /** Requests still being answered. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /** True when no request is in flight and no GET stream is open. */
  get idle(): boolean {
    return this.#inflight.size === 0 && this.#standalone === undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get hasStandaloneStream(): boolean {
    return this.#standalone !== undefined;
  }

  /** True when a request with this id is still being answered. */
  isInflight(id: RequestId): boolean {
    return this.#inflight.has(id);
  }

  /**
   * Delivers the messages of one POST; requests are answered through `exchange` (if any). A
   * `notifications/cancelled` for a request in flight also releases that request here: the gateway
   * sends no response for it, so its exchange stops waiting, and the id is free again.
   */
  receive(messages: JSONRPCMessage[], exchange: Exchange | undefined): void {
    if (exchange !== undefined) {
      for (const m of messages) if ('method' in m && 'id' in m) this.#inflight.set(m.id, exchange);
    }
    for (const m of messages) {
      this.onmessage?.(m);
      const cancelled = cancelledId(m);
      if (cancelled !== undefined) this.#release(cancelled);
    }
  }

  #release(id: RequestId): void {
    const exchange = this.#inflight.get(id);
    if (exchange === undefined) return;
    this.#inflight.delete(id);
    this.#settled();
    exchange.cancel(id);
  }

  /** A request stopped being in flight: the idle clock starts from the last one. */
  #settled(): void {
    if (this.#inflight.size === 0) this.lastActivity = this.#now();
  }

  /** Opens the GET stream for messages related to no request. */
  openStandalone(res: ServerResponse): void {
    this.#standalone = res;
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
    res.write(': stream open\n\n');
    res.on('close', () => {
      if (this.#standalone === res) this.#standalone = undefined;
    });
  }

  /** The client went away before these requests were answered: cancel them upstream. */
  abandon(ids: RequestId[]): void {
    for (const id of ids) {
      if (!this.#inflight.delete(id) || this.#closed) continue;
      this.#settled();
      this.onmessage?.({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'The client closed the HTTP request.' },
      });
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return;
    if (isResponse(message)) {
      const exchange = this.#inflight.get(message.id);
      if (exchange === undefined) return;
      this.#inflight.delete(message.id);
      this.#settled();
      exchange.respond(message);
      return;
    }
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      const exchange = this.#inflight.get(related);
      if (exchange?.canStream) {
        exchange.stream(message);
        return;
      }
    }
    if (this.#standalone !== undefined) {
      this.#standalone.write(sseEvent(message));
      return;
    }
    if ('id' in message) throw new Error('No open stream to the client for this request.');
    // A notification with nowhere to go is dropped, as the specification allows.
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exchanges = new Set(this.#inflight.values());
    this.#inflight.clear();
    for (const exchange of exchanges) exchange.end();
    this.#standalone?.end();
    this.#standalone = undefined;
    this.onclose?.();
  }
}
