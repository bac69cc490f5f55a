// The thin stdio bridge (DESIGN §8, iface14 item 4): an app's newline-delimited JSON-RPC relayed to
// the home's one gateway over `<home>/gateway.sock`. No vault, no upstream, no database, no MCP SDK:
// only `node:*` and the small modules next to this one, so it starts in about Node's own start-up.
//
// What it reads of each line is its top-level `id` and `method` (envelope.ts), to remember the app's
// requests in flight and its `initialize`; the rare `resources/subscribe`, `resources/unsubscribe` and
// `logging/setLevel` lines are parsed in full (session-state.ts). When the gateway goes away (a crash,
// `mcpmux restart`), the calls in flight fail with an error that says so, the bridge reconnects
// (starting the gateway again), replays the app's handshake, its logging level and its resource
// subscriptions (answers swallowed) and tells the app its lists may have changed. When the gateway
// was stopped on purpose (`mcpmux stop` leaves `<home>/gateway.stopped`), the bridge exits.
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BridgeError, type Channel, openChannel, socketPathOf, stoppedMarkerOf } from './channel.js';
import { idKey, readEnvelope } from './envelope.js';
import {
  addressOf,
  type GatewayRecord,
  type LaunchGatewayOptions,
  launchGateway,
  processExists,
  readGatewayRecord,
} from './gateway-launch.js';
import { LineSplitter } from './lines.js';
import { SessionState } from './session-state.js';

/** The error message of an app's call that was in flight when the gateway went away. */
export const GATEWAY_LOST_MESSAGE =
  'the mcpmux gateway restarted (or stopped) while this call was in flight; retry it';

/**
 * The JSON-RPC error code of such a call: the gateway's "not connected" code (-32010), which apps
 * already see for an upstream that is restarting.
 */
export const GATEWAY_LOST_CODE = -32010;

/**
 * The longest line the bridge holds to read its envelope. The gateway refuses lines over 10 MiB, so a
 * longer line is streamed through untracked and answered by the gateway's own error.
 */
const MAX_HELD_LINE_BYTES = 16 * 1024 * 1024;

/** Reconnections in a row that may fail before the bridge gives up. */
const MAX_RECONNECT_ATTEMPTS = 3;

const NEWLINE = Buffer.from('\n');

/** How long a reconnecting bridge waits for the gateway it lost to exit before starting another. */
const OLD_GATEWAY_EXIT_WAIT_MS = 15_000;
const POLL_MS = 50;

/**
 * Starts the home's gateway when none answers and resolves once it does (`mcpmux start`, i.e. the
 * CLI's `ensureGateway`); `address` asks for the address the lost gateway had.
 */
export type EnsureGateway = (options: LaunchGatewayOptions) => Promise<GatewayRecord>;

/** Options of {@link runBridge}. */
export interface BridgeOptions {
  /** The absolute mcpmux home. */
  home: string;
  /** The environment; passed to the gateway when the bridge starts it (the bridge reads nothing of it). */
  env: Record<string, string | undefined>;
  /** The client the gateway serves this bridge as. */
  client: string;
  /** The app's messages. */
  stdin: Readable;
  /** Where the app reads; only JSON-RPC lines are ever written here. Ended when the bridge ends. */
  stdout: Writable;
  /** One-line notes for the app's log (reconnects, the stop, errors). */
  stderr: Writable;
  /** Ends the bridge like a closed stdin (SIGTERM, SIGINT). */
  signal?: AbortSignal;
  /** Starts the gateway when none answers. Default: {@link launchGateway} (`mcpmux start` in a child). */
  ensureGateway?: EnsureGateway;
}

type State = 'connecting' | 'replaying' | 'connected' | 'reconnecting' | 'done';

/** The envelope-level parts of a JSON-RPC error the bridge answers itself. */
function errorLine(id: string | number, code: number, message: string, dataCode: string): Buffer {
  return Buffer.from(
    `${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message, data: { code: dataCode } } })}\n`,
  );
}

function notificationLine(method: string): Buffer {
  return Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
}

