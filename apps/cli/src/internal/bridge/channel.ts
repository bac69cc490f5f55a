// The bridge's end of the local channel (iface14 item 2): connect to `<home>/gateway.sock`, send one
// hello line naming the client, read one answer line. After `ok` the socket carries the app's
// newline-delimited JSON-RPC both ways.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

/** The hello protocol the bridge speaks. */
export const BRIDGE_PROTOCOL = 'bridge/1';

/** Longest hello answer the bridge reads; a gateway's answer is a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * An error shaped like `McpmuxError` (`name`, string `code`, `data`), so the CLI prints its message as
 * one line and `isMcpmuxError` recognises it, without loading `@mcpmux/core` (and zod) into the bridge.
 */
export class BridgeError extends Error {
  override readonly name = 'McpmuxError';
  constructor(
    readonly code: string,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The path of a home's gateway socket, `<home>/gateway.sock`. */
export function socketPathOf(home: string): string {
  return join(home, 'gateway.sock');
}

/** The marker `mcpmux stop` writes: the gateway was stopped on purpose, `<home>/gateway.stopped`. */
export function stoppedMarkerOf(home: string): string {
  return join(home, 'gateway.stopped');
}

/** An open channel after the gateway accepted the hello. */
export interface Channel {
  /** The socket; it carries JSON-RPC lines from now on. */
  socket: Socket;
  /** The gateway's version from its answer. */
  version: string;
  /** Bytes that arrived after the answer line (the first JSON-RPC lines, if any). */
  rest: Buffer;
}

/** The outcome of {@link openChannel}: a channel, no gateway answering, or a refusal. */
export type ChannelResult =
  | { kind: 'open'; channel: Channel }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'refused'; error: BridgeError };

/**
 * Connects to a gateway's socket and says hello for `client`.
 *
 * @param socketPath - `<home>/gateway.sock`.
 * @param client - the client id the gateway serves this connection as.
 * @returns `open` with the socket once the gateway answered `ok`; `unavailable` when nothing listens
 *   (no socket file, connection refused, closed before answering); `refused` with the gateway's error
 *   (e.g. `NOT_FOUND` for an unknown client).
 * @example
 * ```ts
 * const result = await openChannel('/home/me/.mcpmux/gateway.sock', 'cursor');
 * if (result.kind === 'open') result.channel.socket.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
 * ```
 */
export function openChannel(socketPath: string, client: string): Promise<ChannelResult> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let answer: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: ChannelResult) => {
      if (settled) return;
      settled = true;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (result.kind !== 'open') socket.destroy();
      resolve(result);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      finish({ kind: 'unavailable', reason: err.code ?? err.message });
    };
    const onClose = () => finish({ kind: 'unavailable', reason: 'closed before answering the hello' });
    const onData = (chunk: Buffer) => {
      answer = answer.length === 0 ? chunk : Buffer.concat([answer, chunk]);
      const end = answer.indexOf(0x0a);
      if (end === -1) {
        if (answer.length > MAX_ANSWER_BYTES) finish({ kind: 'unavailable', reason: 'no hello answer' });
        return;
      }
      socket.pause();
      finish(parseAnswer(answer.subarray(0, end), answer.subarray(end + 1), socket));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('connect', () => {
      socket.write(`${JSON.stringify({ mcpmux: BRIDGE_PROTOCOL, client })}\n`);
    });
  });
}

function parseAnswer(line: Buffer, rest: Buffer, socket: Socket): ChannelResult {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return { kind: 'unavailable', reason: 'the hello answer is not JSON' };
  }
  if (typeof value !== 'object' || value === null) {
    return { kind: 'unavailable', reason: 'the hello answer is not an object' };
  }
  const answer = value as Record<string, unknown>;
  if (answer.ok === true) {
    const version = typeof answer.version === 'string' ? answer.version : 'unknown';
    return { kind: 'open', channel: { socket, version, rest: Buffer.from(rest) } };
  }
  const error = (typeof answer.error === 'object' && answer.error !== null ? answer.error : {}) as Record<
    string,
    unknown
  >;
  const code = typeof error.code === 'string' ? error.code : 'INTERNAL';
  const message =
    typeof error.message === 'string' && error.message !== ''
      ? error.message
      : 'The mcpmux gateway refused this bridge; see `mcpmux status` and the gateway log in <home>/logs.';
  return { kind: 'refused', error: new BridgeError(code, message) };
}
