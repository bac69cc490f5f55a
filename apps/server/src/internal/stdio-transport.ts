// The stdio bridge's transport: newline-delimited JSON-RPC on a pair of streams, like the SDK's
// StdioServerTransport, but every line is checked before it is parsed. A line nested deeper than
// the limit, longer than the line limit, not JSON or not JSON-RPC is answered with a JSON-RPC error
// (id null) and dropped; the session goes on.
import type { Readable, Writable } from 'node:stream';
import { type JSONRPCMessage, parseJSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import { RPC } from './http-util.js';
import { exceedsJsonDepth, tooDeepMessage } from './json-depth.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Limits of a {@link StdioLineTransport}. */
export interface StdioLineLimits {
  /** Deepest nesting of arrays and objects in one message. */
  maxJsonDepth: number;
  /** Longest line in bytes. */
  maxLineBytes: number;
}

function isBlank(line: Uint8Array): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

/** Newline-delimited JSON-RPC over `stdin`/`stdout`, with limits checked before parsing. */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #stdin: Readable;
  readonly #stdout: Writable;
  readonly #limits: StdioLineLimits;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** True while the rest of an over-long line is skipped. */
  #skipping = false;
  #started = false;
  #closed = false;

  constructor(stdin: Readable, stdout: Writable, limits: StdioLineLimits) {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#limits = limits;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error('StdioLineTransport already started.');
    this.#started = true;
    this.#stdin.on('data', this.#onData);
    this.#stdin.on('error', this.#onError);
  }

  readonly #onError = (error: Error): void => {
    this.onerror?.(error);
  };

  readonly #onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (!this.#closed) {
      const end = buf.indexOf(NEWLINE, start);
      if (end === -1) {
        this.#hold(buf.subarray(start));
        return;
      }
      const piece = buf.subarray(start, end);
      start = end + 1;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (this.#pendingBytes + piece.length > this.#limits.maxLineBytes) {
        this.#dropPending();
        this.#tooLong();
        continue;
      }
      const line = this.#pending.length === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#dropPending();
      this.#line(line);
    }
  };

  #hold(rest: Buffer): void {
    if (rest.length === 0 || this.#skipping) return;
    if (this.#pendingBytes + rest.length > this.#limits.maxLineBytes) {
      this.#dropPending();
      this.#skipping = true;
      this.#tooLong();
      return;
    }
    // Copy: the stream may reuse the chunk's memory.
    this.#pending.push(Buffer.from(rest));
    this.#pendingBytes += rest.length;
  }

  #dropPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #tooLong(): void {
    this.#answerError(
      RPC.INVALID_REQUEST,
      `Invalid request: a message exceeds the limit of ${this.#limits.maxLineBytes} bytes.`,
    );
  }

  #line(line: Buffer): void {
    if (isBlank(line)) return;
    if (exceedsJsonDepth(line, this.#limits.maxJsonDepth)) {
      this.#answerError(RPC.INVALID_REQUEST, tooDeepMessage(this.#limits.maxJsonDepth));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch {
      this.#answerError(RPC.PARSE_ERROR, 'Parse error: the line is not valid JSON.');
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(parsed);
    } catch {
      this.#answerError(RPC.INVALID_REQUEST, 'Invalid request: not a valid JSON-RPC message.');
      return;
    }
    this.onmessage?.(message);
  }

  #answerError(code: number, message: string): void {
    void this.send({ jsonrpc: '2.0', error: { code, message }, id: null } as unknown as JSONRPCMessage);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // Settles when the line is flushed or the stream failed (a destroyed stream never drains).
    return new Promise((resolve, reject) => {
      this.#stdout.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stdin.off('data', this.#onData);
    this.#stdin.off('error', this.#onError);
    if (this.#stdin.listenerCount('data') === 0) this.#stdin.pause();
    this.#dropPending();
    this.onclose?.();
  }
}
