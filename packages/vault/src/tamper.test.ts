import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { randomEnvProvider, tempDir, thrown } from '../test/helpers.js';
import { openSqliteVault } from './sqlite.js';

const work = { spaceId: 'work', serverId: 'github' } as const;
const home = { spaceId: 'home', serverId: 'github' } as const;

/** Where a bit can be flipped: a table, a BLOB column and the row it belongs to. */
const TARGETS = [
  { table: 'vault_secrets', column: 'iv', where: "scope = 'space:work' AND name = 'TOKEN'" },
  { table: 'vault_secrets', column: 'ciphertext', where: "scope = 'space:work' AND name = 'TOKEN'" },
  { table: 'vault_secrets', column: 'tag', where: "scope = 'space:work' AND name = 'TOKEN'" },
  { table: 'vault_data_keys', column: 'iv', where: "scope = 'space:work'" },
  { table: 'vault_data_keys', column: 'wrapped', where: "scope = 'space:work'" },
  { table: 'vault_data_keys', column: 'tag', where: "scope = 'space:work'" },
] as const;

async function seeded() {
  const path = join(tempDir(), 'mcpmux.db');
  const provider = randomEnvProvider();
  const vault = await openSqliteVault({ path, keyProvider: provider });
  await vault.set(work, 'TOKEN', 'ghp_work_token_value_0001');
  await vault.set(work, 'OTHER', 'ghp_work_other_value_0002');
  await vault.set(home, 'TOKEN', 'ghp_home_token_value_0003');
  return { path, provider, vault };
}

describe('tamper detection', () => {
  it('detects 1,000 random single-bit flips in IVs, ciphertexts, tags and wrapped keys', async () => {
    const { path, vault } = await seeded();
    // The attacker's own connection (no fsync per write, so 2,000 writes stay quick).
    const db = new BetterSqlite3(path);
    db.pragma('synchronous = OFF');
    let detected = 0;
    for (let i = 0; i < 1000; i++) {
      const target = TARGETS[i % TARGETS.length]!;
      const select = `SELECT ${target.column} AS v FROM ${target.table} WHERE ${target.where}`;
      const original = (db.prepare(select).get() as { v: Buffer }).v;
      const flipped = Buffer.from(original);
      const bit = randomInt(flipped.length * 8);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      db.prepare(`UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`).run(flipped);
      const err = await thrown(() => vault.get(work, 'TOKEN'));
      if (err.code === 'VAULT_LOCKED' && !err.message.includes('ghp_')) detected++;
      db.prepare(`UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`).run(original);
    }
    expect(detected).toBe(1000);
    expect(await vault.get(work, 'TOKEN')).toBe('ghp_work_token_value_0001');
    db.close();
    await vault.close();
  }, 60_000);

  it('detects a flipped bit in the key-check record before decrypting anything', async () => {
    const { path, provider, vault } = await seeded();
    const row = vault.database.prepare('SELECT check_ciphertext AS v FROM vault_master').get() as {
      v: Buffer;
    };
    row.v[0]! ^= 0x01;
    vault.database.prepare('UPDATE vault_master SET check_ciphertext = ?').run(row.v);
    await vault.close();
    const err = await thrown(() => openSqliteVault({ path, keyProvider: provider }));
    expect(err.code).toBe('VAULT_LOCKED');
  });

  it('rejects a ciphertext moved to another name, server or Space (AAD)', async () => {
    const { vault } = await seeded();
    const db = vault.database;
    const copy = (fromWhere: string, toWhere: string) => {
      const src = db
        .prepare(`SELECT iv, ciphertext, tag, version FROM vault_secrets WHERE ${fromWhere}`)
        .get();
      db.prepare(
        `UPDATE vault_secrets SET iv = @iv, ciphertext = @ciphertext, tag = @tag, version = @version WHERE ${toWhere}`,
      ).run(src as Record<string, unknown>);
    };
    // Same Space, same data key, another name.
    copy("scope = 'space:work' AND name = 'OTHER'", "scope = 'space:work' AND name = 'TOKEN'");
    expect((await thrown(() => vault.get(work, 'TOKEN'))).code).toBe('VAULT_LOCKED');
    // Another Space: its data key id travels with the record.
    const full = db.prepare("SELECT * FROM vault_secrets WHERE scope = 'space:home'").get() as Record<
      string,
      unknown
    >;
    db.prepare(
      `UPDATE vault_secrets SET iv = @iv, ciphertext = @ciphertext, tag = @tag, version = @version,
       data_key_id = @data_key_id WHERE scope = 'space:work' AND name = 'TOKEN'`,
    ).run(full);
    expect((await thrown(() => vault.get(work, 'TOKEN'))).code).toBe('VAULT_LOCKED');
    // A row re-labelled to another Space keeps its ciphertext but no longer authenticates.
    db.prepare("UPDATE vault_secrets SET scope = 'space:evil' WHERE scope = 'space:home'").run();
    db.prepare(
      "INSERT INTO vault_data_keys SELECT 'space:evil', id || 'x', master_key_id, iv, wrapped, tag, created_at FROM vault_data_keys WHERE scope = 'space:home'",
    ).run();
    expect((await thrown(() => vault.get({ spaceId: 'evil', serverId: 'github' }, 'TOKEN'))).code).toBe(
      'VAULT_LOCKED',
    );
    await vault.close();
  });

  it('rejects a wrapped data key moved to another Space and a bumped version', async () => {
    const { vault } = await seeded();
    const db = vault.database;
    const home = db.prepare("SELECT iv, wrapped, tag FROM vault_data_keys WHERE scope = 'space:home'").get();
    db.prepare(
      "UPDATE vault_data_keys SET iv = @iv, wrapped = @wrapped, tag = @tag WHERE scope = 'space:work'",
    ).run(home as Record<string, unknown>);
    expect((await thrown(() => vault.get(work, 'OTHER'))).code).toBe('VAULT_LOCKED');
    db.prepare("UPDATE vault_secrets SET version = version + 1 WHERE scope = 'space:home'").run();
    expect((await thrown(() => vault.get({ spaceId: 'home', serverId: 'github' }, 'TOKEN'))).code).toBe(
      'VAULT_LOCKED',
    );
    await vault.close();
  });
});