function parseObject(line: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'UPSTREAM_UNAVAILABLE';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Relay {
  readonly #o: BridgeOptions;
  readonly #ensure: EnsureGateway;
  readonly #socketPath: string;
  #state: State = 'connecting';
  #socket: Socket | undefined;
  /** Bumped for every connection, so events of an old socket are ignored. */
  #generation = 0;
  /** The app's requests sent (or queued) and not answered yet: key -> id as the app sent it. */
  readonly #inFlight = new Map<string, string | number>();
  /** App lines waiting for a connection. */
  #queue: Buffer[] = [];
  /** The app's `initialize` request, replayed after a reconnection. */
  #initialize: Record<string, unknown> | undefined;
  /** True once the app sent `notifications/initialized`. */
  #initialized = false;
  /** The id of the replayed `initialize`, while its answer is awaited. */
  #replayId: string | undefined;
  /** The app's subscriptions and logging level, replayed after the handshake. */
  readonly #session = new SessionState();
  /** Ids of the replayed subscribe and setLevel requests whose answers are swallowed -> the uri of a subscribe. */
  readonly #replayedIds = new Map<string, string | undefined>();
  #failedReconnects = 0;
  /** The gateway of the current (or lost) connection, from its `gateway.json`. */
  #gateway: GatewayRecord | undefined;
  readonly #fromApp = new LineSplitter(MAX_HELD_LINE_BYTES);
  readonly #fromGateway = new LineSplitter(MAX_HELD_LINE_BYTES);
  #waitingForSocketDrain = false;
  #waitingForStdoutDrain = false;
  /** True once the app closed its input: the bridge ends when its last call is answered. */
  #draining = false;
  #resolve: (code: number) => void = () => {};
  readonly done: Promise<number>;

  constructor(options: BridgeOptions) {
    this.#o = options;
    this.#ensure = options.ensureGateway ?? launchGateway;
    this.#socketPath = socketPathOf(options.home);
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  start(): Promise<number> {
    const { stdin, stdout, signal } = this.#o;
    if (signal?.aborted === true) {
      this.#finish(0);
      return this.done;
    }
    stdin.on('data', this.#onAppData);
    stdin.on('end', this.#onAppInputEnd);
    stdin.on('error', this.#onAppEnd);
    stdout.on('error', this.#onAppEnd);
    signal?.addEventListener('abort', this.#onAppEnd, { once: true });
    void this.#connect(false);
    return this.done;
  }

  // --- connection -------------------------------------------------------------------------------

  /**
   * Opens a channel, starting the gateway when none answers (at `address` when given); throws when
   * that fails.
   */
  async #open(address: { host: string; port: number } | undefined): Promise<Channel> {
    let result = await openChannel(this.#socketPath, this.#o.client);
    if (result.kind === 'unavailable') {
      const gateway = await this.#ensure({
        home: this.#o.home,
        env: this.#o.env,
        ...(address === undefined ? {} : { address }),
      });
      this.#note(`the mcpmux gateway of ${this.#o.home} runs as pid ${gateway.pid} (${gateway.url}).`);
      if (this.#state === 'done') throw new BridgeError('INTERNAL', 'the bridge ended');
      result = await openChannel(this.#socketPath, this.#o.client);
    }
    if (result.kind === 'refused') throw result.error;
    if (result.kind === 'unavailable') {
      throw new BridgeError(
        'UPSTREAM_UNAVAILABLE',
        `The mcpmux gateway of ${this.#o.home} does not answer on ${this.#socketPath} (${result.reason}). Run \`mcpmux status\` and see ${join(this.#o.home, 'logs', 'gateway.log')}.`,
      );
    }
    return result.channel;
  }

  async #connect(replay: boolean): Promise<void> {
    const lost = this.#gateway;
    let channel: Channel;
    try {
      channel = await this.#open(lost === undefined ? undefined : addressOf(lost.url));
    } catch (err) {
      if (this.#state !== 'done') this.#fatal(err);
      return;
    }
    if (this.#state === 'done') {
      channel.socket.destroy();
      return;
    }
    this.#attach(channel, replay);
  }

  #attach(channel: Channel, replay: boolean): void {
    const generation = ++this.#generation;
    const socket = channel.socket;
    this.#socket = socket;
    this.#gateway = readGatewayRecord(this.#o.home) ?? this.#gateway;
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.#generation) this.#onGatewayData(chunk);
    });
    socket.on('close', () => {
      if (generation === this.#generation) this.#onLost();
    });
    socket.on('error', () => {
      // 'close' follows and handles it.
    });
    socket.on('drain', () => {
      if (generation !== this.#generation || !this.#waitingForSocketDrain) return;
      this.#waitingForSocketDrain = false;
      this.#o.stdin.resume();
    });
    if (replay && this.#initialize !== undefined) {
      this.#state = 'replaying';
      this.#replayId = `mcpmux-bridge-replay-${generation}`;
      socket.write(`${JSON.stringify({ ...this.#initialize, id: this.#replayId })}\n`);
    }
    if (channel.rest.length > 0) this.#onGatewayData(channel.rest);
    socket.resume();
    if (this.#state !== 'replaying') this.#ready(false);
  }

  /** The connection is usable: send what waited, and after a reconnection tell the app. */
  #ready(reconnected: boolean): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#state = 'connected';
    this.#failedReconnects = 0;
    if (reconnected && this.#initialized) {
      socket.write(notificationLine('notifications/initialized'));
      let n = 0;
      for (const request of this.#session.replay()) {
        const id = `mcpmux-bridge-replay-${this.#generation}-${++n}`;
        const uri = request.method === 'resources/subscribe' ? String(request.params.uri) : undefined;
        this.#replayedIds.set(id, uri);
        socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, ...request })}\n`);
      }
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const line of queued) this.#toGateway(line);
    if (reconnected && this.#initialized) {
      this.#write(notificationLine('notifications/tools/list_changed'));
      this.#write(notificationLine('notifications/prompts/list_changed'));
      this.#write(notificationLine('notifications/resources/list_changed'));
    }
    if (this.#draining && this.#inFlight.size === 0) this.#finish(0);
  }

  #onLost(): void {
    if (this.#state === 'done') return;
    this.#socket = undefined;
    this.#replayId = undefined;
    this.#replayedIds.clear();
    this.#session.onLost();
    this.#fromGateway.reset();
    this.#state = 'reconnecting';
    this.#failInFlight(GATEWAY_LOST_MESSAGE, 'UPSTREAM_UNAVAILABLE');
    this.#queue = [];
    if (this.#waitingForSocketDrain) {
      this.#waitingForSocketDrain = false;
      this.#o.stdin.resume();
    }
    if (this.#draining) {
      this.#finish(0);
      return;
    }
    if (this.#stoppedOnPurpose()) return;
    this.#failedReconnects++;
    if (this.#failedReconnects > MAX_RECONNECT_ATTEMPTS) {
      this.#fatal(
        new BridgeError(
          'UPSTREAM_UNAVAILABLE',
          `The mcpmux gateway of ${this.#o.home} went away ${MAX_RECONNECT_ATTEMPTS + 1} times in a row; see ${join(this.#o.home, 'logs', 'gateway.log')} and \`mcpmux status\`.`,
        ),
      );
      return;
    }
    this.#note('lost the connection to the mcpmux gateway; reconnecting.');
    void this.#reconnect();
  }

  /**
   * Waits (bounded) for the lost gateway's process to end, so a gateway that is still shutting down
   * (`mcpmux restart`) is never mistaken for a running one, then connects again, starting a gateway
   * at the lost one's address when none answers.
   */
  async #reconnect(): Promise<void> {
    const lost = this.#gateway;
    if (lost !== undefined) {
      const deadline = Date.now() + OLD_GATEWAY_EXIT_WAIT_MS;
      while (processExists(lost.pid) && Date.now() < deadline && this.#state !== 'done') await sleep(POLL_MS);
    }
    if (this.#state === 'done') return;
    if (this.#stoppedOnPurpose()) return;
    await this.#connect(true);
  }

  /** When `mcpmux stop` left its marker: says so, ends the bridge and returns true. */
  #stoppedOnPurpose(): boolean {
    if (!existsSync(stoppedMarkerOf(this.#o.home))) return false;
    this.#note(
      'the mcpmux gateway was stopped (`mcpmux stop`); this bridge exits. Run `mcpmux start`, then restart the app (or its mcpmux server) to reconnect.',
    );
    this.#failInFlight(GATEWAY_LOST_MESSAGE, 'UPSTREAM_UNAVAILABLE');
    this.#finish(0);
    return true;
  }

  // --- app -> gateway ---------------------------------------------------------------------------

  readonly #onAppData = (chunk: Buffer | string): void => {
    if (this.#state === 'done') return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#fromApp.push(buf, {
      line: (line) => this.#onAppLine(line),
      overflow: (piece, end) => {
        // Too long to hold: streamed through untracked; the gateway answers its line-length error.
        if (this.#state !== 'connected' || this.#socket === undefined) return;
        this.#socket.write(piece);
        if (end) this.#socket.write(NEWLINE);
      },
    });
  };

  #onAppLine(line: Buffer): void {
    const envelope = readEnvelope(line);
    if (envelope?.method !== undefined) {
      if (envelope.method === 'initialize') this.#initialize = parseObject(line) ?? this.#initialize;
      else if (envelope.method === 'notifications/initialized') this.#initialized = true;
      else if (SessionState.follows(envelope.method)) {
        const message = parseObject(line);
        if (message !== undefined) {
          this.#session.onAppRequest(envelope.id === undefined ? undefined : idKey(envelope.id), message);
        }
      }
      if (envelope.id !== undefined) this.#inFlight.set(idKey(envelope.id), envelope.id);
    }
    this.#toGateway(line);
  }

  #toGateway(line: Buffer): void {
    const socket = this.#socket;
    if (this.#state !== 'connected' || socket === undefined) {
      this.#queue.push(Buffer.from(line));
      return;
    }
    if (!socket.write(Buffer.concat([line, NEWLINE])) && !this.#waitingForSocketDrain) {
      this.#waitingForSocketDrain = true;
      this.#o.stdin.pause();
    }
  }

  /** The app closed its input: answer what is in flight, then end. */
  readonly #onAppInputEnd = (): void => {
    this.#draining = true;
    // Before the first connection the bridge still owes its verdict on the client (a refusal exits 1).
    if (this.#state === 'connecting') return;
    if (this.#inFlight.size === 0) this.#finish(0);
  };

  /** The app is gone (a stream error) or the process is told to stop: end now. */
  readonly #onAppEnd = (): void => {
    this.#finish(0);
  };

  // --- gateway -> app ---------------------------------------------------------------------------

  #onGatewayData(chunk: Buffer): void {
    this.#fromGateway.push(chunk, {
      line: (line) => this.#onGatewayLine(line),
      overflow: (piece, end) => {
        this.#write(piece);
        if (end) this.#write(NEWLINE);
      },
    });
  }

  #onGatewayLine(line: Buffer): void {
    if (this.#inFlight.size > 0 || this.#replayId !== undefined || this.#replayedIds.size > 0) {
      const envelope = readEnvelope(line);
      if (envelope !== undefined && envelope.method === undefined && envelope.id !== undefined) {
        if (envelope.id === this.#replayId) {
          this.#onReplayAnswer(line);
          return;
        }
        if (typeof envelope.id === 'string' && this.#replayedIds.has(envelope.id)) {
          this.#onReplayedRequestAnswer(envelope.id, line);
          return;
        }
        const key = idKey(envelope.id);
        this.#inFlight.delete(key);
        if (this.#session.awaits(key)) this.#session.onAnswer(key, parseObject(line)?.error === undefined);
      }
    }
    this.#write(Buffer.concat([line, NEWLINE]));
    if (this.#draining && this.#inFlight.size === 0) this.#finish(0);
  }

  /** The gateway answered the replayed `initialize`: swallow it and carry on (or give up on an error). */
  #onReplayAnswer(line: Buffer): void {
    this.#replayId = undefined;
    // An unreadable answer counts as success: the app's next call will tell.
    const error = parseObject(line)?.error as { message?: unknown } | undefined;
    if (error !== undefined) {
      const reason = typeof error.message === 'string' ? error.message : 'an error';
      this.#fatal(
        new BridgeError(
          'UPSTREAM_UNAVAILABLE',
          `The restarted mcpmux gateway refused the app's initialize (${reason}); restart the app.`,
        ),
      );
      return;
    }
    this.#ready(true);
  }

  /** The gateway answered a replayed subscribe or setLevel: swallow it; a refused subscribe is forgotten. */
  #onReplayedRequestAnswer(id: string, line: Buffer): void {
    const uri = this.#replayedIds.get(id);
    this.#replayedIds.delete(id);
    const error = parseObject(line)?.error as { message?: unknown } | undefined;
    if (error === undefined) return;
    const reason = typeof error.message === 'string' ? error.message : 'an error';
    if (uri !== undefined) {
      this.#session.forget(uri);
      this.#note(
        `the restarted mcpmux gateway refused the app's subscription to ${uri} (${reason}); the app no longer gets its updates.`,
      );
    } else {
      this.#note(`the restarted mcpmux gateway refused the app's logging level (${reason}).`);
    }
  }

  #write(bytes: Buffer): void {
    const { stdout } = this.#o;
    if (stdout.writableEnded || stdout.destroyed) return;
    if (!stdout.write(bytes) && !this.#waitingForStdoutDrain) {
      this.#waitingForStdoutDrain = true;
      this.#socket?.pause();
      stdout.once('drain', () => {
        this.#waitingForStdoutDrain = false;
        this.#socket?.resume();
      });
    }
  }

  // --- endings ----------------------------------------------------------------------------------

  #failInFlight(message: string, code: string): void {
    for (const id of this.#inFlight.values()) this.#write(errorLine(id, GATEWAY_LOST_CODE, message, code));
    this.#inFlight.clear();
  }

  #fatal(err: unknown): void {
    const message = messageOf(err);
    this.#note(`error: ${message.replace(/\s*\n\s*/g, ' ')}`);
    this.#failInFlight(message, codeOf(err));
    this.#finish(1);
  }

  #note(text: string): void {
    const { stderr } = this.#o;
    if (!stderr.writableEnded && !stderr.destroyed) stderr.write(`mcpmux stdio: ${text}\n`);
  }

  #finish(code: number): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    const { stdin, stdout, signal } = this.#o;
    signal?.removeEventListener('abort', this.#onAppEnd);
    stdin.off('data', this.#onAppData);
    stdin.off('end', this.#onAppInputEnd);
    stdin.off('error', this.#onAppEnd);
    stdout.off('error', this.#onAppEnd);
    stdout.on('error', () => {
      // the app is gone; nothing more to tell it
    });
    if (!stdin.readableEnded) stdin.destroy();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      // Flush what the app sent last (e.g. a notification), then let the gateway close its side.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    if (!stdout.writableEnded) stdout.end();
    this.#resolve(code);
  }
}

/**
 * Relays one app's stdio to the home's running gateway over `<home>/gateway.sock`, starting the
 * gateway when none answers (see the module comment for reconnection and stop).
 *
 * @param options - see {@link BridgeOptions}.
 * @returns the exit code: 0 when the app closed its input, the signal fired or the gateway was
 *   stopped on purpose; 1 when the gateway cannot be reached or refuses the client (the reason is on
 *   `stderr`, and the app's pending requests are answered with it).
 * @example
 * ```ts
 * const code = await runBridge({
 *   home: '/home/me/.mcpmux', env: process.env, client: 'cursor',
 *   stdin: process.stdin, stdout: process.stdout, stderr: process.stderr,
 * });
 * ```
 */
export function runBridge(options: BridgeOptions): Promise<number> {
  return new Relay(options).start();
}
