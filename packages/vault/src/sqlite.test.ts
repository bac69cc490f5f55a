import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureLogger, randomEnvProvider, tempDir, thrown } from '../test/helpers.js';
import { openSqliteVault } from './sqlite.js';

const work = { spaceId: 'work', serverId: 'github' } as const;

async function freshVault() {
  const path = join(tempDir(), 'mcpmux.db');
  const provider = randomEnvProvider();
  const vault = await openSqliteVault({ path, keyProvider: provider });
  return { path, provider, vault };
}

describe('SqliteVault', () => {
  it('stores, reads, versions and deletes a secret', async () => {
    const { vault } = await freshVault();
    expect(await vault.get(work, 'GITHUB_TOKEN')).toBeUndefined();
    expect(await vault.has(work, 'GITHUB_TOKEN')).toBe(false);
    await vault.set(work, 'GITHUB_TOKEN', 'ghp_first');
    await vault.set(work, 'GITHUB_TOKEN', 'ghp_second ünïcode 🔑');
    expect(await vault.get(work, 'GITHUB_TOKEN')).toBe('ghp_second ünïcode 🔑');
    expect(await vault.has(work, 'GITHUB_TOKEN')).toBe(true);
    const [info] = await vault.list();
    expect(info).toMatchObject({ scope: work, name: 'GITHUB_TOKEN', version: 2 });
    expect(await vault.delete(work, 'GITHUB_TOKEN')).toBe(true);
    expect(await vault.delete(work, 'GITHUB_TOKEN')).toBe(false);
    expect(await vault.get(work, 'GITHUB_TOKEN')).toBeUndefined();
    await vault.close();
  });

  it('reports committed sets and deletes to onSecretChange, by scope and name only', async () => {
    const seen: unknown[] = [];
    const path = join(tempDir(), 'mcpmux.db');
    const vault = await openSqliteVault({
      path,
      keyProvider: randomEnvProvider(),
      onSecretChange: (scope, name) => {
        seen.push([scope, name]);
        throw new Error('a failing hook is ignored');
      },
    });
    await vault.set(work, 'GITHUB_TOKEN', 'ghp_value');
    await vault.set({ global: true, serverId: 'search' }, 'API_KEY', 'k-value');
    expect(await vault.delete(work, 'GITHUB_TOKEN')).toBe(true);
    expect(await vault.delete(work, 'GITHUB_TOKEN')).toBe(false);
    await expect(vault.set(work, 'bad name', 'x')).rejects.toThrow();
    expect(seen).toEqual([
      [work, 'GITHUB_TOKEN'],
      [{ global: true, serverId: 'search' }, 'API_KEY'],
      [work, 'GITHUB_TOKEN'],
    ]);
    expect(JSON.stringify(seen)).not.toContain('value');
    await vault.close();
  });

  it('stores an empty value and tells it apart from a missing one', async () => {
    const { vault } = await freshVault();
    await vault.set(work, 'EMPTY', '');
    expect(await vault.get(work, 'EMPTY')).toBe('');
    await vault.close();
  });

  it('lists names, scopes and timestamps but never values, filtered', async () => {
    const { vault } = await freshVault();
    await vault.set(work, 'B', 'value-b-123');
    await vault.set(work, 'A', 'value-a-123');
    await vault.set({ spaceId: 'home', serverId: 'github' }, 'A', 'value-home');
    await vault.set({ global: true, serverId: 'search' }, 'KEY', 'value-global');
    const all = await vault.list();
    expect(all.map((s) => [s.scope, s.name])).toEqual([
      [{ global: true, serverId: 'search' }, 'KEY'],
      [{ spaceId: 'home', serverId: 'github' }, 'A'],
      [work, 'A'],
      [work, 'B'],
    ]);
    expect(JSON.stringify(all)).not.toMatch(/value-/);
    expect((await vault.list({ spaceId: 'work' })).map((s) => s.name)).toEqual(['A', 'B']);
    expect((await vault.list({ global: true })).map((s) => s.name)).toEqual(['KEY']);
    expect((await vault.list({ global: false, serverId: 'github' })).length).toBe(3);
    expect(all[0]?.createdAt).toBeInstanceOf(Date);
    await vault.close();
  });

  it('rejects malformed scopes and names with INVALID_INPUT naming the field', async () => {
    const { vault } = await freshVault();
    for (const name of [
      '../KEY',
      'A/B',
      'A B',
      'A\0B',
      '',
      '.hidden',
      'KEY\n',
      'Ｋey',
      'KΕY',
      'a'.repeat(129),
    ]) {
      const err = await thrown(() => vault.set(work, name, 'the-value-9'));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(/^secret name/);
      expect(err.message).not.toContain('the-value-9');
    }
    const bad = await thrown(() => vault.set({ spaceId: '../x', serverId: 'a' }, 'K', 'v'));
    expect(bad.code).toBe('INVALID_INPUT');
    const both = await thrown(() => vault.get({ spaceId: 'a', global: true, serverId: 'a' } as never, 'K'));
    expect(both.code).toBe('INVALID_INPUT');
    await vault.close();
  });

  it('keeps names exactly: case variants are different secrets', async () => {
    const { vault } = await freshVault();
    await vault.set(work, 'API_KEY', 'upper-value');
    await vault.set(work, 'api_key', 'lower-value');
    expect(await vault.get(work, 'API_KEY')).toBe('upper-value');
    expect(await vault.get(work, 'api_key')).toBe('lower-value');
    expect(await vault.get(work, 'Api_Key')).toBeUndefined();
    await vault.close();
  });

  it('never resolves a secret of one Space, server or the global scope from another', async () => {
    const { vault } = await freshVault();
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,20}$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
        async (name, spaceA, spaceB) => {
          fc.pre(spaceA !== spaceB);
          const value = `value-of-${spaceA}-${name}`;
          await vault.set({ spaceId: spaceA, serverId: 'srv' }, name, value);
          expect(await vault.get({ spaceId: spaceB, serverId: 'srv' }, name)).toBeUndefined();
          expect(await vault.get({ spaceId: spaceA, serverId: 'other' }, name)).toBeUndefined();
          expect(await vault.get({ global: true, serverId: 'srv' }, name)).toBeUndefined();
          expect(await vault.get({ spaceId: spaceA, serverId: 'srv' }, name)).toBe(value);
          await vault.deleteSpace(spaceA);
        },
      ),
      { numRuns: 100 },
    );
    await vault.close();
  }, 60_000);

  it('deletes every secret and the data key of a Space, and nothing else', async () => {
    const { vault } = await freshVault();
    await vault.set(work, 'A', 'aaaa-1');
    await vault.set({ spaceId: 'work', serverId: 'slack' }, 'B', 'bbbb-2');
    await vault.set({ spaceId: 'home', serverId: 'github' }, 'A', 'cccc-3');
    expect(await vault.deleteSpace('work')).toBe(2);
    expect(await vault.list()).toHaveLength(1);
    const keys = vault.database.prepare('SELECT scope FROM vault_data_keys').all();
    expect(keys).toEqual([{ scope: 'space:home' }]);
    expect(await vault.get({ spaceId: 'home', serverId: 'github' }, 'A')).toBe('cccc-3');
    await vault.close();
  });

  it('shares a connection: deleteSpaceSync joins the caller transaction and rolls back with it', async () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir, 'shared.db'));
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
    await vault.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('sets synchronous=FULL and secure_delete=ON and records its own migrations', async () => {
    const { vault } = await freshVault();
    expect(vault.database.pragma('synchronous', { simple: true })).toBe(2);
    expect(vault.database.pragma('secure_delete', { simple: true })).toBe(1);
    const tables = vault.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(['vault_data_keys', 'vault_master', 'vault_migrations', 'vault_secrets']);
    expect(vault.database.prepare('SELECT version FROM vault_migrations').all()).toEqual([{ version: 1 }]);
    await vault.close();
  });

  it('reopens with the same key and reads what another connection wrote', async () => {
    const { path, provider, vault } = await freshVault();
    const second = await openSqliteVault({ path, keyProvider: provider });
    await vault.set(work, 'A', 'written-by-first');
    expect(await second.get(work, 'A')).toBe('written-by-first');
    await vault.close();
    await second.close();
    const third = await openSqliteVault({ path, keyProvider: provider });
    expect(await third.get(work, 'A')).toBe('written-by-first');
    await third.close();
  });

  it('refuses every call after close', async () => {
    const { vault } = await freshVault();
    await vault.close();
    expect((await thrown(() => vault.get(work, 'A'))).code).toBe('VAULT_LOCKED');
    await vault.close();
  });

  it('rotates a data key: new key id, same values, old key gone', async () => {
    const { vault } = await freshVault();
    await vault.set(work, 'A', 'alpha-value');
    await vault.set({ spaceId: 'work', serverId: 'slack' }, 'B', 'beta-value');
    await vault.set({ spaceId: 'home', serverId: 'github' }, 'A', 'home-value');
    const keyOf = (scope: string) =>
      (vault.database.prepare('SELECT id FROM vault_data_keys WHERE scope = ?').get(scope) as { id: string })
        .id;
    const before = keyOf('space:work');
    const home = keyOf('space:home');
    await vault.rotateDataKey({ spaceId: 'work' });
    const after = keyOf('space:work');
    expect(after).not.toBe(before);
    expect(keyOf('space:home')).toBe(home);
    const ids = vault.database
      .prepare("SELECT DISTINCT data_key_id AS id FROM vault_secrets WHERE scope = 'space:work'")
      .all();
    expect(ids).toEqual([{ id: after }]);
    expect(await vault.get(work, 'A')).toBe('alpha-value');
    expect(await vault.get({ spaceId: 'work', serverId: 'slack' }, 'B')).toBe('beta-value');
    expect(await vault.get({ spaceId: 'home', serverId: 'github' }, 'A')).toBe('home-value');
    await vault.close();
  });

  it('rotates the master key: re-wraps data keys only, the old key stops working', async () => {
    const { path, provider, vault } = await freshVault();
    const logger = captureLogger();
    await vault.set(work, 'A', 'alpha-value');
    await vault.set({ global: true, serverId: 'search' }, 'K', 'global-value');
    const cipherBefore = vault.database.prepare('SELECT ciphertext FROM vault_secrets ORDER BY scope').all();
    const next = randomEnvProvider();
    await vault.rotateMasterKey(next);
    expect(vault.database.prepare('SELECT ciphertext FROM vault_secrets ORDER BY scope').all()).toEqual(
      cipherBefore,
    );
    const masters = vault.database.prepare('SELECT DISTINCT master_key_id AS id FROM vault_data_keys').all();
    expect(masters).toEqual([{ id: vault.masterKeyId }]);
    expect(await vault.get(work, 'A')).toBe('alpha-value');
    await vault.close();
    expect((await thrown(() => openSqliteVault({ path, keyProvider: provider }))).code).toBe('VAULT_LOCKED');
    const reopened = await openSqliteVault({ path, keyProvider: next, logger });
    expect(await reopened.get({ global: true, serverId: 'search' }, 'K')).toBe('global-value');
    await reopened.close();
    expect(logger.lines.join('\n')).not.toMatch(/alpha-value|global-value/);
  });

  it('fails closed when another process rotated the master key underneath', async () => {
    const { path, provider, vault } = await freshVault();
    await vault.set(work, 'A', 'alpha-value');
    const other = await openSqliteVault({ path, keyProvider: provider });
    await other.rotateMasterKey(randomEnvProvider());
    const err = await thrown(() => vault.get(work, 'A'));
    expect(err.code).toBe('VAULT_LOCKED');
    expect(err.message).toMatch(/reopen the vault/);
    expect((await thrown(() => vault.set(work, 'B', 'beta-value'))).code).toBe('VAULT_LOCKED');
    await vault.close();
    await other.close();
  });
});

describe('SqliteVault migrations', () => {
  it('refuses a vault whose schema is newer than this build', async () => {
    const { path, provider, vault } = await freshVault();
    vault.database.prepare("INSERT INTO vault_migrations VALUES (99, 'later')").run();
    await vault.close();
    const err = await thrown(() => openSqliteVault({ path, keyProvider: provider }));
    expect(err.code).toBe('CONFLICT');
  });
});
