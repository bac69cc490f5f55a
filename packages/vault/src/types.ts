// The vault's types. The zod schemas they are inferred from live in `./schemas.ts`
// (`@mcpmux/vault/schemas`) and are imported here for their types only, so this module (and the root
// entry) loads no zod; `./internal/checks.ts` checks the same rules by hand.
import type { SqlConnection } from '@mcpmux/core';
import type { z } from 'zod';
import type {
  DataKeyScopeSchema,
  ScryptParamsSchema,
  SecretInfoSchema,
  SecretListFilterSchema,
  SecretScopeSchema,
} from './schemas.js';

/**
 * Where a secret lives: `{ spaceId, serverId }` (one server inside one Space) or
 * `{ global: true, serverId }` (one server in the global scope that default-enabled servers fall
 * back to). Ids are slugs. The zod schema is `SecretScopeSchema` in `@mcpmux/vault/schemas`.
 */
export type SecretScope = z.infer<typeof SecretScopeSchema>;

/**
 * What a data key belongs to: `{ spaceId }` (one Space) or `{ global: true }` (the global scope).
 * The zod schema is `DataKeyScopeSchema` in `@mcpmux/vault/schemas`.
 */
export type DataKeyScope = z.infer<typeof DataKeyScopeSchema>;

/**
 * Filter of {@link Vault.list}: every given field must match (`spaceId`, `serverId`, `global`).
 * The zod schema is `SecretListFilterSchema` in `@mcpmux/vault/schemas`.
 */
export type SecretListFilter = z.infer<typeof SecretListFilterSchema>;

/**
 * What {@link Vault.list} returns for one secret: `scope`, `name`, `version` (1 for the first `set`,
 * one more for every later one), `createdAt`, `updatedAt`; never its value. The zod schema is
 * `SecretInfoSchema` in `@mcpmux/vault/schemas`.
 */
export type SecretInfo = z.infer<typeof SecretInfoSchema>;

/** Where the vault reports noteworthy events (a weak key provider, a rotation). Never receives secret values. */
export interface VaultLogger {
  warn(message: string): void;
  info?(message: string): void;
}

/**
 * The KDF parameters stored with a passphrase-protected vault: `{ algorithm: 'scrypt', N, r, p, salt }`
 * (N a power of two from 2^10 to 2^20, r 1-32, p 1-16, salt base64 of at least 16 bytes). The zod
 * schema is `ScryptParamsSchema` in `@mcpmux/vault/schemas`.
 */
export type ScryptParams = z.infer<typeof ScryptParamsSchema>;

/** What the vault tells a {@link KeyProvider} when it asks for the master key. */
export interface MasterKeyRequest {
  /**
   * True only when the vault holds no key yet: providers that own their key (keychain, key file) may
   * then create one. When false a missing key fails with `VAULT_LOCKED`; no provider ever creates a
   * key for an existing vault.
   */
  create: boolean;
  /** The passphrase KDF parameters stored with the vault (or freshly made for a new one). */
  kdf?: ScryptParams;
}

/** The four ways to obtain a master key. */
export type KeyProviderKind = 'keychain' | 'env' | 'passphrase' | 'keyfile';

/**
 * A source of the 32-byte master key that wraps the vault's data keys. Plain objects; make them with
 * `createKeychainKeyProvider`, `createEnvKeyProvider`, `createPassphraseKeyProvider`,
 * `createKeyFileKeyProvider` or `selectKeyProvider`.
 */
export interface KeyProvider {
  /** Stable identifier of the source, e.g. `env:MCPMUX_MASTER_KEY` or `keyfile:/home/me/.mcpmux/keys/master.key`. */
  readonly id: string;
  readonly kind: KeyProviderKind;
  /**
   * Returns the master key. Throws `VAULT_LOCKED` when the key is unavailable (missing variable,
   * deleted keychain entry, unreadable key file); called once when a vault opens.
   */
  getMasterKey(request?: MasterKeyRequest): Promise<Buffer>;
  /** Fresh KDF parameters for a new passphrase-protected vault (passphrase providers only). */
  newKdfParams?(): ScryptParams;
  /** A one-line, secret-free description for messages: where the key comes from. */
  describe(): string;
}

/**
 * An encrypted store of credentials, one value per (scope, server, name). Values only ever leave
 * through {@link Vault.get}; every other method and every error carries names, never values.
 */
export interface Vault {
  /** Stores `value` under `name` in `scope`, replacing any previous value (the version grows by one). */
  set(scope: SecretScope, name: string, value: string): Promise<void>;
  /** The value, or `undefined` when nothing is stored. Throws `VAULT_LOCKED` if the record fails authentication. */
  get(scope: SecretScope, name: string): Promise<string | undefined>;
  /** True when a value is stored (nothing is decrypted). */
  has(scope: SecretScope, name: string): Promise<boolean>;
  /** Names, scopes and timestamps, sorted by scope, server and name; never values. */
  list(filter?: SecretListFilter): Promise<SecretInfo[]>;
  /** Removes one secret; false when there was none. */
  delete(scope: SecretScope, name: string): Promise<boolean>;
  /**
   * Removes every secret and the data key of a Space; returns how many secrets were removed. With
   * `tx` (a connection inside the caller's write transaction on the vault's database, as the space
   * store passes to its deletion hooks) the deletion runs there and commits or rolls back with it.
   */
  deleteSpace(spaceId: string, tx?: SqlConnection): Promise<number>;
  /** Re-wraps every data key under the key of `next` (secrets are not re-encrypted) in one transaction. */
  rotateMasterKey(next: KeyProvider): Promise<void>;
  /** Replaces a scope's data key and re-encrypts its secrets under the new one, in one transaction. */
  rotateDataKey(scope: DataKeyScope): Promise<void>;
  /** Releases the connection if the vault opened it, and forgets the master key. */
  close(): Promise<void>;
}
