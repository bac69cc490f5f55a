import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreChange } from '../src/index.js';
import { openSqliteSpaceStore } from '../src/sqlite.js';
import { waitFor } from './contract.js';

// These tests run the BUILT package in real child processes (`pnpm --filter @mcpmux/space-store build`).
const writer = fileURLToPath(new URL('./fixtures/writer.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const built = existsSync(join(dist, 'sqlite.js'));
// Children run a private snapshot of this package's dist and drizzle/ and of the dists of its
// workspace dependencies, under the package's node_modules (where zod, drizzle-orm and better-sqlite3
// resolve, and git and biome do not look): another engineer's rebuild emptying a dist meanwhile
// cannot break them.
const copy = fileURLToPath(new URL(`../node_modules/.xproc-${process.pid}`, import.meta.url));
const storeModule = join(copy, 'dist', 'sqlite.js');

/** A child process running the writer fixture, with its stdout split into lines. */
class Writer {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private partial = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [writer, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, STORE_MODULE: storeModule },
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  has(line: string): boolean {
    return this.lines.includes(line);
  }

  /** Waits until `condition` holds; fails with the child's stderr if it exits first. */
  async until(condition: () => boolean): Promise<void> {
    await waitFor(() => {
      if (condition()) return true;
      if (this.child.exitCode !== null) {
        throw new Error(`writer exited with ${this.child.exitCode}: ${this.stderr}`);
      }
      return false;
    }, 60_000);
  }
}

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-xproc-'));
  dirs.push(dir);
  return join(dir, 'store.db');
}
afterAll(() => {
  for (const d of [...dirs, copy]) rmSync(d, { recursive: true, force: true });
});

describe('across processes', () => {
  beforeAll(() => {
    // A readable failure instead of a crashing child when dist is stale or missing.
    expect(built, 'build the package first: pnpm --filter @mcpmux/space-store build').toBe(true);
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    cpSync(fileURLToPath(new URL('../drizzle', import.meta.url)), join(copy, 'drizzle'), { recursive: true });
    for (const dep of ['@mcpmux/core', '@mcpmux/featuresets']) {
      const from = fileURLToPath(new URL(`../node_modules/${dep}/`, import.meta.url));
      const to = join(copy, 'node_modules', dep);
      cpSync(join(from, 'package.json'), join(to, 'package.json'));
      cpSync(join(from, 'dist'), join(to, 'dist'), { recursive: true });
    }
  });

  it("tells a watcher about another process's writes and what they changed", async () => {
    const path = tempDb();
    const store = openSqliteSpaceStore({ path });
    await store.createSpace({ id: 'work' });
    const seen: StoreChange[] = [];
    const stop = store.watch((c) => seen.push(c), { intervalMs: 20 });
    const child = new Writer(['once', path, 'other']);
    expect(await child.exited, child.stderr).toBe(0);
    await waitFor(() => seen.some((c) => c.kinds.has('active-space')));
    const kinds = new Set(seen.flatMap((c) => [...c.kinds]));
    expect([...kinds].sort()).toEqual(['active-space', 'space']);
    expect(seen.flatMap((c) => c.spaceIds ?? [])).toContain('other');
    expect((await store.getActiveSpace())?.id).toBe('other');
    // The per-request context follows the other process's switch too.
    await store.createClient({ id: 'c' });
    expect((await store.loadPolicyContext('c'))?.space.id).toBe('other');
    stop();
    await store.close();
  });

  it('keeps every acknowledged write through 200 SIGKILLs at random points', {
    timeout: 170_000,
  }, async () => {
    const path = tempDb();
    const kills = 200;
    const acked = new Set<string>();
    const audited = new Set<string>();
    // Children load their modules ahead of their turn, so loading overlaps the runs before them.
    const ahead = 3;
    const queue: Writer[] = [];
    let spawned = 0;
    const refill = () => {
      while (queue.length < ahead && spawned < kills)
        queue.push(new Writer(['crash', path, String(spawned++)]));
    };
    for (let run = 0; run < kills; run++) {
      refill();
      const current = queue.shift()!;
      refill();
      await current.until(() => current.has('loaded'));
      current.child.stdin!.write('go\n');
      if (run % 10 === 3) {
        // Sometimes kill while it opens the database (recovery, migrations).
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
      } else {
        const target = 1 + Math.floor(Math.random() * 6);
        await current.until(() => current.lines.filter((l) => l.startsWith('ack ')).length >= target);
        // A random extra delay puts the kill at an arbitrary point of the next write.
        await new Promise((r) => setImmediate(r));
        if (Math.random() < 0.5) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 8)));
      }
      current.child.kill('SIGKILL');
      await current.exited;
      expect(current.stderr).toBe('');
      for (const line of current.lines) {
        if (line.startsWith('ack ')) acked.add(line.slice(4));
        if (line.startsWith('audit ')) audited.add(line.slice(6));
      }

      const store = openSqliteSpaceStore({ path });
      try {
        expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
        const sets = new Set(
          store.database
            .prepare("SELECT id FROM feature_sets WHERE space_id = 'work'")
            .pluck()
            .all() as string[],
        );
        const actions = new Set(
          store.database.prepare('SELECT action FROM audit_events').pluck().all() as string[],
        );
        for (const id of acked)
          if (!sets.has(id)) expect.fail(`acknowledged set ${id} is missing after run ${run}`);
        for (const id of audited)
          if (!actions.has(id)) expect.fail(`acknowledged audit ${id} is missing after run ${run}`);
      } finally {
        await store.close();
      }
    }
    expect(acked.size).toBeGreaterThan(kills);
  });

  it('lets two processes write at once with no error and nothing lost', { timeout: 120_000 }, async () => {
    const path = tempDb();
    const n = 150;
    // Both open the fresh file at the same moment: migrations race too.
    const a = new Writer(['concurrent', path, 'alpha', String(n)]);
    const b = new Writer(['concurrent', path, 'beta', String(n)]);
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect(a.stderr + b.stderr).toBe('');
    expect([ca, cb]).toEqual([0, 0]);
    expect(a.has('done') && b.has('done')).toBe(true);
    const store = openSqliteSpaceStore({ path });
    for (const space of ['alpha', 'beta']) {
      expect((await store.listFeatureSets(space)).filter((s) => s.kind === 'custom')).toHaveLength(n);
      expect(await store.listGrants(`client-${space}`, space)).toHaveLength(n);
      expect(await store.listAudit({ spaceId: space, limit: 10_000 })).toHaveLength(n);
    }
    expect((await store.listSpaces()).filter((s) => s.active)).toHaveLength(1);
    expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
    await store.close();
  });
});
