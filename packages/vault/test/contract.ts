import { randomInt } from 'node:crypto';
import type { SqlDatabase } from '@mcpmux/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenVaultOptions, openVault, type SqlVault } from '../src/internal/sql-vault.js';
import { createEnvKeyProvider } from '../src/key-providers.js';
import type { KeyProvider, SecretScope } from '../src/types.js';
import { captureLogger, randomEnvProvider, randomKeyText, thrown } from './helpers.js';

/** One empty database of the backend under test; `open()` makes another connection to it (a process or replica). */
export interface VaultTestDatabase {
  open(): Promise<SqlDatabase>;
  /** A connection for the tamper tests' many small writes (e.g. without fsync); default `open()`. */
  openAttacker?(): Promise<SqlDatabase>;
}

/** How {@link describeVaultContract} reaches a backend. */
export interface VaultContractBackend {
  /** A fresh, empty database for one test. */
  create(): Promise<VaultTestDatabase>;
  /** How many single-bit flips the tamper test makes; default 1,000. */
  flips?: number;
  /** Runs of the cross-scope property test; default 100. */
  propertyRuns?: number;
  /** Skip the suite (the backend is not available here; say why elsewhere). */
  skip?: boolean;
}

const work = { spaceId: 'work', serverId: 'github' } as const;
const home = { spaceId: 'home', serverId: 'github' } as const;

type Opts = Omit<OpenVaultOptions, 'database'>;

/**
 * The behaviour every backend of the vault must show, run against SQLite and PostgreSQL: storage,
 * isolation, deletion inside a caller's transaction, rotation, fail-closed unlocking and tamper
 * detection. Everything goes through `openVault` on a `SqlDatabase` and SQL both dialects speak.
 */
