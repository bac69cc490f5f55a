// Crash injection against the BUILT binary (`pnpm --filter mcpmux build` first): `server add` killed
// with SIGKILL at random moments around its writes must leave a definition and its installation
// together or not at all.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const RUNS_PER_HOME = 20;
const HOMES = 2;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshHome(): { home: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-crash-'));
  dirs.push(dir);
  const home = join(dir, 'home');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    MCPMUX_HOME: home,
    MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const init = spawnSync(process.execPath, [BIN, 'init'], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mcpmux init failed: ${init.stderr}`);
  return { home, env };
}

/**
 * Runs `server add ID --no-connect` and SIGKILLs it: `atWrite`, 0-3 ms after its first write reaches
 * the WAL (where a non-atomic add sits between its two writes); otherwise at a random moment of its
 * run (0-400 ms after the spawn). Resolves how it ended.
 */
function addAndKill(
  home: string,
  env: Record<string, string>,
  id: string,
  atWrite: boolean,
): Promise<'killed' | 'finished'> {
  const wal = join(home, 'mcpmux.db-wal');
  const walSize = () => (existsSync(wal) ? statSync(wal).size : 0);
  const before = walSize();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'server', 'add', id, '--command', 'true', '--no-connect'], {
      env,
      stdio: 'ignore',
    });
    let armed = false;
    const watcher = watch(home, () => {
      if (!atWrite || armed || walSize() === before) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 4));
    });
    const timer = atWrite ? undefined : setTimeout(() => child.kill('SIGKILL'), Math.random() * 400);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      watcher.close();
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished');
    });
  });
}

describe('server add --no-connect under SIGKILL', () => {
  it('leaves the definition and its installation together or not at all, every time', async () => {
    expect(existsSync(BIN), 'build the CLI first: pnpm --filter mcpmux build').toBe(true);
    const lanes = Array.from({ length: HOMES }, async (_, lane) => {
      const { home, env } = freshHome();
      const outcomes: string[] = [];
      for (let i = 0; i < RUNS_PER_HOME; i++)
        outcomes.push(await addAndKill(home, env, `s${lane}-${i}`, i % 4 !== 3));
      const store = openSqliteSpaceStore({ path: join(home, 'mcpmux.db') });
      try {
        const installed = new Set((await store.listInstallations('personal')).map((i) => i.serverId));
        const defined = new Set((await store.listServers()).map((s) => s.id));
        return outcomes.map((outcome, i) => {
          const id = `s${lane}-${i}`;
          return { id, outcome, defined: defined.has(id), installed: installed.has(id) };
        });
      } finally {
        await store.close();
      }
    });
    const results = (await Promise.all(lanes)).flat();
    const count = (f: (r: (typeof results)[number]) => boolean) => results.filter(f).length;
    console.log(
      `server add under SIGKILL: ${results.length} runs, ${count((r) => r.outcome === 'killed')} killed, ${count((r) => r.defined && r.installed)} with both rows, ${count((r) => !r.defined && !r.installed)} with neither, ${count((r) => r.defined !== r.installed)} partial`,
    );
    const partial = results.filter((r) => r.defined !== r.installed);
    expect(partial).toEqual([]);
    // The kills landed: some adds died before their write, and most runs were killed.
    expect(results.some((r) => r.outcome === 'killed' && !r.defined)).toBe(true);
    expect(results.filter((r) => r.outcome === 'killed').length).toBeGreaterThan(results.length / 2);
  }, 60_000);
});
