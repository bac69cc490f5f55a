import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { randomEnvProvider, tempDir, thrown } from '../test/helpers.js';
import { createEnvKeyProvider } from './key-providers.js';
import { openSqliteVault } from './sqlite.js';

// The behaviour of the vault is in test/contract.ts (run on SQLite and PostgreSQL); these tests are
// about the SQLite file and `openSqliteVault`'s own driver.

const work = { spaceId: 'work', serverId: 'github' } as const;

/** The key of test/fixtures/vault-0.1.0.db, a vault written by @mcpmux/vault 0.1.0 (a test key, nothing else). */
const FIXTURE_KEY = 'DZRHTn9gvN+r/tOYuWl0JcBn7qMD/8INdn7Y8/su0Z8=';
const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'vault-0.1.0.db');

const schemaOf = (db: BetterSqlite3.Database) =>
  db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name LIKE '%vault%' ORDER BY name")
    .all();

async function freshVault() {
  const path = join(tempDir(), 'mcpmux.db');
  const provider = randomEnvProvider();
  const vault = await openSqliteVault({ path, keyProvider: provider });
  return { path, provider, vault };
}

describe('openSqliteVault', () => {
  it('opens a home written by @mcpmux/vault 0.1.0 unchanged and reads its secrets', async () => {
    const path = join(tempDir(), 'mcpmux.db');
    copyFileSync(FIXTURE, path);
    const old = new BetterSqlite3(FIXTURE, { readonly: true });
    const before = schemaOf(old);
    old.close();
    const vault = await openSqliteVault({ path, keyProvider: createEnvKeyProvider(FIXTURE_KEY) });
    expect(await vault.get(work, 'GITHUB_TOKEN')).toBe('ghp_fixture_token_0002');
    expect(await vault.get({ spaceId: 'home', serverId: 'slack' }, 'SLACK_TOKEN')).toBe('xoxb-fixture-0003');
    expect(await vault.get({ global: true, serverId: 'search' }, 'API_KEY')).toBe('search-fixture-0004');
    expect((await vault.list({ spaceId: 'work' }))[0]).toMatchObject({
      version: 2,
      createdAt: new Date('2026-11-01T10:00:00.000Z'),
    });
    expect(schemaOf(vault.database)).toEqual(before);
    expect(vault.database.prepare('SELECT version FROM vault_migrations').all()).toEqual([{ version: 1 }]);
    await vault.set(work, 'NEW', 'new-value');
    await vault.rotateDataKey({ spaceId: 'work' });
    await vault.close();
    const again = await openSqliteVault({ path, keyProvider: createEnvKeyProvider(FIXTURE_KEY) });
    expect(await again.get(work, 'NEW')).toBe('new-value');
    expect(await again.get(work, 'GITHUB_TOKEN')).toBe('ghp_fixture_token_0002');
    await again.close();
  });

  it('creates the same schema, statement for statement, as @mcpmux/vault 0.1.0', async () => {
    const { vault } = await freshVault();
    const old = new BetterSqlite3(FIXTURE, { readonly: true });
    expect(schemaOf(vault.database)).toEqual(schemaOf(old));
    old.close();
    await vault.close();
  });

  it('sets synchronous=FULL, secure_delete=ON, temp_store=MEMORY and WAL on a file it opens', async () => {
    const { vault } = await freshVault();
    expect(vault.database.pragma('synchronous', { simple: true })).toBe(2);
    expect(vault.database.pragma('secure_delete', { simple: true })).toBe(1);
    expect(vault.database.pragma('temp_store', { simple: true })).toBe(2);
    expect(vault.database.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = vault.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(['vault_data_keys', 'vault_master', 'vault_migrations', 'vault_secrets']);
    await vault.close();
    expect(vault.database.open).toBe(false);
  });

  it('shares a connection: deleteSpaceSync joins the caller transaction and rolls back with it', async () => {
    const db = new BetterSqlite3(join(tempDir(), 'shared.db'));
    db.exec('CREATE TABLE spaces (id TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO spaces VALUES (?)').run('work');
    const vault = await openSqliteVault({ database: db, keyProvider: randomEnvProvider() });
    await vault.set(work, 'A', 'aaaa-1');
    const remove = db.transaction((fail: boolean) => {
      db.prepare('DELETE FROM spaces WHERE id = ?').run('work');
      expect(vault.deleteSpaceSync('work')).toBe(1);
      if (fail) throw new Error('abort the delete');
    });
    expect(() => remove(true)).toThrow('abort the delete');
    expect(await vault.get(work, 'A')).toBe('aaaa-1');
    expect(db.prepare('SELECT COUNT(*) AS n FROM spaces').get()).toEqual({ n: 1 });
    remove(false);
    expect(await vault.has(work, 'A')).toBe(false);
    expect(db.prepare('SELECT COUNT(*) AS n FROM vault_data_keys').get()).toEqual({ n: 0 });
    await vault.close();
    expect(() => vault.deleteSpaceSync('work')).toThrow(/closed/);
    expect(db.open).toBe(true);
    db.close();
  });

  it("waits for another user's open transaction on a shared connection instead of joining it", async () => {
    const db = new BetterSqlite3(join(tempDir(), 'shared.db'));
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY)');
    const vault = await openSqliteVault({ database: db, keyProvider: randomEnvProvider() });
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO notes VALUES (1)').run();
    const pending = vault.set(work, 'A', 'written-after');
    await new Promise((r) => setTimeout(r, 20));
    expect(db.inTransaction).toBe(true);
    db.exec('ROLLBACK'); // the other user's work goes, the vault's write must not go with it
    await pending;
    expect(await vault.get(work, 'A')).toBe('written-after');
    expect(db.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 0 });
    await vault.close();
    db.close();
  });

  it('two vaults on two connections to one file, opened at once, in one process, agree on the key', async () => {
    const path = join(tempDir(), 'mcpmux.db');
    const provider = randomEnvProvider();
    const [a, b] = await Promise.all([
      openSqliteVault({ path, keyProvider: provider }),
      openSqliteVault({ path, keyProvider: provider }),
    ]);
    expect(a.masterKeyId).toBe(b.masterKeyId);
    await Promise.all([a.set(work, 'A', 'from-a'), b.set(work, 'B', 'from-b')]);
    expect(await a.get(work, 'B')).toBe('from-b');
    expect(await b.get(work, 'A')).toBe('from-a');
    await a.close();
    await b.close();
  });

  it('refuses a vault whose schema is newer than this build', async () => {
    const { path, provider, vault } = await freshVault();
    vault.database.prepare("INSERT INTO vault_migrations VALUES (99, 'later')").run();
    await vault.close();
    const err = await thrown(() => openSqliteVault({ path, keyProvider: provider }));
    expect(err.code).toBe('CONFLICT');
  });
});
