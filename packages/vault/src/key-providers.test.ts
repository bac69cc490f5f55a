import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteDatabase } from '@mcpmux/space-store/sqlite';
import { describe, expect, it } from 'vitest';
import {
  captureLogger,
  randomEnvProvider,
  randomKeyText,
  TEST_SCRYPT,
  tempDir,
  thrown,
} from '../test/helpers.js';
import { openVault, vaultCreatedWith } from './internal/sql-vault.js';
import {
  createEnvKeyProvider,
  createKeychainKeyProvider,
  createKeyFileKeyProvider,
  createPassphraseKeyProvider,
  selectKeyProvider,
} from './key-providers.js';
import { openSqliteVault } from './sqlite.js';

/** A vault created with `env`'s MCPMUX_MASTER_KEY in a new SQLite file; returns its database. */
async function envVault(env: { MCPMUX_MASTER_KEY: string }) {
  const db = openSqliteDatabase({ path: join(tempDir(), 'mcpmux.db') });
  await (await openVault({ database: db, keyProvider: createEnvKeyProvider(env.MCPMUX_MASTER_KEY) })).close();
  return db;
}

const scope = { spaceId: 'work', serverId: 'github' } as const;
const SECRET = 'ghp_canary_value_4242';

/** Creates a vault with `provider`, stores one secret, closes it; returns the file path. */
async function vaultWith(provider: Parameters<typeof openSqliteVault>[0]['keyProvider']) {
  const path = join(tempDir(), 'mcpmux.db');
  const vault = await openSqliteVault({ path, keyProvider: provider });
  await vault.set(scope, 'TOKEN', SECRET);
  await vault.close();
  return path;
}

async function expectLocked(path: string, provider: Parameters<typeof openSqliteVault>[0]['keyProvider']) {
  const err = await thrown(() => openSqliteVault({ path, keyProvider: provider }));
  expect(err.code).toBe('VAULT_LOCKED');
  expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(SECRET);
  return err;
}

describe('env key provider', () => {
  it('unlocks with the same key and fails closed with another, a missing or a malformed one', async () => {
    const good = randomKeyText();
    const path = await vaultWith(createEnvKeyProvider(good));
    const vault = await openSqliteVault({ path, keyProvider: createEnvKeyProvider(good) });
    expect(await vault.get(scope, 'TOKEN')).toBe(SECRET);
    await vault.close();
    const wrong = await expectLocked(path, createEnvKeyProvider(randomKeyText()));
    expect(wrong.message).toMatch(/does not unlock this vault/);
    expect((await expectLocked(path, createEnvKeyProvider(undefined))).message).toMatch(/is not set/);
    const short = randomBytes(16).toString('base64');
    const malformed = await expectLocked(path, createEnvKeyProvider(short));
    expect(malformed.message).not.toContain(short);
  });
});

describe('passphrase key provider', () => {
  it('derives the key from stored scrypt parameters and fails closed on a wrong passphrase', async () => {
    const path = await vaultWith(createPassphraseKeyProvider('correct horse', { scrypt: TEST_SCRYPT }));
    const vault = await openSqliteVault({ path, keyProvider: createPassphraseKeyProvider('correct horse') });
    const stored = vault.database.prepare('SELECT kdf FROM vault_master').get() as { kdf: string };
    expect(JSON.parse(stored.kdf)).toMatchObject({ algorithm: 'scrypt', N: 1024, r: 8, p: 1 });
    expect(stored.kdf).not.toContain('correct horse');
    expect(await vault.get(scope, 'TOKEN')).toBe(SECRET);
    await vault.close();
    const err = await expectLocked(path, createPassphraseKeyProvider('Correct horse'));
    expect(err.message).not.toContain('horse');
  });

  it('refuses an empty passphrase and a vault created without one', async () => {
    expect((await thrown(() => createPassphraseKeyProvider(''))).code).toBe('INVALID_INPUT');
    const path = await vaultWith(randomEnvProvider());
    expect((await expectLocked(path, createPassphraseKeyProvider('pw'))).message).toMatch(/passphrase/);
  });

  it('refuses a scrypt cost out of bounds when a vault is created with it, naming the field', async () => {
    const provider = createPassphraseKeyProvider('pw', { scrypt: { N: 3000 } });
    const err = await thrown(() =>
      openSqliteVault({ path: join(tempDir(), 'mcpmux.db'), keyProvider: provider }),
    );
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe('passphrase scrypt parameters.N: must be a power of two');
    expect(err.data).toEqual({ field: 'passphrase scrypt parameters.N' });
  });

  it('uses a fresh salt per vault', () => {
    const provider = createPassphraseKeyProvider('pw', { scrypt: TEST_SCRYPT });
    expect(provider.newKdfParams?.().salt).not.toBe(provider.newKdfParams?.().salt);
  });
});

