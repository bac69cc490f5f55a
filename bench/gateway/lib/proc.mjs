// Process and /proc helpers for the gateway benchmark (Linux only).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Microseconds per clock tick of /proc/<pid>/stat utime and stime. */
const US_PER_TICK = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitFor(check, { timeoutMs = 30_000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time (user + system) a process has used so far, in microseconds. */
export function cpuMicros(pid) {
  const f = statFields(pid);
  // After the command name: state(0) ppid(1) ... utime(11) stime(12).
  return (Number(f[11]) + Number(f[12])) * US_PER_TICK;
}

/** Resident set size of one process in KiB (0 when it is gone). */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every live descendant of `pid`. */
export function descendantsOf(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(statFields(entry)[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** RSS of a process and all its descendants, in KiB. */
export function treeRssKiB(pid) {
  return [pid, ...descendantsOf(pid)].reduce((sum, p) => sum + rssKiB(p), 0);
}

/**
 * The local addresses listening on `port`, from /proc/net/tcp and tcp6 (e.g. `127.0.0.1`, `::`).
 * Used to prove that every peer was pinned to loopback.
 */
export function listenAddresses(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, p] = cols[1].split(':');
      if (p !== hexPort) continue;
      out.push(v6 ? decodeV6(addr) : decodeV4(addr));
    }
  }
  return out;
}

function decodeV4(hex) {
  return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function decodeV6(hex) {
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return `::ffff:${decodeV4(hex.slice(24))}`;
  return hex;
}

/** True when every listed address is a loopback address. */
export function allLoopback(addresses) {
  return (
    addresses.length > 0 &&
    addresses.every((a) => a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.'))
  );
}

/**
 * Spawns a long-running process in its own process group. Its stderr goes to a file (as a background
 * gateway's log does, `mcpmux start` writing to <home>/logs/gateway.log), so that no log line wakes
 * the measuring process; `stderr()` reads the file's last 8 KiB. `stop()` sends SIGTERM to the group,
 * waits up to 5 s, then SIGKILLs the group.
 */
export function startProcess(command, args, { env = process.env, cwd } = {}) {
  const logDir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-stderr-'));
  const logFile = join(logDir, 'stderr.log');
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  const stderr = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-8192);
    } catch {
      return '';
    }
  };
  let exited = false;
  const exit = new Promise((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // gone
    }
  };
  return {
    pid: child.pid,
    get exited() {
      return exited;
    },
    stderr,
    async stop() {
      const family = exited ? [] : descendantsOf(child.pid);
      signalGroup('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
      signalGroup('SIGKILL');
      for (const p of family) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