export function describeVaultContract(name: string, backend: VaultContractBackend): void {
  const connections: SqlDatabase[] = [];
  const vaults: SqlVault[] = [];
  afterEach(async () => {
    for (const v of vaults.splice(0)) await v.close();
    for (const c of connections.splice(0)) await c.close();
  });

  /** A fresh database with helpers to connect and open vaults on it. */
  async function fresh() {
    const db = await backend.create();
    const connect = async (attacker = false) => {
      const c = attacker && db.openAttacker !== undefined ? await db.openAttacker() : await db.open();
      connections.push(c);
      return c;
    };
    const open = async (options: Opts, database?: SqlDatabase) => {
      const vault = await openVault({ ...options, database: database ?? (await connect()) });
      vaults.push(vault);
      return vault;
    };
    return { connect, open };
  }

  async function freshVault(options: Partial<Opts> = {}) {
    const f = await fresh();
    const provider = randomEnvProvider();
    const database = await f.connect();
    const vault = await f.open({ keyProvider: provider, ...options }, database);
    return { ...f, provider, database, vault };
  }

  const one = <T>(db: SqlDatabase, sql: string, params: unknown[] = []) =>
    db.read((c) => c.get<T>(sql, params));
  const rows = <T>(db: SqlDatabase, sql: string, params: unknown[] = []) =>
    db.read((c) => c.all<T>(sql, params));
  const exec = (db: SqlDatabase, sql: string, params: unknown[] = []) => db.write((c) => c.run(sql, params));

  describe.skipIf(backend.skip === true)(`vault contract: ${name}`, () => {
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
    });

    it('reports committed sets and deletes to onSecretChange, by scope and name only', async () => {
      const seen: unknown[] = [];
      const { vault } = await freshVault({
        onSecretChange: (scope, secret) => {
          seen.push([scope, secret]);
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
    });

    it('stores an empty value and a 1 MiB one, and refuses one byte more', async () => {
      const { vault } = await freshVault();
      await vault.set(work, 'EMPTY', '');
      expect(await vault.get(work, 'EMPTY')).toBe('');
      const big = 'x'.repeat(1024 * 1024);
      await vault.set(work, 'BIG', big);
      expect(await vault.get(work, 'BIG')).toBe(big);
      const err = await thrown(() => vault.set(work, 'BIGGER', `${big}y`));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message.length).toBeLessThan(200);
    });

    it('lists names, scopes and timestamps but never values, filtered and sorted bytewise', async () => {
      const { vault } = await freshVault();
      await vault.set(work, 'B', 'value-b-123');
      await vault.set(work, 'A', 'value-a-123');
      await vault.set(work, 'a', 'value-a-lower');
      await vault.set(work, '_x', 'value-underscore');
      await vault.set(home, 'A', 'value-home');
      await vault.set({ global: true, serverId: 'search' }, 'KEY', 'value-global');
      const all = await vault.list();
      expect(all.map((s) => [s.scope, s.name])).toEqual([
        [{ global: true, serverId: 'search' }, 'KEY'],
        [home, 'A'],
        [work, 'A'],
        [work, 'B'],
        [work, '_x'],
        [work, 'a'],
      ]);
      expect(JSON.stringify(all)).not.toMatch(/value-/);
      expect((await vault.list({ spaceId: 'work' })).map((s) => s.name)).toEqual(['A', 'B', '_x', 'a']);
      expect((await vault.list({ global: true })).map((s) => s.name)).toEqual(['KEY']);
      expect((await vault.list({ global: false, serverId: 'github' })).length).toBe(5);
      expect(all[0]?.createdAt).toBeInstanceOf(Date);
      expect(all[0]?.version).toBe(1);
    });

    it('rejects malformed scopes and names with INVALID_INPUT naming the field', async () => {
      const { vault } = await freshVault();
      for (const bad of [
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
        const err = await thrown(() => vault.set(work, bad, 'the-value-9'));
        expect(err.code).toBe('INVALID_INPUT');
        expect(err.message).toMatch(/^secret name/);
        expect(err.message).not.toContain('the-value-9');
      }
      expect((await thrown(() => vault.set({ spaceId: '../x', serverId: 'a' }, 'K', 'v'))).code).toBe(
        'INVALID_INPUT',
      );
      const both = await thrown(() => vault.get({ spaceId: 'a', global: true, serverId: 'a' } as never, 'K'));
      expect(both.code).toBe('INVALID_INPUT');
    });

    it('keeps names exactly: case variants are different secrets', async () => {
      const { vault } = await freshVault();
      await vault.set(work, 'API_KEY', 'upper-value');
      await vault.set(work, 'api_key', 'lower-value');
      expect(await vault.get(work, 'API_KEY')).toBe('upper-value');
      expect(await vault.get(work, 'api_key')).toBe('lower-value');
      expect(await vault.get(work, 'Api_Key')).toBeUndefined();
    });

    it('never resolves a secret of one Space, server or the global scope from another', async () => {
      const { vault } = await freshVault();
      await fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,20}$/),
          fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
          fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
          async (secret, spaceA, spaceB) => {
            fc.pre(spaceA !== spaceB);
            const value = `value-of-${spaceA}-${secret}`;
            await vault.set({ spaceId: spaceA, serverId: 'srv' }, secret, value);
            expect(await vault.get({ spaceId: spaceB, serverId: 'srv' }, secret)).toBeUndefined();
            expect(await vault.get({ spaceId: spaceA, serverId: 'other' }, secret)).toBeUndefined();
            expect(await vault.get({ global: true, serverId: 'srv' }, secret)).toBeUndefined();
            expect(await vault.get({ spaceId: spaceA, serverId: 'srv' }, secret)).toBe(value);
            await vault.deleteSpace(spaceA);
          },
        ),
        { numRuns: backend.propertyRuns ?? 100 },
      );
    }, 120_000);

    it('deletes every secret and the data key of a Space, and nothing else', async () => {
      const { vault, database } = await freshVault();
      await vault.set(work, 'A', 'aaaa-1');
      await vault.set({ spaceId: 'work', serverId: 'slack' }, 'B', 'bbbb-2');
      await vault.set(home, 'A', 'cccc-3');
      expect(await vault.deleteSpace('work')).toBe(2);
      expect(await vault.list()).toHaveLength(1);
      expect(await rows(database, 'SELECT scope FROM vault_data_keys')).toEqual([{ scope: 'space:home' }]);
      expect(await vault.get(home, 'A')).toBe('cccc-3');
      expect((await thrown(() => vault.deleteSpace('../work'))).code).toBe('INVALID_INPUT');
    });

    it("deleteSpace(spaceId, tx) runs in the caller's transaction and rolls back with it", async () => {
      const { vault, database } = await freshVault();
      await vault.set(work, 'A', 'aaaa-1');
      await vault.set(home, 'A', 'hhhh-1');
      const failed = await thrown(() =>
        database.write(async (c) => {
          expect(await vault.deleteSpace('work', c)).toBe(1);
          expect(
            await c.get('SELECT 1 AS n FROM vault_secrets WHERE scope = ?', ['space:work']),
          ).toBeUndefined();
          throw new Error('abort the Space deletion');
        }),
      );
      expect(failed.message).toBe('abort the Space deletion');
      expect(await vault.get(work, 'A')).toBe('aaaa-1');
      const removed = await database.write((c) => vault.deleteSpace('work', c));
      expect(removed).toBe(1);
      expect(await vault.has(work, 'A')).toBe(false);
      expect(await vault.get(home, 'A')).toBe('hhhh-1');
    });

    it('records its own migrations and refuses a schema newer than this build', async () => {
      const { vault, database, connect, provider } = await freshVault();
      const versions = await rows<{ version: number }>(database, 'SELECT version FROM vault_migrations');
      expect(versions.map((v) => Number(v.version))).toEqual([1]);
      await vault.close();
      const again = await openVault({ database: await connect(), keyProvider: provider });
      expect(await rows(database, 'SELECT version FROM vault_migrations')).toHaveLength(1);
      await again.close();
      await exec(database, "INSERT INTO vault_migrations (version, applied_at) VALUES (99, 'later')");
      const err = await thrown(() => openVault({ database: database, keyProvider: provider }));
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toMatch(/upgrade mcpmux/);
    });

    it('reopens with the same key and reads what another connection wrote', async () => {
      const { vault, provider, open } = await freshVault();
      const second = await open({ keyProvider: provider });
      await vault.set(work, 'A', 'written-by-first');
      expect(await second.get(work, 'A')).toBe('written-by-first');
      await second.set(home, 'B', 'written-by-second');
      expect(await vault.get(home, 'B')).toBe('written-by-second');
      expect(second.masterKeyId).toBe(vault.masterKeyId);
      const third = await open({ keyProvider: provider });
      expect(await third.get(work, 'A')).toBe('written-by-first');
    });

    it('refuses every call after close', async () => {
      const { vault } = await freshVault();
      await vault.close();
      expect((await thrown(() => vault.get(work, 'A'))).code).toBe('VAULT_LOCKED');
      expect((await thrown(() => vault.set(work, 'A', 'v'))).code).toBe('VAULT_LOCKED');
      await vault.close();
    });

    it('fails closed on a wrong key, saying which key it expects and what to do for that provider', async () => {
      const { vault, open, provider } = await freshVault();
      await vault.set(work, 'TOKEN', 'ghp_canary_value_4242');
      const wrong = await thrown(() => open({ keyProvider: createEnvKeyProvider(randomKeyText()) }));
      expect(wrong.code).toBe('VAULT_LOCKED');
      expect(wrong.data).toMatchObject({ reason: 'wrong-key', expectedKeyId: vault.masterKeyId });
      expect(wrong.message).toMatch(/^MCPMUX_MASTER_KEY does not unlock this vault/);
      expect(wrong.message).toContain(vault.masterKeyId);
      expect(wrong.message).not.toMatch(/restore|key file/i);
      expect(`${wrong.message} ${JSON.stringify(wrong)}`).not.toContain('ghp_canary');
      expect(`${wrong.message} ${JSON.stringify(wrong)}`).not.toContain(provider.keyText);
      const missing = await thrown(() => open({ keyProvider: createEnvKeyProvider(undefined) }));
      expect(missing.code).toBe('VAULT_LOCKED');
      expect(missing.message).toContain(vault.masterKeyId);
    });

    it('rotates a data key: new key id, same values, old key gone', async () => {
      const { vault, database } = await freshVault();
      await vault.set(work, 'A', 'alpha-value');
      await vault.set({ spaceId: 'work', serverId: 'slack' }, 'B', 'beta-value');
      await vault.set(home, 'A', 'home-value');
      const keyOf = async (scope: string) =>
        (await one<{ id: string }>(database, 'SELECT id FROM vault_data_keys WHERE scope = ?', [scope]))?.id;
      const before = await keyOf('space:work');
      const homeKey = await keyOf('space:home');
      await vault.rotateDataKey({ spaceId: 'work' });
      const after = await keyOf('space:work');
      expect(after).not.toBe(before);
      expect(await keyOf('space:home')).toBe(homeKey);
      expect(
        await rows(
          database,
          "SELECT DISTINCT data_key_id AS id FROM vault_secrets WHERE scope = 'space:work'",
        ),
      ).toEqual([{ id: after }]);
      expect(await vault.get(work, 'A')).toBe('alpha-value');
      expect(await vault.get({ spaceId: 'work', serverId: 'slack' }, 'B')).toBe('beta-value');
      expect(await vault.get(home, 'A')).toBe('home-value');
      await vault.rotateDataKey({ spaceId: 'empty' });
      expect(await keyOf('space:empty')).toBeDefined();
    });

    it('rotates the master key: re-wraps data keys only, the old key stops working', async () => {
      const logger = captureLogger();
      const { vault, database, provider, open } = await freshVault({ logger });
      await vault.set(work, 'A', 'alpha-value');
      await vault.set({ global: true, serverId: 'search' }, 'K', 'global-value');
      const ciphertexts = () =>
        rows<{ ciphertext: Uint8Array }>(database, 'SELECT ciphertext FROM vault_secrets ORDER BY scope');
      const before = (await ciphertexts()).map((r) => Buffer.from(r.ciphertext).toString('hex'));
      const next = randomEnvProvider();
      await vault.rotateMasterKey(next);
      expect((await ciphertexts()).map((r) => Buffer.from(r.ciphertext).toString('hex'))).toEqual(before);
      expect(await rows(database, 'SELECT DISTINCT master_key_id AS id FROM vault_data_keys')).toEqual([
        { id: vault.masterKeyId },
      ]);
      expect(await vault.get(work, 'A')).toBe('alpha-value');
      expect((await thrown(() => open({ keyProvider: provider }))).code).toBe('VAULT_LOCKED');
      const reopened = await open({ keyProvider: next });
      expect(await reopened.get({ global: true, serverId: 'search' }, 'K')).toBe('global-value');
      expect(logger.lines.join('\n')).toMatch(/rotated/);
      expect(logger.lines.join('\n')).not.toMatch(/alpha-value|global-value/);
      expect(logger.lines.join('\n')).not.toContain(next.keyText);
    });

    it('picks up a master-key rotation made through another connection when its provider gives the new key', async () => {
      const keys = { current: randomKeyText() };
      // A provider reading a variable that changes, as a key file or keychain entry replaced by the rotation would.
      const moving: KeyProvider = {
        ...createEnvKeyProvider(keys.current),
        getMasterKey: (request) => createEnvKeyProvider(keys.current).getMasterKey(request),
      };
      const { vault, open } = await freshVault({ keyProvider: moving });
      await vault.set(work, 'A', 'alpha-value');
      const other = await open({ keyProvider: createEnvKeyProvider(keys.current) });
      const nextKey = randomKeyText();
      await other.rotateMasterKey(createEnvKeyProvider(nextKey));
      keys.current = nextKey;
      expect(await vault.get(work, 'A')).toBe('alpha-value');
      expect(vault.masterKeyId).toBe(other.masterKeyId);
      await vault.set(home, 'B', 'beta-value');
      expect(await other.get(home, 'B')).toBe('beta-value');
    });

    it('fails closed when another connection rotated the master key and its provider still gives the old one', async () => {
      const { vault, provider, open } = await freshVault();
      await vault.set(work, 'A', 'alpha-value');
      const other = await open({ keyProvider: provider });
      await other.rotateMasterKey(randomEnvProvider());
      const err = await thrown(() => vault.get(work, 'A'));
      expect(err.code).toBe('VAULT_LOCKED');
      expect(err.data).toMatchObject({ reason: 'rotated', expectedKeyId: other.masterKeyId });
      expect(err.message).toMatch(/rotated by another process or replica/);
      expect(err.message).toMatch(/reopen the vault/);
      expect(err.message).not.toContain('alpha-value');
      expect((await thrown(() => vault.set(work, 'B', 'beta-value'))).code).toBe('VAULT_LOCKED');
      expect((await thrown(() => vault.rotateDataKey({ spaceId: 'work' }))).code).toBe('VAULT_LOCKED');
      expect(await other.get(work, 'A')).toBe('alpha-value');
      expect(await other.has(work, 'B')).toBe(false);
    });

    describe('tamper detection', () => {
      /** Where a bit can be flipped: a table, a binary column and the row it belongs to. */
      const TARGETS = [
        { table: 'vault_secrets', column: 'iv', where: "scope = 'space:work' AND name = 'TOKEN'" },
        { table: 'vault_secrets', column: 'ciphertext', where: "scope = 'space:work' AND name = 'TOKEN'" },
        { table: 'vault_secrets', column: 'tag', where: "scope = 'space:work' AND name = 'TOKEN'" },
        { table: 'vault_data_keys', column: 'iv', where: "scope = 'space:work'" },
        { table: 'vault_data_keys', column: 'wrapped', where: "scope = 'space:work'" },
        { table: 'vault_data_keys', column: 'tag', where: "scope = 'space:work'" },
      ] as const;

      async function seeded() {
        const f = await freshVault();
        await f.vault.set(work, 'TOKEN', 'ghp_work_token_value_0001');
        await f.vault.set(work, 'OTHER', 'ghp_work_other_value_0002');
        await f.vault.set(home, 'TOKEN', 'ghp_home_token_value_0003');
        return f;
      }

      it('detects random single-bit flips in IVs, ciphertexts, tags and wrapped keys', async () => {
        const { vault, connect } = await seeded();
        const attacker = await connect(true);
        const flips = backend.flips ?? 1000;
        let detected = 0;
        for (let i = 0; i < flips; i++) {
          const target = TARGETS[i % TARGETS.length]!;
          const select = `SELECT ${target.column} AS v FROM ${target.table} WHERE ${target.where}`;
          const original = Buffer.from((await one<{ v: Uint8Array }>(attacker, select))!.v);
          const flipped = Buffer.from(original);
          const bit = randomInt(flipped.length * 8);
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          const update = `UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`;
          await exec(attacker, update, [flipped]);
          const err = await thrown(() => vault.get(work, 'TOKEN'));
          if (err.code === 'VAULT_LOCKED' && !err.message.includes('ghp_')) detected++;
          await exec(attacker, update, [original]);
        }
        expect(detected).toBe(flips);
        expect(await vault.get(work, 'TOKEN')).toBe('ghp_work_token_value_0001');
      }, 120_000);

      it('detects a flipped bit in the key-check record before decrypting anything', async () => {
        const { vault, database, provider, open } = await seeded();
        const row = await one<{ v: Uint8Array }>(database, 'SELECT check_ciphertext AS v FROM vault_master');
        const flipped = Buffer.from(row!.v);
        flipped[0]! ^= 0x01;
        await exec(database, 'UPDATE vault_master SET check_ciphertext = ?', [flipped]);
        await vault.close();
        const err = await thrown(() => open({ keyProvider: provider }));
        expect(err.code).toBe('VAULT_LOCKED');
        expect(err.data).toMatchObject({ reason: 'integrity' });
      });

      it('rejects a ciphertext moved to another name, server or Space (AAD)', async () => {
        const { vault, database } = await seeded();
        const secretRow = (where: string) =>
          one<Record<string, unknown>>(
            database,
            `SELECT iv, ciphertext, tag, version, data_key_id FROM vault_secrets WHERE ${where}`,
          );
        const other = (await secretRow("scope = 'space:work' AND name = 'OTHER'"))!;
        // Same Space, same data key, another name.
        await exec(
          database,
          "UPDATE vault_secrets SET iv = ?, ciphertext = ?, tag = ?, version = ? WHERE scope = 'space:work' AND name = 'TOKEN'",
          [other.iv, other.ciphertext, other.tag, other.version],
        );
        expect((await thrown(() => vault.get(work, 'TOKEN'))).code).toBe('VAULT_LOCKED');
        // Another Space: its data key id travels with the record.
        const full = (await secretRow("scope = 'space:home'"))!;
        await exec(
          database,
          `UPDATE vault_secrets SET iv = ?, ciphertext = ?, tag = ?, version = ?, data_key_id = ?
           WHERE scope = 'space:work' AND name = 'TOKEN'`,
          [full.iv, full.ciphertext, full.tag, full.version, full.data_key_id],
        );
        expect((await thrown(() => vault.get(work, 'TOKEN'))).code).toBe('VAULT_LOCKED');
        // A row re-labelled to another Space keeps its ciphertext but no longer authenticates.
        await exec(database, "UPDATE vault_secrets SET scope = 'space:evil' WHERE scope = 'space:home'");
        await exec(
          database,
          "INSERT INTO vault_data_keys SELECT 'space:evil', id || 'x', master_key_id, iv, wrapped, tag, created_at FROM vault_data_keys WHERE scope = 'space:home'",
        );
        await exec(
          database,
          "UPDATE vault_secrets SET data_key_id = data_key_id || 'x' WHERE scope = 'space:evil'",
        );
        const evil = await thrown(() => vault.get({ spaceId: 'evil', serverId: 'github' }, 'TOKEN'));
        expect(evil.code).toBe('VAULT_LOCKED');
        expect(evil.message).not.toContain('ghp_');
      });

      it('rejects a wrapped data key moved to another Space and a bumped version', async () => {
        const { vault, database } = await seeded();
        const key = (await one<Record<string, unknown>>(
          database,
          "SELECT iv, wrapped, tag FROM vault_data_keys WHERE scope = 'space:home'",
        ))!;
        await exec(
          database,
          "UPDATE vault_data_keys SET iv = ?, wrapped = ?, tag = ? WHERE scope = 'space:work'",
          [key.iv, key.wrapped, key.tag],
        );
        expect((await thrown(() => vault.get(work, 'OTHER'))).code).toBe('VAULT_LOCKED');
        await exec(database, "UPDATE vault_secrets SET version = version + 1 WHERE scope = 'space:home'");
        expect((await thrown(() => vault.get(home, 'TOKEN'))).code).toBe('VAULT_LOCKED');
      });

      it('reports a secret whose data key row is gone as tampering, not as missing', async () => {
        const { vault, database } = await seeded();
        await exec(database, "DELETE FROM vault_data_keys WHERE scope = 'space:work'");
        const err = await thrown(() => vault.get(work, 'TOKEN'));
        expect(err.code).toBe('VAULT_LOCKED');
        expect(err.data).toMatchObject({ reason: 'integrity', name: 'TOKEN' });
      });
    });
  });
}

