/**
 * A stdio client transport for upstream MCP servers that, unlike the SDK's, owns its child process
 * completely: no shell, its own process group, a minimal environment, and a shutdown that kills the
 * whole group.
 *
 * Orphans: the child runs in its own process group (`detached: true`) so that signals sent to the
 * gateway's terminal do not reach it directly and so that `close()` can kill the group (including
 * grandchildren such as the real server behind an `npx` wrapper). If the gateway process dies
 * abruptly (SIGKILL, out-of-memory abort) it cannot signal anyone: the process-group watchdog
 * (`group-watchdog.ts`), which every spawned group is registered with, sees its stdin pipe from the
 * gateway close and kills the groups, so even a server that ignores stdin EOF and SIGTERM is gone
 * within the watchdog's grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type JSONRPCMessage, serializeMessage, type Transport } from '@modelcontextprotocol/client';
import { type GroupWatchdog, sharedGroupWatchdog } from './group-watchdog.js';
import { adoptPrespawned, type PrespawnedChild } from './prespawned.js';

/** The most a child may write without a newline: 10 MiB, as the SDK's stdio transport allows. */
export const MAX_LINE_BUFFER_BYTES = 10 * 1024 * 1024;

/**
 * Splits a child's stdout into JSON-RPC messages, one per line, like the SDK's `ReadBuffer` (lines
 * that are not JSON are skipped: servers print banners there) but without its per-message zod parse:
 * the SDK client classifies every message against the same schemas again when it receives it (and
 * reports one it cannot place), so the gateway checks only the JSON-RPC envelope here. The parsed
 * object is handed on as is (own `__proto__` members stay plain data).
 */
export class LineBuffer {
  private buffer: Buffer | undefined;

  constructor(private readonly maxBytes: number = MAX_LINE_BUFFER_BYTES) {}

  append(chunk: Buffer): void {
    if ((this.buffer?.length ?? 0) + chunk.length > this.maxBytes) {
      this.clear();
      throw new Error(`The server wrote more than ${this.maxBytes} bytes without a newline.`);
    }
    this.buffer =
      this.buffer === undefined || this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next complete message, or null when none is buffered; throws for a non-JSON-RPC object. */
  readMessage(): JSONRPCMessage | null {
    while (this.buffer !== undefined) {
      const index = this.buffer.indexOf(10);
      if (index === -1) return null;
      let end = index;
      if (end > 0 && this.buffer[end - 1] === 13) end--;
      const line = this.buffer.toString('utf8', 0, end);
      this.buffer = this.buffer.subarray(index + 1);
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isEnvelope(value)) {
        throw new Error(`The server wrote a line that is not a JSON-RPC 2.0 message: ${line.slice(0, 200)}`);
      }
      return value;
    }
    return null;
  }

  clear(): void {
    this.buffer = undefined;
  }
}

/** A JSON-RPC 2.0 object: a request or notification (string method) or a response (id, result or error). */
function isEnvelope(value: unknown): value is JSONRPCMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  if (typeof m.method === 'string') return true;
  return 'id' in m && ('result' in m || 'error' in m);
}

/** Options of {@link ChildProcessTransport}. */
export interface ChildProcessTransportOptions {
  command: string;
  args: readonly string[];
  /** The complete environment of the child (the caller builds the minimal one). */
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Receives every chunk the child writes to stderr. */
  onStderr?: ((chunk: Buffer) => void) | undefined;
  /** How long `close()` waits after SIGTERM before SIGKILL. Default 2000 ms. */
  killGraceMs?: number | undefined;
  /**
   * Kills the child's process group if this process dies without closing the transport. Default:
   * the process-wide {@link sharedGroupWatchdog}; `null` disables it.
   */
  watchdog?: GroupWatchdog | null | undefined;
}

/** How the child ended, for error messages. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Sends `signal` to the process group led by `pid`; false when no such group exists. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * An SDK {@link Transport} over a spawned child's stdin/stdout. `onclose` fires once, when the
 * child's pipes have closed (after it exited, whether by itself or through `close()`).
 */
