import { SlugSchema, type SqlConnection } from '@mcpmux/core';
import { z } from 'zod';

/**
 * A secret name: an ASCII letter or `_`, then up to 127 ASCII letters, digits, `_`, `.` or `-`.
 * Names are stored exactly as given (no case folding, no Unicode normalisation), so `API_KEY` and
 * `api_key` are two names; `../`, NUL, whitespace and non-ASCII look-alikes are rejected.
 */
export const SecretNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
    'use 1-128 ASCII letters, digits, "_", "." or "-", starting with a letter or "_"',
  );

/**
 * Where a secret lives: one server inside one Space, or one server in the global scope that
 * default-enabled servers fall back to.
 */
export const SecretScopeSchema = z.union([
  z.object({ spaceId: SlugSchema, serverId: SlugSchema }).strict(),
  z.object({ global: z.literal(true), serverId: SlugSchema }).strict(),
]);
/** See {@link SecretScopeSchema}. */
export type SecretScope = z.infer<typeof SecretScopeSchema>;

/** What a data key belongs to: one Space, or the global scope. */
export const DataKeyScopeSchema = z.union([
  z.object({ spaceId: SlugSchema }).strict(),
  z.object({ global: z.literal(true) }).strict(),
]);
/** See {@link DataKeyScopeSchema}. */
export type DataKeyScope = z.infer<typeof DataKeyScopeSchema>;

/** Filter of {@link Vault.list}: every given field must match. */
export const SecretListFilterSchema = z
  .object({ spaceId: SlugSchema.optional(), serverId: SlugSchema.optional(), global: z.boolean().optional() })
  .strict();
/** See {@link SecretListFilterSchema}. */
export type SecretListFilter = z.infer<typeof SecretListFilterSchema>;

/** What {@link Vault.list} returns for one secret: where it is and when it changed, never its value. */
export const SecretInfoSchema = z.object({
  scope: SecretScopeSchema,
  name: SecretNameSchema,
  /** Starts at 1 and grows by one on every `set` of this name in this scope. */
  version: z.number().int().positive(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
/** See {@link SecretInfoSchema}. */
export type SecretInfo = z.infer<typeof SecretInfoSchema>;

/** Where the vault reports noteworthy events (a weak key provider, a rotation). Never receives secret values. */
export interface VaultLogger {
  warn(message: string): void;
  info?(message: string): void;
}

/** The KDF parameters stored with a passphrase-protected vault. */
export const ScryptParamsSchema = z
  .object({
    algorithm: z.literal('scrypt'),
    /** CPU/memory cost, a power of two between 2^10 and 2^20. */
    N: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    /** Base64 of at least 16 random bytes. */
    salt: z.string().min(22),
  })
  .strict();
/** See {@link ScryptParamsSchema}. */
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
