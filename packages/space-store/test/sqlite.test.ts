import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_KINDS, type StoreChange } from '../src/index.js';
import { MIGRATIONS_TABLE, migrate, openSqliteSpaceStore, type SqliteSpaceStore } from '../src/sqlite.js';
import { describeSpaceStoreContract, manualClock, waitFor } from './contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeSpaceStoreContract('SQLite on a temp file', {
  async open({ clock }) {
    return openSqliteSpaceStore({ path: join(tempDir(), 'store.db') }, { clock });
  },
});

describeSpaceStoreContract('SQLite :memory:', {
  async open({ clock }) {
    return openSqliteSpaceStore({ path: ':memory:' }, { clock });
  },
});

describeSpaceStoreContract('SQLite :memory: without the policy cache', {
  async open({ clock }) {
    return openSqliteSpaceStore({ path: ':memory:' }, { clock, policyCache: false });
  },
});

/** Every row of every table, for byte-level "nothing changed" checks. */
function dump(db: Database.Database): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
}

describe('openSqliteSpaceStore', () => {
  let path: string;
  let store: SqliteSpaceStore;
  beforeEach(() => {
    path = join(tempDir(), 'store.db');
    store = openSqliteSpaceStore({ path }, { clock: manualClock().now });
  });
  afterEach(async () => {
    await store.close();
  });

  it('opens in WAL mode with foreign keys and a busy timeout, migrated into its own table', () => {
    const db = store.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const migrations = db.prepare(`SELECT count(*) FROM ${MIGRATIONS_TABLE}`).pluck().get() as number;
    expect(migrations).toBe(
      readdirSync(new URL('../drizzle', import.meta.url)).filter((f) => f.endsWith('.sql')).length,
    );
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name = '__drizzle_migrations'").get(),
    ).toBeUndefined();
  });

  it('applies no migration twice when reopened', async () => {
    await store.createSpace({ id: 'work' });
    await store.close();
    const db = new Database(path);
    expect(migrate(db)).toBe(0);
    db.close();
    store = openSqliteSpaceStore({ path });
    expect((await store.getActiveSpace())?.id).toBe('work');
  });

  it('refuses a database written by a newer version', async () => {
    await store.close();
    const db = new Database(path);
    db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ('future', ?)`).run(
      Date.UTC(2100, 0, 1),
    );
    db.close();
    expect(() => openSqliteSpaceStore({ path })).toThrowError(/newer version/);
    store = openSqliteSpaceStore({ path: ':memory:' });
  });

  it('leaves every table byte-identical after each refused write', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    await store.createServer({ id: 'gh', transport: { type: 'stdio', command: 'gh' } });
    await store.install('work', 'gh');
    await store.createFeatureSet('work', { id: 'a' });
    await store.createFeatureSet('work', {
      id: 'b',
      members: [{ mode: 'include', selector: { type: 'featureSet', id: 'a' } }],
    });
    await store.createClient({ id: 'c' });
    await store.createServer({ id: 'gl', transport: { type: 'stdio', command: 'gl' } });
    const setMember = (id: string) => ({
      mode: 'include' as const,
      selector: { type: 'featureSet' as const, id },
    });
    const attempts: [string, () => Promise<unknown>][] = [
      ['bad slug', () => store.createSpace({ id: 'Bad!' })],
      ['unknown Space', () => store.install('nope', 'gh')],
      ['duplicate alias', () => store.install('work', 'gl', { alias: 'gh' })],
      ['cycle', () => store.addMember('work', 'a', setMember('b'))],
      ['cross-Space set', () => store.createFeatureSet('home', { id: 'x', members: [setMember('b')] })],
      ['editing all', () => store.updateFeatureSet('work', 'all', { members: [] })],
      ['deleting active', () => store.deleteSpace('work')],
      ['unknown client', () => store.grant('nobody', 'work', 'all')],
    ];
    for (const [label, attempt] of attempts) {
      const before = dump(store.database);
      await expect(attempt(), label).rejects.toMatchObject({ name: 'McpmuxError' });
      expect(dump(store.database), label).toEqual(before);
    }
  });

  it('stores only the SHA-256 of an access key, never the key', async () => {
    await store.createSpace({ id: 'work' });
    const { accessKey } = await store.createClient({ id: 'c' });
    const rotated = await store.rotateAccessKey('c');
    store.database.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(path).toString('latin1');
    for (const key of [accessKey, rotated]) {
      expect(bytes).not.toContain(key.slice(12));
      expect(JSON.stringify(dump(store.database))).not.toContain(key.slice(12));
    }
  });

  it('runs deletion hooks inside the delete transaction; a throwing hook aborts it', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    const db = store.database;
    db.exec('CREATE TABLE vault_rows (space_id TEXT NOT NULL, name TEXT NOT NULL)');
    db.prepare("INSERT INTO vault_rows VALUES ('home', 'TOKEN'), ('work', 'TOKEN')").run();
    const fail = store.addSpaceDeletionHook((spaceId) => {
      db.prepare('DELETE FROM vault_rows WHERE space_id = ?').run(spaceId);
      throw new Error('vault refused');
    });
    await expect(store.deleteSpace('home')).rejects.toThrow('vault refused');
    expect(db.prepare('SELECT count(*) FROM vault_rows').pluck().get()).toBe(2);
    expect((await store.getSpace('home'))?.id).toBe('home');
    fail();
    const seen: string[] = [];
    store.addSpaceDeletionHook((spaceId) => {
      seen.push(spaceId);
      db.prepare('DELETE FROM vault_rows WHERE space_id = ?').run(spaceId);
    });
    await store.deleteSpace('home');
    expect(seen).toEqual(['home']);
    expect(db.prepare('SELECT space_id FROM vault_rows').pluck().all()).toEqual(['work']);
  });

  it('awaits async deletion hooks with the transaction connection; a rejecting hook aborts the deletion', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    await store.sql.write(async (c) => {
      await c.run('CREATE TABLE vault_rows (space_id TEXT NOT NULL, name TEXT NOT NULL)');
      await c.run("INSERT INTO vault_rows VALUES ('home', 'TOKEN'), ('work', 'TOKEN')");
    });
    const rows = () =>
      store.sql.read((c) => c.all<{ space_id: string }>('SELECT space_id FROM vault_rows ORDER BY 1'));
    const fail = store.addSpaceDeletionHook(async (spaceId, tx) => {
      await tx!.run('DELETE FROM vault_rows WHERE space_id = ?', [spaceId]);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('vault refused');
    });
    await expect(store.deleteSpace('home')).rejects.toThrow('vault refused');
    expect(await rows()).toHaveLength(2);
    fail();
    store.addSpaceDeletionHook(async (spaceId, tx) => {
      await new Promise((r) => setTimeout(r, 5));
      await tx!.run('DELETE FROM vault_rows WHERE space_id = ?', [spaceId]);
    });
    await store.deleteSpace('home');
    expect(await rows()).toEqual([{ space_id: 'work' }]);
    expect(await store.getSpace('home')).toBeUndefined();
  });

  it('shares a connection it did not open and leaves it open on close', async () => {
    const db = new Database(':memory:');
    const shared = openSqliteSpaceStore({ database: db });
    await shared.createSpace({ id: 'work' });
    await shared.close();
    expect(db.prepare('SELECT id FROM spaces').pluck().all()).toEqual(['work']);
    db.close();
  });

  it('prunes old change rows while the revision keeps growing', async () => {
    const mem = openSqliteSpaceStore({ path: ':memory:' });
    await mem.createSpace({ id: 'work' });
    await mem.createClient({ id: 'c' });
    for (let i = 0; i < 1300; i++) {
      await mem.grant('c', 'work', 'all');
      await mem.ungrant('c', 'work', 'all');
    }
    const rows = mem.database.prepare('SELECT count(*) FROM changes').pluck().get() as number;
    expect(rows).toBeLessThanOrEqual(2000 + 256);
    expect(await mem.revision()).toBeGreaterThan(2600);
    await mem.close();
  });

  it('tells a watcher that fell behind pruned change rows that everything may have changed', async () => {
    await store.createSpace({ id: 'work' });
    const other = openSqliteSpaceStore({ path });
    const seen: StoreChange[] = [];
    const stop = other.watch((c) => seen.push(c), { intervalMs: 10 });
    // Another connection writes two changes and prunes the first before the watcher reads it.
    const db = store.database;
    db.transaction(() => {
      const insert = db.prepare("INSERT INTO changes (kind, space_id, at) VALUES ('grant', 'work', 0)");
      const first = insert.run().lastInsertRowid;
      insert.run();
      db.prepare('DELETE FROM changes WHERE id <= ?').run(first);
    })();
    await waitFor(() => seen.length > 0);
    expect([...(seen[0]?.kinds ?? [])].sort()).toEqual([...CHANGE_KINDS].sort());
    expect(seen[0]?.spaceIds).toBeUndefined();
    stop();
    await other.close();
  });

  it('never allows two active Spaces, even by direct SQL', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    expect(() => store.database.prepare("UPDATE spaces SET active = 1 WHERE id = 'home'").run()).toThrowError(
      /UNIQUE/,
    );
  });
});

describe('package layout', () => {
  it('keeps better-sqlite3 and node built-ins out of the root entry, even transitively', () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)[^'"]*from\s+'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (spec.startsWith('node:') || spec.includes('sqlite') || spec.startsWith('drizzle-orm'))
          bad.push(`${file}: ${spec}`);
      }
    };
    visit(join(src, 'index.ts'));
    expect(seen.size).toBeGreaterThan(2);
    expect(bad).toEqual([]);
  });
});