describe('key file provider', () => {
  it('creates a 0600 key in a 0700 directory for a new vault and warns what it protects', async () => {
    const home = tempDir();
    const file = join(home, 'keys', 'master.key');
    const logger = captureLogger();
    const path = await vaultWith(createKeyFileKeyProvider(file, { logger }));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'keys')).mode & 0o777).toBe(0o700);
    expect(logger.lines.join('\n')).toMatch(
      /protects .* against other users.*does NOT protect against malware/s,
    );
    const vault = await openSqliteVault({ path, keyProvider: createKeyFileKeyProvider(file) });
    expect(await vault.get(scope, 'TOKEN')).toBe(SECRET);
    await vault.close();
  });

  it('warns at length once, when it creates the file, and later logs one short line', async () => {
    const home = tempDir();
    const file = join(home, 'keys', 'master.key');
    const first = captureLogger();
    const path = await vaultWith(createKeyFileKeyProvider(file, { logger: first }));
    expect(first.lines.filter((l) => l.startsWith('warn '))).toHaveLength(1);
    for (let i = 0; i < 2; i++) {
      const later = captureLogger();
      const vault = await openSqliteVault({
        path,
        keyProvider: createKeyFileKeyProvider(file, { logger: later }),
      });
      await vault.close();
      expect(later.lines.filter((l) => l.startsWith('warn '))).toEqual([]);
      expect(later.lines).toHaveLength(1);
      expect(later.lines[0]).toContain(file);
      expect(later.lines[0]?.length).toBeLessThan(100 + file.length);
    }
  });

  it('never creates a new key for an existing vault whose key file is gone', async () => {
    const home = tempDir();
    const file = join(home, 'keys', 'master.key');
    const path = await vaultWith(createKeyFileKeyProvider(file));
    const other = join(home, 'keys', 'other.key');
    const err = await expectLocked(path, createKeyFileKeyProvider(other));
    expect(err.message).toMatch(
      /missing and the vault already exists.*This vault's master key is key \w+, from the key file keys\/master\.key/,
    );
    expect(existsSync(other)).toBe(false);
  });

  it('refuses a key file readable by others and a wrong key file', async () => {
    const home = tempDir();
    const file = join(home, 'keys', 'master.key');
    const path = await vaultWith(createKeyFileKeyProvider(file));
    chmodSync(file, 0o644);
    expect((await expectLocked(path, createKeyFileKeyProvider(file))).message).toMatch(/chmod/);
    chmodSync(file, 0o600);
    writeFileSync(file, `${randomKeyText()}\n`);
    await expectLocked(path, createKeyFileKeyProvider(file));
  });
});

/** A session bus may offer a real keychain: the tests that assume none are skipped then (see test/keychain.test.ts). */
const sessionBus = process.env.DBUS_SESSION_BUS_ADDRESS !== undefined;

describe('keychain provider without a Secret Service', () => {
  it.skipIf(sessionBus)(
    'fails closed with VAULT_LOCKED when the platform keychain is unreachable',
    async () => {
      const path = join(tempDir(), 'mcpmux.db');
      const err = await thrown(() =>
        openSqliteVault({ path, keyProvider: createKeychainKeyProvider({ service: 'mcpmux-test-none' }) }),
      );
      expect(err.code).toBe('VAULT_LOCKED');
    },
  );
});

