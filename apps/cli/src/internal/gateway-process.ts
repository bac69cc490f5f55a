// The background gateway of a home: find it, start it detached (exactly one, whoever asks at the same
// instant), stop it. What a running gateway records about itself (`<home>/gateway.json`) and its local
// socket belong to `@mcpmux/server`; this module only reads them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { GatewayInfo, LogFormat, LogLevel } from '@mcpmux/server';
import { cliBin } from './bridge/gateway-launch.js';
import { gatewayPaths, runningGateway } from './gateway-files.js';

export type { GatewayInfo } from '@mcpmux/server';
export { DEFAULT_PORT, LOG_FORMAT_CHOICES, LOG_LEVEL_CHOICES } from './defaults.js';

/** How long {@link ensureGateway} waits for a gateway to answer by default, in ms. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;
/** How long {@link stopGateway} waits after SIGTERM before SIGKILL by default, in ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** `gateway.log` is rotated at start when larger than this (10 MiB). */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
/** How many rotated logs are kept (`gateway.log.1` .. `gateway.log.3`). */
export const LOG_KEEP = 3;

const POLL_MS = 50;
/** A lock file with no readable pid yet is someone's create-then-write in progress, unless this old. */
const UNWRITTEN_LOCK_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The light entry of `@mcpmux/server` (gateway info, the database file), loaded on first use. */
function serverModule(): Promise<typeof import('@mcpmux/server/home')> {
  return import('@mcpmux/server/home');
}

/** Options of {@link ensureGateway}. */
export interface EnsureGatewayOptions {
  /** The mcpmux home (must be initialised). */
  home: string;
  /** The environment the gateway is started with (its `MCPMUX_MASTER_KEY`, `PATH`, `${env:}` values). */
  env: Record<string, string | undefined>;
  /** How long to wait for the lock and for a new gateway to answer, in ms. Default 15000. */
  timeoutMs?: number;
  /** Port of a gateway started here. Default: `serve.port` of `<home>/config.json`, else 45818 (0: any free port). */
  port?: number;
  /** Bind address of a gateway started here. Default `127.0.0.1`. */
  host?: string;
  /** The CLI entry to run as `node BIN serve`. Default: this package's `dist/bin.js`. */
  bin?: string;
  /** `--log-level` of a gateway started here. Default: `MCPMUX_LOG_LEVEL` in `env`, else `info`. */
  logLevel?: LogLevel;
  /** `--log-format` of a gateway started here. Default `json` (its log is a file). */
  logFormat?: LogFormat;
}

/** What {@link startGateway} found or did. */
export interface StartedGateway {
  /** The running gateway. */
  info: GatewayInfo;
  /** True when this call started it; false when it was already running. */
  started: boolean;
}

/**
 * Returns the home's running gateway, starting it detached when none answers. Several callers at the
 * same instant (other processes included) start exactly one: the starter holds `<home>/gateway.lock`
 * (created exclusively with its pid; a lock whose pid is dead is stale and broken), the others wait
 * (bounded) until the gateway answers. A start removes the `gateway.stopped` marker, rotates
 * `<home>/logs/gateway.log` when over 10 MiB, and runs `node <bin.js> --home HOME serve` (with
 * `--host`/`--port`/`--log-level`/`--log-format` when given) in its own session with its output appended to that log.
 *
 * @param options - see {@link EnsureGatewayOptions}.
 * @returns the running gateway's `gateway.json` contents.
 * @throws `NOT_FOUND` when the home is not initialised; `UPSTREAM_UNAVAILABLE` when the gateway did
 *   not start (the message ends with the last lines of its log, e.g. a `VAULT_LOCKED` error) or the
 *   lock was held too long.
 * @example
 * ```ts
 * const info = await ensureGateway({ home: '/home/me/.mcpmux', env: process.env });
 * console.log(`gateway ${info.pid} at ${info.url}, socket ${info.socket}`);
 * ```
 */
export async function ensureGateway(options: EnsureGatewayOptions): Promise<GatewayInfo> {
  return (await startGateway(options)).info;
}

/**
 * {@link ensureGateway}, also saying whether this call started the gateway.
 *
 * @param options - see {@link EnsureGatewayOptions}.
 * @throws as {@link ensureGateway}.
 */
export async function startGateway(options: EnsureGatewayOptions): Promise<StartedGateway> {
  const paths = gatewayPaths(options.home);
  const running = await runningGateway(paths.home);
  if (running) {
    await rm(paths.stopped, { force: true });
    return { info: running, started: false };
  }
  await requireHome(paths.home, options.env);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  const lock = await acquireLock(paths, deadline);
  if ('info' in lock) {
    await rm(paths.stopped, { force: true });
    return { info: lock.info, started: false };
  }
  try {
    const again = await runningGateway(paths.home);
    await rm(paths.stopped, { force: true });
    if (again) return { info: again, started: false };
    const info = await spawnGateway(options, paths, deadline);
    return { info: info.gateway, started: info.gateway.pid === info.child };
  } finally {
    await lock.release();
  }
}