export class ChildProcessTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T) => void) | undefined;

  private readonly options: ChildProcessTransportOptions;
  private readonly readBuffer = new LineBuffer();
  private child: ChildProcess | undefined;
  private closedFired = false;
  private exitInfo: ChildExit | undefined;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private closing = false;
  private draining = false;
  private watchdog: GroupWatchdog | undefined;

  constructor(options: ChildProcessTransportOptions) {
    this.options = options;
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  /** The child's pid (and process-group id) once spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the child ended, once it has. */
  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  start(): Promise<void> {
    if (this.child !== undefined) throw new Error('ChildProcessTransport already started');
    // A child started ahead with exactly these parameters (`prespawn`) is taken over instead of
    // spawning another; only under the shared watchdog it was registered with.
    const adopted: PrespawnedChild | undefined =
      this.options.watchdog === undefined ? adoptPrespawned(this.options) : undefined;
    return new Promise((resolve, reject) => {
      const child =
        adopted?.child ??
        spawn(this.options.command, [...this.options.args], {
          env: this.options.env,
          cwd: this.options.cwd,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
          shell: false,
          windowsHide: true,
        });
      this.child = child;
      const pid = child.pid;
      if (pid !== undefined) {
        // Listed synchronously, right after the fork: no window in which a dying gateway leaves it unwatched.
        this.watchdog =
          this.options.watchdog === undefined ? sharedGroupWatchdog() : (this.options.watchdog ?? undefined);
        if (adopted === undefined) this.watchdog?.add(pid);
      }
      let spawned = false;
      if (adopted?.spawned === true) {
        spawned = true;
        resolve();
      } else {
        child.once('spawn', () => {
          spawned = true;
          resolve();
        });
      }
      child.on('error', (error) => {
        if (!spawned) {
          if (pid !== undefined) this.watchdog?.remove(pid);
          reject(error);
          this.markExited({ code: null, signal: null });
          this.fireClose();
          return;
        }
        this.onerror?.(error);
      });
      child.once('exit', (code, signal) => {
        this.markExited({ code, signal });
        // Take down anything the child left behind in its group (e.g. the server behind a wrapper),
        // which also closes pipes those processes held so that 'close' follows promptly.
        killGroup(child.pid ?? 0, 'SIGKILL');
        // The leader is reaped and its group SIGKILLed: the watchdog must forget the (reusable) pid.
        if (pid !== undefined) this.watchdog?.remove(pid);
      });
      child.once('close', () => this.fireClose());
      child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
      child.stdout?.on('error', (error) => this.onerror?.(error));
      child.stdin?.on('error', (error) => {
        // EPIPE after the child died is expected; the exit path reports it.
        if (this.exitInfo === undefined && !this.closing) this.onerror?.(error);
      });
      child.stderr?.on('data', (chunk: Buffer) => this.options.onStderr?.(chunk));
      if (adopted !== undefined) {
        // What the child wrote before it was adopted, in order.
        for (const chunk of adopted.stderr) this.options.onStderr?.(chunk);
        for (const chunk of adopted.stdout) this.onData(chunk);
      }
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.readBuffer.append(chunk);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (!this.draining) this.drain();
  }

  /**
   * Delivers buffered messages in order. After a notification the rest waits for one microtask:
   * the SDK handles notifications (e.g. `notifications/progress`) in a microtask but responses
   * synchronously, so without the pause a response read in the same chunk would overtake the
   * progress notification sent before it (and the SDK would drop that notification).
   */
  private drain(): void {
    this.draining = true;
    try {
      for (;;) {
        const message = this.readBuffer.readMessage();
        if (message === null) break;
        this.onmessage?.(message);
        if (!('id' in message)) {
          queueMicrotask(() => this.drain());
          return;
        }
      }
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
    this.draining = false;
  }

  private markExited(info: ChildExit): void {
    if (this.exitInfo !== undefined) return;
    this.exitInfo = info;
    this.resolveExited();
  }

  private fireClose(): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.readBuffer.clear();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (stdin === undefined || stdin === null || this.exitInfo !== undefined || stdin.writableEnded) {
      return Promise.reject(new Error('Not connected'));
    }
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /**
   * Ends stdin, sends SIGTERM to the process group, and SIGKILL after the grace period if the child
   * is still alive; resolves once the child has exited.
   */
  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) {
      this.fireClose();
      return;
    }
    this.closing = true;
    const pid = child.pid;
    if (this.exitInfo === undefined && pid !== undefined) {
      child.stdin?.end();
      killGroup(pid, 'SIGTERM');
      const grace = this.options.killGraceMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), grace);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) killGroup(pid, 'SIGKILL');
    }
    await this.exited;
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    this.fireClose();
    // When this was the last child, the watchdog process is stopping: leave no process behind.
    await this.watchdog?.settled();
  }
}
