import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wrongKeyError } from '../src/internal/unlock-errors.js';
import {
  createEnvKeyProvider,
  createKeychainKeyProvider,
  createKeyFileKeyProvider,
  createPassphraseKeyProvider,
} from '../src/key-providers.js';
import { openSqliteVault } from '../src/sqlite.js';
import type { KeyProvider } from '../src/types.js';
import { randomKeyText, TEST_SCRYPT, tempDir, thrown } from './helpers.js';

// Issue #20: a key that does not unlock the vault must say what to do for the provider that gave it.

async function vaultMadeBy(keyProvider: KeyProvider) {
  const home = tempDir();
  const path = join(home, 'mcpmux.db');
  const vault = await openSqliteVault({ path, keyProvider });
  const keyId = vault.masterKeyId;
  await vault.set({ spaceId: 'work', serverId: 'github' }, 'TOKEN', 'ghp_secret_value_77');
  await vault.close();
  return { path, keyId };
}

async function refusal(path: string, keyProvider: KeyProvider) {
  const err = await thrown(() => openSqliteVault({ path, keyProvider }));
  expect(err.code).toBe('VAULT_LOCKED');
  expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('ghp_secret_value_77');
  return err;
}

describe('a key that does not unlock the vault', () => {
  it('MCPMUX_MASTER_KEY over a key-file vault: fix or unset the variable, not restore the file', async () => {
    const { path, keyId } = await vaultMadeBy(
      createKeyFileKeyProvider(join(tempDir(), 'keys', 'master.key')),
    );
    const wrongText = randomKeyText();
    const err = await refusal(path, createEnvKeyProvider(wrongText));
    expect(err.message).toMatch(/^MCPMUX_MASTER_KEY does not unlock this vault/);
    expect(err.message).toContain(`key ${keyId} from the key file`);
    expect(err.message).toContain('unset MCPMUX_MASTER_KEY');
    expect(err.message).not.toMatch(/restore/i);
    expect(err.message).not.toContain(wrongText);
    expect(err.data).toMatchObject({
      reason: 'wrong-key',
      expectedKeyId: keyId,
      expectedProvider: 'keyfile',
    });
  });

  it('a malformed MCPMUX_MASTER_KEY over a key-file vault: fix or unset the variable, not restore the file', async () => {
    const { path, keyId } = await vaultMadeBy(
      createKeyFileKeyProvider(join(tempDir(), 'keys', 'master.key')),
    );
    const err = await refusal(path, createEnvKeyProvider('bm90IGEga2V5'));
    expect(err.message).toMatch(/MCPMUX_MASTER_KEY/);
    expect(err.message).toMatch(/unset/);
    expect(err.message).toContain(keyId);
    expect(err.message).not.toMatch(/restore/i);
    expect(err.message).not.toContain('bm90IGEga2V5');
  });

  it('MCPMUX_MASTER_KEY over a vault made with the variable: set it to the right key (unsetting does not help)', async () => {
    const { path, keyId } = await vaultMadeBy(createEnvKeyProvider(randomKeyText()));
    const err = await refusal(path, createEnvKeyProvider(randomKeyText(), 'TEAM_VAULT_KEY'));
    expect(err.message).toMatch(/^TEAM_VAULT_KEY does not unlock this vault/);
    expect(err.message).toContain(keyId);
    expect(err.message).toMatch(/Set TEAM_VAULT_KEY to the key this vault was created with/);
    expect(err.message).not.toMatch(/unset|restore/i);
  });

  it('a wrong key file over a key-file vault: restore that file', async () => {
    const { path, keyId } = await vaultMadeBy(
      createKeyFileKeyProvider(join(tempDir(), 'keys', 'master.key')),
    );
    const other = join(tempDir(), 'keys', 'master.key');
    const made = await openSqliteVault({
      path: join(tempDir(), 'other.db'),
      keyProvider: createKeyFileKeyProvider(other),
    });
    await made.close();
    const err = await refusal(path, createKeyFileKeyProvider(other));
    expect(err.message).toMatch(/^The master key from the key file .* does not unlock this vault/);
    expect(err.message).toContain(keyId);
    expect(err.message).toMatch(/restore that key file/i);
  });

  it('a wrong passphrase: give the one the vault was created with', async () => {
    const { path } = await vaultMadeBy(
      createPassphraseKeyProvider('first passphrase', { scrypt: TEST_SCRYPT }),
    );
    const wrong = await refusal(path, createPassphraseKeyProvider('second passphrase'));
    expect(wrong.message).toMatch(/^The passphrase does not unlock this vault/);
    expect(wrong.message).toMatch(/Give the passphrase this vault was created with/);
    expect(wrong.message).not.toMatch(/passphrase'|first|second/);
  });

  it('names the keychain and its fix when the keychain gives another key', () => {
    const keychain = createKeychainKeyProvider();
    const keychainErr = wrongKeyError(keychain, { master_key_id: 'aaaa', provider_kind: 'keychain' }, 'bbbb');
    expect(keychainErr.message).toMatch(/^The master key from .*keychain.* does not unlock this vault/);
    expect(keychainErr.message).toMatch(/restore its mcpmux entry/);
    const envOverKeychain = wrongKeyError(
      createEnvKeyProvider(randomKeyText()),
      { master_key_id: 'aaaa', provider_kind: 'keychain' },
      'bbbb',
    );
    expect(envOverKeychain.message).toMatch(/unset it \(`unset MCPMUX_MASTER_KEY`\) to use the OS keychain/);
  });
});