async function requireHome(home: string, env: Record<string, string | undefined>): Promise<void> {
  if (env.MCPMUX_DATABASE_URL) {
    // Team mode: the data is in PostgreSQL; the home only holds the gateway's local state.
    await mkdir(home, { recursive: true, mode: 0o700 });
    return;
  }
  const { DATABASE_FILE } = await serverModule();
  try {
    await stat(join(home, DATABASE_FILE));
  } catch {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: home },
    });
  }
}

type Paths = ReturnType<typeof gatewayPaths>;

/**
 * Takes `<home>/gateway.lock`, or returns the gateway another starter brought up meanwhile. The lock
 * holds `PID TOKEN`; a lock whose pid is dead is removed (after re-reading that it is still the same
 * lock), so a starter that crashed never blocks the next one for longer than a poll.
 */
async function acquireLock(
  paths: Paths,
  deadline: number,
): Promise<{ release: () => Promise<void> } | { info: GatewayInfo }> {
  const { isProcessAlive } = await serverModule();
  const content = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  for (;;) {
    try {
      await writeFile(paths.lock, content, { flag: 'wx', mode: 0o600 });
      return {
        release: async () => {
          const now = await readFile(paths.lock, 'utf8').catch(() => undefined);
          if (now === content) await unlink(paths.lock).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readFile(paths.lock, 'utf8').catch(() => undefined);
    if (held !== undefined) {
      const pid = Number.parseInt(held, 10);
      const stale = Number.isInteger(pid) && pid > 0 ? !isProcessAlive(pid) : await olderThan(paths.lock);
      if (stale) {
        // Only the same stale lock is removed, never one a live starter just created.
        if ((await readFile(paths.lock, 'utf8').catch(() => undefined)) === held) {
          await unlink(paths.lock).catch(() => undefined);
        }
        continue;
      }
    }
    const info = await runningGateway(paths.home);
    if (info) return { info };
    if (Date.now() > deadline) {
      throw new McpmuxError(
        'UPSTREAM_UNAVAILABLE',
        `Another mcpmux process (${held?.split(' ')[0]?.trim() || 'unknown pid'}) is starting the gateway and it did not answer in time. Run \`mcpmux status\`; if no mcpmux is starting, remove ${paths.lock} and run \`mcpmux start\`.`,
        { data: { lock: paths.lock } },
      );
    }
    await sleep(POLL_MS);
  }
}

async function olderThan(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > UNWRITTEN_LOCK_MS;
  } catch {
    return false;
  }
}

/** Rotates `log` to `log.1` (and `.1` to `.2` ...) when it is larger than `maxBytes`; keeps `keep`. */
export async function rotateLog(log: string, maxBytes = LOG_ROTATE_BYTES, keep = LOG_KEEP): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(log)).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  await rm(`${log}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    await rename(`${log}.${i}`, `${log}.${i + 1}`).catch(() => undefined);
  }
  await rename(log, `${log}.1`);
  return true;
}

/** Spawns the gateway and waits until it (or one that won a race with it) answers. */
async function spawnGateway(
  options: EnsureGatewayOptions,
  paths: Paths,
  deadline: number,
): Promise<{ gateway: GatewayInfo; child: number | undefined }> {
  const { readGatewayInfo, probeGatewaySocket } = await serverModule();
  await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
  await rotateLog(paths.log);
  const logStart = await stat(paths.log).then(
    (s) => s.size,
    () => 0,
  );
  const bin = options.bin ?? cliBin();
  // Without --host/--port, serve takes the home's config.json, else its defaults.
  const args = [
    bin,
    '--home',
    paths.home,
    'serve',
    ...(options.host === undefined ? [] : ['--host', options.host]),
    ...(options.port === undefined ? [] : ['--port', String(options.port)]),
    ...(options.logLevel === undefined ? [] : ['--log-level', options.logLevel]),
    ...(options.logFormat === undefined ? [] : ['--log-format', options.logFormat]),
  ];
  const fd = openSync(paths.log, 'a', 0o600);
  let exit: string | undefined;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env,
      cwd: paths.home,
    });
  } finally {
    closeSync(fd);
  }
  child.once('exit', (code, signal) => {
    exit = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  child.once('error', (err) => {
    exit = err.message;
  });
  child.unref();
  for (;;) {
    const info = await readGatewayInfo(paths.home);
    const ours = info !== undefined && (info.pid === child.pid || exit !== undefined);
    if (ours && (await probeGatewaySocket(info.socket)) === 'live')
      return { gateway: info, child: child.pid };
    if (exit !== undefined && info === undefined) {
      throw await startFailed(paths, logStart, `it stopped (${exit})`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw await startFailed(paths, logStart, 'it did not answer in time');
    }
    await sleep(POLL_MS);
  }
}

/**
 * An error saying the gateway did not start, with what it logged since `from`: its `error:` lines
 * when it printed any (the reason it stopped), else its last lines (JSON log lines as their `msg`).
 */
async function startFailed(paths: Paths, from: number, why: string): Promise<McpmuxError> {
  const lines = (await logTail(paths.log, from, 20)).map(logMessage);
  const errors = lines.filter((l) => l.startsWith('error:'));
  const shown = errors.length > 0 ? errors.slice(-3) : lines.slice(-5);
  return new McpmuxError(
    'UPSTREAM_UNAVAILABLE',
    `The mcpmux gateway did not start: ${why}. ${
      shown.length > 0 ? `From ${paths.log}: ${shown.join(' | ')}` : `See ${paths.log}.`
    } Fix the cause, then run \`mcpmux start\`.`,
    { data: { log: paths.log } },
  );
}

