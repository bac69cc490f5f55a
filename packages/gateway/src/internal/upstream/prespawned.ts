/**
 * Upstream children started before the gateway asked for them (see `prespawn.ts`): while the
 * gateway's own modules load, the active Space's stdio servers are already starting. The
 * `ChildProcessTransport` that later wants to spawn exactly the same process (same command,
 * arguments, working directory and complete environment) adopts the waiting child instead, with
 * what it wrote meanwhile; one nobody adopts within its time is killed (process group). Nothing
 * here is logged: the environment can hold resolved values.
 *
 * No import of the MCP SDK here: this module is loaded before it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { sharedGroupWatchdog } from './group-watchdog.js';

/** What a stdio upstream is started with. */
export interface SpawnSpec {
  command: string;
  args: readonly string[];
  /** The complete environment of the child. */
  env: Record<string, string>;
  cwd?: string | undefined;
}

/** A child started ahead, and what it did until adopted. */
export interface PrespawnedChild {
  child: ChildProcess;
  /** Chunks written to stdout and stderr before adoption, in order. */
  stdout: Buffer[];
  stderr: Buffer[];
  /** True once the `spawn` event fired. */
  spawned: boolean;
}

/** At most this much output is kept for a child nobody adopted yet; more and it is discarded. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

interface Waiting {
  entry: PrespawnedChild;
  timer: NodeJS.Timeout;
  /** Removes this module's listeners from the child. */
  detach: () => void;
  failed: boolean;
}

const waiting = new Map<string, Waiting>();

/** The identity of a spawn: equal keys mean the very same process would be started. */
function specKey(spec: SpawnSpec): string {
  const env = Object.keys(spec.env)
    .sort()
    .map((name) => [name, spec.env[name]]);
  return JSON.stringify([spec.command, spec.args, spec.cwd ?? null, env]);
}

function killGroupQuietly(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function discard(key: string, w: Waiting): void {
  if (waiting.get(key) === w) waiting.delete(key);
  clearTimeout(w.timer);
  w.detach();
  const pid = w.entry.child.pid;
  if (pid === undefined) return;
  const watchdog = sharedGroupWatchdog();
  w.entry.child.once('exit', () => watchdog.remove(pid));
  if (w.entry.child.exitCode !== null || w.entry.child.signalCode !== null) watchdog.remove(pid);
  killGroupQuietly(pid);
}

/**
 * Starts `spec` now (its own process group, registered with the process-group watchdog like every
 * upstream) and keeps it for {@link adoptPrespawned} for `ttlMs`; afterwards it is killed. Returns
 * its pid, or undefined when the same spec already waits or the spawn failed at once.
 */
export function prespawn(spec: SpawnSpec, ttlMs: number): number | undefined {
  const key = specKey(spec);
  if (waiting.has(key)) return undefined;
  let child: ChildProcess;
  try {
    child = spawn(spec.command, [...spec.args], {
      env: spec.env,
      cwd: spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });
  } catch {
    return undefined;
  }
  const pid = child.pid;
  if (pid === undefined) {
    child.on('error', () => undefined);
    return undefined;
  }
  sharedGroupWatchdog().add(pid);
  const entry: PrespawnedChild = { child, stdout: [], stderr: [], spawned: false };
  let buffered = 0;
  const w: Waiting = {
    entry,
    timer: setTimeout(() => discard(key, w), ttlMs),
    detach: () => {
      child.stdout?.off('data', onStdout);
      child.stderr?.off('data', onStderr);
      child.off('spawn', onSpawn);
      child.off('error', onError);
      child.off('exit', onExit);
    },
    failed: false,
  };
  w.timer.unref();
  const keep = (into: Buffer[], chunk: Buffer): void => {
    buffered += chunk.length;
    into.push(chunk);
    if (buffered > MAX_BUFFERED_BYTES) discard(key, w);
  };
  const onStdout = (chunk: Buffer): void => keep(entry.stdout, chunk);
  const onStderr = (chunk: Buffer): void => keep(entry.stderr, chunk);
  const onSpawn = (): void => {
    entry.spawned = true;
  };
  const onError = (): void => {
    w.failed = true;
    discard(key, w);
  };
  const onExit = (): void => {
    w.failed = true;
    discard(key, w);
  };
  child.stdout?.on('data', onStdout);
  child.stderr?.on('data', onStderr);
  child.once('spawn', onSpawn);
  child.on('error', onError);
  child.once('exit', onExit);
  // Errors on the pipes of a child that dies before adoption: the exit path handles it.
  child.stdin?.on('error', () => undefined);
  waiting.set(key, w);
  return pid;
}

/**
 * The waiting child started with exactly `spec`, taken out of the waiting list (so adopted once),
 * with this module's listeners removed; undefined when none waits or it already ended.
 */
export function adoptPrespawned(spec: SpawnSpec): PrespawnedChild | undefined {
  if (waiting.size === 0) return undefined;
  const key = specKey(spec);
  const w = waiting.get(key);
  if (w === undefined) return undefined;
  waiting.delete(key);
  clearTimeout(w.timer);
  w.detach();
  if (w.failed) return undefined;
  return w.entry;
}

/** How many started children wait for adoption (tests, status). */
export function prespawnedCount(): number {
  return waiting.size;
}