describe('selectKeyProvider', () => {
  const keychain = { service: `mcpmux-test-${randomBytes(4).toString('hex')}` };

  it.skipIf(sessionBus)('follows the documented order: prefer, env, passphrase, key file', async () => {
    const home = tempDir();
    const env = { MCPMUX_MASTER_KEY: randomKeyText() };
    expect((await selectKeyProvider({ env, home, prefer: 'keyfile', keychain })).kind).toBe('keyfile');
    expect((await selectKeyProvider({ env, home, passphrase: 'pw', keychain })).kind).toBe('env');
    expect((await selectKeyProvider({ env: {}, home, passphrase: 'pw', keychain })).kind).toBe('passphrase');
    expect((await selectKeyProvider({ env: {}, home, keychain })).id).toBe(
      `keyfile:${join(home, 'keys', 'master.key')}`,
    );
  });

  it('prefers an existing key file over a passphrase-less keychain and rejects incomplete preferences', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'keys'), { mode: 0o700 });
    writeFileSync(join(home, 'keys', 'master.key'), randomKeyText(), { mode: 0o600 });
    expect((await selectKeyProvider({ env: {}, home, keychain })).kind).toBe('keyfile');
    expect((await thrown(() => selectKeyProvider({ env: {}, home, prefer: 'env', keychain }))).code).toBe(
      'INVALID_INPUT',
    );
    expect(
      (await thrown(() => selectKeyProvider({ env: {}, home, prefer: 'passphrase', keychain }))).code,
    ).toBe('INVALID_INPUT');
    expect(readFileSync(join(home, 'keys', 'master.key'), 'utf8')).toHaveLength(44);
  });

  it('refuses a malformed MCPMUX_MASTER_KEY before any vault is read, saying to fix or unset the variable', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'keys'), { mode: 0o700 });
    writeFileSync(join(home, 'keys', 'master.key'), randomKeyText(), { mode: 0o600 });
    const bad = 'not-a-key-4242';
    for (const prefer of [undefined, 'env'] as const) {
      const err = await thrown(() =>
        selectKeyProvider({ env: { MCPMUX_MASTER_KEY: bad }, home, keychain, ...(prefer ? { prefer } : {}) }),
      );
      expect(err.code).toBe('VAULT_LOCKED');
      expect(err.message).toMatch(/MCPMUX_MASTER_KEY is set but malformed/);
      expect(err.message).toMatch(/fix it/i);
      expect(err.message).toContain('unset MCPMUX_MASTER_KEY');
      expect(err.message).not.toMatch(/restore/i);
      expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(bad);
    }
    // The key file is untouched; without the variable the vault's own key is used.
    expect((await selectKeyProvider({ env: {}, home, keychain })).kind).toBe('keyfile');
  });

  it('names the variable as the source of a key that does not unlock the vault', async () => {
    const home = tempDir();
    const path = join(home, 'mcpmux.db');
    await (
      await openSqliteVault({ path, keyProvider: createKeyFileKeyProvider(join(home, 'keys', 'k')) })
    ).close();
    const provider = await selectKeyProvider({ env: { MCPMUX_MASTER_KEY: randomKeyText() }, home, keychain });
    expect(provider.describe()).toContain('MCPMUX_MASTER_KEY');
    const err = await expectLocked(path, provider);
    expect(err.message).toContain('MCPMUX_MASTER_KEY');
  });

  it('reads the provider a vault was created with, and keeps a key-file vault on its key file', async () => {
    const home = tempDir();
    const keyFile = join(home, 'keys', 'master.key');
    const path = join(home, 'mcpmux.db');
    const db = openSqliteDatabase({ path });
    expect(await vaultCreatedWith(db)).toBeUndefined(); // no vault tables yet
    const vault = await openVault({ database: db, keyProvider: createKeyFileKeyProvider(keyFile) });
    expect(await vaultCreatedWith(db)).toBe('keyfile');
    await vault.close();
    const env = { MCPMUX_MASTER_KEY: randomKeyText() };
    const envDb = await envVault(env);
    expect(await vaultCreatedWith(envDb)).toBe('env');
    await envDb.close();
    // The hint picks the key file (without probing the keychain); the variable and a passphrase still
    // come first, and a missing key file falls back to the documented order.
    const created = { env: {}, home, keychain, createdWith: 'keyfile' } as const;
    expect((await selectKeyProvider(created)).id).toBe(`keyfile:${keyFile}`);
    expect((await selectKeyProvider({ ...created, env })).kind).toBe('env');
    expect((await selectKeyProvider({ ...created, passphrase: 'pw' })).kind).toBe('passphrase');
    const other = tempDir();
    expect((await selectKeyProvider({ ...created, home: other })).id).toBe(
      `keyfile:${join(other, 'keys', 'master.key')}`,
    );
    expect(existsSync(join(other, 'keys', 'master.key'))).toBe(false); // chosen, not created
    await db.close();
  });

  it('warns through the given logger when it falls back to the key file', async () => {
    const home = tempDir();
    const logger = captureLogger();
    const provider = await selectKeyProvider({ env: {}, home, prefer: 'keyfile', logger, keychain });
    const vault = await openSqliteVault({ path: join(home, 'mcpmux.db'), keyProvider: provider });
    await vault.close();
    expect(logger.lines.some((l) => l.startsWith('warn ') && l.includes('key file'))).toBe(true);
  });
});

describe('creating a vault from two connections at once', () => {
  it('ends with one key that both connections use, for passphrase and key file providers', async () => {
    for (const make of [
      () => createPassphraseKeyProvider('same passphrase', { scrypt: TEST_SCRYPT }),
      (() => {
        const file = join(tempDir(), 'keys', 'master.key');
        return () => createKeyFileKeyProvider(file);
      })(),
    ]) {
      const path = join(tempDir(), 'mcpmux.db');
      const [a, b] = await Promise.all([
        openSqliteVault({ path, keyProvider: make() }),
        openSqliteVault({ path, keyProvider: make() }),
      ]);
      expect(a.masterKeyId).toBe(b.masterKeyId);
      await a.set(scope, 'TOKEN', SECRET);
      expect(await b.get(scope, 'TOKEN')).toBe(SECRET);
      await a.close();
      await b.close();
    }
  });
});