/** A log line as a person reads it: a JSON log line's `msg`, any other line as it is. */
function logMessage(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const msg = (JSON.parse(line) as { msg?: unknown }).msg;
    return typeof msg === 'string' ? msg : line;
  } catch {
    return line;
  }
}

/** The last `count` non-empty lines of `file` written after byte `from` (at most 64 KiB read). */
export async function logTail(file: string, from: number, count: number): Promise<string[]> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    const start = Math.max(from, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-count);
  } catch {
    return [];
  } finally {
    await handle?.close();
  }
}

/** What {@link stopGateway} did. */
export interface StoppedGateway {
  /** The gateway that was running (undefined: none was). */
  info?: GatewayInfo;
  /** True when it needed SIGKILL after the SIGTERM wait. */
  killed: boolean;
}

/**
 * Stops the home's gateway: writes the `gateway.stopped` marker (so bridges do not restart it), sends
 * SIGTERM, waits for the process to end (bounded), then SIGKILL. A gateway that was killed leaves
 * its `gateway.json` and socket behind; they are removed here. Stopping when none runs only writes
 * the marker.
 *
 * @param options.home - the mcpmux home.
 * @param options.timeoutMs - how long to wait after SIGTERM; default 10000.
 * @param options.marker - write the `gateway.stopped` marker; default true. `restart` passes false, so
 *   bridges reconnect to the new gateway instead of exiting.
 * @returns the stopped gateway's info (absent when none ran) and whether SIGKILL was needed.
 * @example
 * ```ts
 * const { info } = await stopGateway({ home: '/home/me/.mcpmux' });
 * console.log(info ? `stopped ${info.pid}` : 'not running');
 * ```
 */
export async function stopGateway(options: {
  home: string;
  timeoutMs?: number;
  marker?: boolean;
}): Promise<StoppedGateway> {
  const { readGatewayInfo, isProcessAlive, removeGatewayInfo, probeGatewaySocket } = await serverModule();
  const paths = gatewayPaths(options.home);
  // The marker goes first: a bridge that sees its connection drop must already find it.
  if (options.marker !== false) {
    await writeFile(paths.stopped, `${new Date().toISOString()}\n`, { mode: 0o600 }).catch(() => undefined);
  }
  // Only a gateway whose socket answers is signalled: a gateway.json left by a crash may name a pid
  // the system has since given to another process.
  const info = await runningGateway(paths.home);
  if (info === undefined) {
    const stale = await readGatewayInfo(paths.home);
    if (stale !== undefined) {
      await removeGatewayInfo(paths.home, stale.pid);
      if ((await probeGatewaySocket(stale.socket)) === 'stale')
        await unlink(stale.socket).catch(() => undefined);
    }
    return { killed: false };
  }
  const waitGone = async (ms: number) => {
    const end = Date.now() + ms;
    while (isProcessAlive(info.pid)) {
      if (Date.now() > end) return false;
      await sleep(POLL_MS);
    }
    return true;
  };
  let killed = false;
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  if (!(await waitGone(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
    killed = true;
    try {
      process.kill(info.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    await waitGone(5_000);
  }
  await removeGatewayInfo(paths.home, info.pid);
  if ((await probeGatewaySocket(info.socket)) === 'stale') await unlink(info.socket).catch(() => undefined);
  return { info, killed };
}
