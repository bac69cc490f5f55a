// Plain JavaScript (types in server.d.ts) so that benchmarks run by plain node can start a server too.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
/** The Debian package that provides `initdb` and `postgres` (named in every "not found" message). */
export const DEBIAN_PACKAGE = 'postgresql';
/**
 * Finds `initdb` and `postgres`: the newest `/usr/lib/postgresql/<major>/bin` (Debian's layout,
 * where they are not on PATH), else PATH. `undefined` when PostgreSQL is not installed.
 */
export function findPostgresBinaries() {
  const dirs = [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    for (const m of majors) dirs.push(join(debian, m, 'bin'));
  }
  dirs.push(...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''));
  for (const dir of dirs) {
    const initdb = join(dir, 'initdb');
    const postgres = join(dir, 'postgres');
    if (existsSync(initdb) && existsSync(postgres)) return { initdb, postgres };
  }
  return undefined;
}
/** Why PostgreSQL tests cannot run here, or `undefined` when they can. */
export function postgresUnavailableReason() {
  if (findPostgresBinaries() === undefined) {
    return `PostgreSQL is not installed (no initdb/postgres in /usr/lib/postgresql/*/bin or on PATH); install Debian's '${DEBIAN_PACKAGE}' package (apt-get install ${DEBIAN_PACKAGE})`;
  }
  if (process.getuid?.() === 0 && runAsUser() === undefined) {
    return "running as root, and PostgreSQL refuses to run as root: there is no 'postgres' user to run it as (Debian's postgresql package creates one)";
  }
  return undefined;
}
/** Creates a fresh, empty database on the server at `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl, label = 'test') {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `mcpmux_${safe}_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
function runAsUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function tail(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
/**
 * Starts a throwaway PostgreSQL server: `initdb` into a new temporary directory, then `postgres`
 * on a free loopback port with durability off (fsync, synchronous_commit, full_page_writes) and
 * its socket in that directory. As root both run as the `postgres` user. A detached watchdog
 * stops the server and removes the directory if this process dies without calling `stop()`.
 *
 * @throws when PostgreSQL is not installed (naming the Debian package) or does not start (with
 *   the end of its log).
 */
export async function startPostgresServer(options = {}) {
  const reason = postgresUnavailableReason();
  const bins = findPostgresBinaries();
  if (reason !== undefined || bins === undefined) throw new Error(`Cannot start PostgreSQL: ${reason}`);
  const user = process.getuid?.() === 0 ? runAsUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-pg-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  const as = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  try {
    execFileSync(
      bins.initdb,
      ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C'],
      { cwd: dir, env, stdio: 'pipe', ...as },
    );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = e.stderr?.toString() ?? String(e);
    throw new Error(`initdb failed: ${stderr.trim()}`);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const fd = openSync(log, 'a');
    if (user !== undefined) chownSync(log, user.uid, user.gid);
    const child = spawn(
      bins.postgres,
      [
        '-D',
        data,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=300',
        '-c',
        'shared_buffers=32MB',
        '-p',
        String(port),
        '-k',
        dir,
      ],
      { cwd: dir, env, stdio: ['ignore', fd, fd], ...as },
    );
    closeSync(fd);
    const watchdog = spawnWatchdog(options.ownerPid ?? process.pid, child.pid ?? 0, dir);
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let stopped;
    const stop = () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT'); // fast shutdown: ends sessions, no checkpoint wait
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited(child);
          clearTimeout(timer);
        }
        watchdog.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    };
    const ready = await waitReady(adminUrl, child);
    if (ready === true) {
      return { adminUrl, port, dir, createDatabase: (label) => createDatabase(adminUrl, label), stop };
    }
    const logTail = tail(log);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited(child);
    watchdog.kill('SIGKILL');
    if (attempt < 3 && /could not bind|Address already in use/i.test(logTail)) continue;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start (${ready}). Its log ends:\n${logTail}`);
  }
}
async function waitReady(url, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return `postgres exited with ${child.exitCode ?? child.signalCode}`;
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
      await delay(50);
    }
  }
  return 'not ready after 30 s';
}
/**
 * A detached process that outlives a killed test runner: once `ownerPid` is gone it stops the
 * server and removes its directory, so no postgres is left behind. Killed by `stop()`.
 */
function spawnWatchdog(ownerPid, postgresPid, dir) {
  const script = `
const [parent, pgPid, dir] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const watch = setInterval(() => {
  if (alive(parent)) return;
  clearInterval(watch);
  try { process.kill(pgPid, 'SIGINT'); } catch {}
  const started = Date.now();
  setInterval(() => {
    if (alive(pgPid) && Date.now() - started < 10000) return;
    try { process.kill(pgPid, 'SIGKILL'); } catch {}
    require('node:fs').rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 100);
}, 500);
`;
  const watchdog = spawn(process.execPath, ['-e', script, String(ownerPid), String(postgresPid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}