/**
 * Behaviour of several connections writing at once (processes on one SQLite file, replicas on one
 * PostgreSQL database). Only for backends whose driver never blocks the event loop while another
 * connection in the same process holds a lock.
 */
export function describeVaultReplicaContract(name: string, backend: VaultContractBackend): void {
  const connections: SqlDatabase[] = [];
  const vaults: SqlVault[] = [];
  afterEach(async () => {
    for (const v of vaults.splice(0)) await v.close();
    for (const c of connections.splice(0)) await c.close();
  });
  const openOn = async (db: VaultTestDatabase, keyProvider: KeyProvider) => {
    const database = await db.open();
    connections.push(database);
    const vault = await openVault({ database, keyProvider });
    vaults.push(vault);
    return vault;
  };

  describe.skipIf(backend.skip === true)(`vault replicas: ${name}`, () => {
    it('creates one vault when two replicas open an empty database at once', async () => {
      const db = await backend.create();
      const keyText = randomKeyText();
      const [a, b] = await Promise.all([
        openOn(db, createEnvKeyProvider(keyText)),
        openOn(db, createEnvKeyProvider(keyText)),
      ]);
      expect(a.masterKeyId).toBe(b.masterKeyId);
      await a.set(work, 'TOKEN', 'from-a');
      expect(await b.get(work, 'TOKEN')).toBe('from-a');
    });

    it("two replicas see each other's secrets at once and lose no write when both write together", async () => {
      const db = await backend.create();
      const provider = randomEnvProvider();
      const a = await openOn(db, provider);
      const b = await openOn(db, provider);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).set({ spaceId: `s${i % 4}`, serverId: 'srv' }, `K${i}`, `v${i}`),
        ),
      );
      // Both bump the same secret: every set is one version.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).set(work, 'SHARED', `v${i}`)),
      );
      for (let i = 0; i < 20; i++) {
        const scope: SecretScope = { spaceId: `s${i % 4}`, serverId: 'srv' };
        expect(await a.get(scope, `K${i}`)).toBe(`v${i}`);
        expect(await b.get(scope, `K${i}`)).toBe(`v${i}`);
      }
      const [shared] = await b.list({ spaceId: 'work' });
      expect(shared?.version).toBe(10);
      expect((await a.list()).length).toBe(21);
    });

    it('a master-key rotation through one replica fails closed on the other until it gets the new key', async () => {
      const db = await backend.create();
      const provider = randomEnvProvider();
      const a = await openOn(db, provider);
      const b = await openOn(db, provider);
      await a.set(work, 'TOKEN', 'token-value');
      const next = randomEnvProvider();
      await a.rotateMasterKey(next);
      const err = await thrown(() => b.get(work, 'TOKEN'));
      expect(err.code).toBe('VAULT_LOCKED');
      expect(err.data).toMatchObject({ reason: 'rotated', expectedKeyId: a.masterKeyId });
      // Restarted with the new key, the replica reads everything again.
      const restarted = await openOn(db, createEnvKeyProvider(next.keyText));
      expect(await restarted.get(work, 'TOKEN')).toBe('token-value');
    });
  });
}
