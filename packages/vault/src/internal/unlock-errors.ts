import { isMcpmuxError, McpmuxError } from '@mcpmux/core';
import { MASTER_KEY_ENV } from '../key-providers.js';
import type { KeyProvider } from '../types.js';

/**
 * The messages for a key that does not unlock a vault. Each names the provider that supplied the key,
 * the key the vault expects and where that key lives, and says what to do for THAT provider: a wrong
 * `MCPMUX_MASTER_KEY` is fixed in the variable (or by unsetting it), not by restoring a key file.
 */

/** What the vault's master row says about its key (ids are HMACs of the key, not secret). */
export interface ExpectedKey {
  master_key_id: string;
  provider_kind: string;
}

/** Where a vault made by a provider of `kind` keeps its key. */
export function keySource(kind: string): string {
  switch (kind) {
    case 'env':
      return `the ${MASTER_KEY_ENV} environment variable`;
    case 'keychain':
      return 'the OS keychain';
    case 'passphrase':
      return 'a passphrase';
    case 'keyfile':
      return 'the key file keys/master.key in the mcpmux home';
    default:
      return `a ${kind} key provider`;
  }
}

/** How to get the key back from where a vault made by a provider of `kind` keeps it. */
function restore(kind: string): string {
  switch (kind) {
    case 'env':
      return `set ${MASTER_KEY_ENV} to the key this vault was created with`;
    case 'keychain':
      return "unlock the OS keychain or restore its mcpmux entry, or set MCPMUX_MASTER_KEY to this vault's key";
    case 'passphrase':
      return 'give the passphrase this vault was created with';
    case 'keyfile':
      return "restore that key file (from a backup of the mcpmux home), or set MCPMUX_MASTER_KEY to this vault's key";
    default:
      return 'give the key this vault was created with';
  }
}

/** The environment variable an env provider reads (`env:NAME`). */
function variableOf(provider: KeyProvider): string {
  return provider.id.startsWith('env:') ? provider.id.slice('env:'.length) : MASTER_KEY_ENV;
}

/** What to do when `provider` did not give the vault's key. */
function fixFor(provider: KeyProvider, expected: ExpectedKey): string {
  const kind = expected.provider_kind;
  if (provider.kind === 'env') {
    const variable = variableOf(provider);
    return kind === 'env'
      ? `Set ${variable} to the key this vault was created with`
      : `Set ${variable} to this vault's key, or unset it (\`unset ${variable}\`) to use ${keySource(kind)}`;
  }
  if (provider.kind === 'passphrase' && kind !== 'passphrase') {
    return `This vault does not use a passphrase: leave it out to use ${keySource(kind)}`;
  }
  const fix = restore(kind);
  return `${fix.charAt(0).toUpperCase()}${fix.slice(1)}`;
}

function supplier(provider: KeyProvider): string {
  if (provider.kind === 'env') return variableOf(provider);
  if (provider.kind === 'passphrase') return 'The passphrase';
  return `The master key from ${provider.describe()}`;
}

/**
 * The error for a well-formed key that is not this vault's: `VAULT_LOCKED`, `data.reason: 'wrong-key'`.
 *
 * @example "MCPMUX_MASTER_KEY does not unlock this vault (its master key is key 0123abcd... from the OS
 *   keychain; the variable gives key 4567ef01...). Set MCPMUX_MASTER_KEY to this vault's key, or unset
 *   it (`unset MCPMUX_MASTER_KEY`) to use the OS keychain. Nothing was decrypted and no new key was created."
 */
export function wrongKeyError(provider: KeyProvider, expected: ExpectedKey, gotId: string): McpmuxError {
  const gives = provider.kind === 'env' ? 'the variable gives' : 'it gives';
  return new McpmuxError(
    'VAULT_LOCKED',
    `${supplier(provider)} does not unlock this vault (its master key is key ${expected.master_key_id} from ${keySource(expected.provider_kind)}; ${gives} key ${gotId}). ${fixFor(provider, expected)}. Nothing was decrypted and no new key was created.`,
    {
      data: {
        reason: 'wrong-key',
        expectedKeyId: expected.master_key_id,
        expectedProvider: expected.provider_kind,
        keyId: gotId,
        provider: provider.kind,
      },
    },
  );
}

/**
 * Adds which key the vault expects, and where it lives, to a `VAULT_LOCKED` error a provider threw
 * (key missing, malformed or unreadable); other errors pass unchanged.
 */
export function explainProviderError(err: unknown, provider: KeyProvider, expected: ExpectedKey): unknown {
  if (!isMcpmuxError(err, 'VAULT_LOCKED')) return err;
  const kind = expected.provider_kind;
  let fix: string;
  if (provider.kind === 'env') {
    const variable = variableOf(provider);
    fix =
      kind === 'env'
        ? `set ${variable} to it`
        : `run \`unset ${variable}\` to use it, or set ${variable} to that key`;
  } else {
    fix = restore(kind);
  }
  return new McpmuxError(
    'VAULT_LOCKED',
    `${err.message} This vault's master key is key ${expected.master_key_id}, from ${keySource(kind)}: ${fix}.`,
    {
      data: { ...err.data, expectedKeyId: expected.master_key_id, expectedProvider: kind },
      cause: err,
    },
  );
}

/**
 * The error when another process or replica rotated the master key and this vault's provider does not
 * give the new one: `VAULT_LOCKED`, `data.reason: 'rotated'`.
 */
export function rotatedError(
  provider: KeyProvider,
  expected: ExpectedKey,
  heldKeyId: string,
  cause?: unknown,
): McpmuxError {
  return new McpmuxError(
    'VAULT_LOCKED',
    `The master key was rotated by another process or replica: this vault's master key is now key ${expected.master_key_id} from ${keySource(expected.provider_kind)}, and ${provider.describe()} does not give it (this process holds key ${heldKeyId}). Nothing was decrypted. ${restore(expected.provider_kind).replace(/^./, (c) => c.toUpperCase())} for this process, then reopen the vault (restart it).`,
    {
      data: {
        reason: 'rotated',
        expectedKeyId: expected.master_key_id,
        expectedProvider: expected.provider_kind,
        keyId: heldKeyId,
      },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
