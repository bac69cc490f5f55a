// Team mode (DESIGN §12): the store and the vault on one PostgreSQL database instead of the home's
// SQLite file. The home directory keeps only local state (gateway info, logs, the socket).
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import {
  createEnvKeyProvider,
  createKeyFileKeyProvider,
  type KeyProvider,
  MASTER_KEY_ENV,
  openVault,
  type SecretScope,
  type SqlVault,
  type Vault,
  type VaultLogger,
} from '@mcpmux/vault';
import { MASTER_KEY_FILE_ENV, parseDatabaseUrl } from './database-url.js';

export {
  DATABASE_URL_ENV,
  MASTER_KEY_FILE_ENV,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './database-url.js';

/**
 * The master key of a team gateway: the key file `masterKeyFile` (`--master-key-file`), else
 * `MCPMUX_MASTER_KEY`, else the key file `MCPMUX_MASTER_KEY_FILE`. Servers have no keychain, and
 * every replica must use the same key, so nothing else is tried.
 *
 * @throws `VAULT_LOCKED` when neither is given, saying how to give one.
 */
export function databaseKeyProvider(
  env: Record<string, string | undefined>,
  masterKeyFile: string | undefined,
  logger?: VaultLogger,
): KeyProvider {
  const keyFile = (path: string) =>
    createKeyFileKeyProvider(resolve(path), logger === undefined ? {} : { logger });
  // A flag names the key deliberately: it wins over the environment (migrate: the home may use
  // MCPMUX_MASTER_KEY while the team's key is in a file).
  if (masterKeyFile !== undefined) return keyFile(masterKeyFile);
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return createEnvKeyProvider(fromEnv);
  const file = env[MASTER_KEY_FILE_ENV];
  if (file !== undefined && file !== '') return keyFile(file);
  throw new McpmuxError(
    'VAULT_LOCKED',
    `mcpmux on PostgreSQL (--database) needs the master key every replica shares: set ${MASTER_KEY_ENV} (base64 of 32 bytes, e.g. from \`openssl rand -base64 32\`), or ${MASTER_KEY_FILE_ENV} (serve and migrate: --master-key-file FILE) naming a file that holds it, mode 0600. The OS keychain is not used with --database.`,
    { data: { source: 'database' } },
  );
}

/** What {@link openDatabaseHome} opens. */
export interface DatabaseHome {
  store: SpaceStore;
  vault: Vault;
  /** Where the master key came from, e.g. `key file /etc/mcpmux/master.key` (the provider's `describe()`). */
  keySource: string;
  /** Closes the vault, then the store and its connections. */
  close(): Promise<void>;
}

/** Options of {@link openDatabaseHome}. */
export interface DatabaseHomeOptions {
  /** The home directory: local state only (created, mode 0700). */
  home: string;
  /** The PostgreSQL URL. */
  url: string;
  env: Record<string, string | undefined>;
  /** The master key file, when not in the environment. */
  masterKeyFile?: string;
  logger?: VaultLogger;
  /** Told of every secret write (the app records a `secret` change so gateways reconnect). */
  onSecretChange?: (scope: SecretScope) => void;
}

/**
 * Opens the space store on PostgreSQL (migrated; several replicas may do so at once) and the vault
 * on the same database, with the vault's Space deletion inside the store's deletion transaction.
 *
 * @throws `INVALID_INPUT` for a malformed URL or an unreachable database (password redacted);
 *   `VAULT_LOCKED` when no master key is given or it is not the database's.
 */
export async function openDatabaseHome(options: DatabaseHomeOptions): Promise<DatabaseHome> {
  const url = parseDatabaseUrl(options.url);
  // Checked before connecting: a missing key should not cost a connection attempt.
  const keyProvider = databaseKeyProvider(options.env, options.masterKeyFile, options.logger);
  mkdirSync(options.home, { recursive: true, mode: 0o700 });
  chmodSync(options.home, 0o700);
  const { openPostgresSpaceStore } = await import('@mcpmux/space-store/postgres');
  const store = await openPostgresSpaceStore({ url });
  let vault: SqlVault;
  try {
    vault = await openVault({
      database: store.sql,
      keyProvider,
      ...(options.onSecretChange === undefined ? {} : { onSecretChange: options.onSecretChange }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const removeHook = store.addSpaceDeletionHook(async (spaceId, tx) => {
    await vault.deleteSpace(spaceId, tx);
  });
  return {
    store,
    vault,
    keySource: keyProvider.describe(),
    async close() {
      removeHook();
      await vault.close();
      await store.close();
    },
  };
}
