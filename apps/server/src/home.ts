import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import { openSqliteSpaceStore, type SqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import type { SecretScope, SqlVault, VaultDatabase, VaultLogger } from '@mcpmux/vault';
import { DATABASE_URL_ENV, redactDatabaseUrl } from './internal/database-url.js';

/** The database file inside a home directory. */
export const DATABASE_FILE = 'mcpmux.db';

/** A structured logger (pino-compatible) for the composition root; only warnings and notices. */
export interface HomeLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** Options of {@link openHome}. */
export interface OpenHomeOptions {
  /** The mcpmux home directory (e.g. `~/.mcpmux`). */
  home: string;
  /** The process environment; only `MCPMUX_MASTER_KEY` is read here (key provider selection). */
  env: Record<string, string | undefined>;
  /** Receives vault notices (e.g. the key-file warning). Default: none. */
  logger?: HomeLogger;
  /** Create the home (mode 0700) and database when missing. Default `false`. */
  create?: boolean;
  /** A passphrase for the vault's passphrase key provider, when the user gave one. Default none. */
  passphrase?: string;
  /**
   * Team mode: the PostgreSQL database (`postgres://...`) holding the store and the vault instead of
   * `<home>/mcpmux.db`. Default: `MCPMUX_DATABASE_URL` from `env`, else the home's SQLite file. The
   * master key then comes from `masterKeyFile`, else `MCPMUX_MASTER_KEY`, else the key file
   * `MCPMUX_MASTER_KEY_FILE`, never the keychain; the home directory keeps local state only.
   */
  database?: string;
  /** Team mode: the master key file (see `database`). Default `MCPMUX_MASTER_KEY_FILE` from `env`. */
  masterKeyFile?: string;
}

/** An opened home: the store and the vault on one database (the home's SQLite file, or PostgreSQL). */
export interface OpenedHome {
  /** Absolute path of the home directory. */
  home: string;
  /** Absolute path of the SQLite database file; `''` in team mode (PostgreSQL). */
  dbPath: string;
  /** Team mode: the PostgreSQL URL, password redacted; undefined on SQLite. */
  databaseUrl?: string;
  store: SqliteSpaceStore | (SpaceStore & { close(): Promise<void> });
  vault: SqlVault;
  /** Where the master key came from, e.g. `key file ~/.mcpmux/keys/master.key` (what `status` shows). */
  keySource: string;
  /** Closes the vault and the store (and so the connection). Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openHomeStore}: where the home is, and its team database if any. */
export type OpenHomeStoreOptions = Pick<
  OpenHomeOptions,
  'home' | 'env' | 'create' | 'database' | 'masterKeyFile' | 'logger'
>;

/** A home opened for its store only: what read verbs and store-only writes need. */
export interface OpenedHomeStore {
  /** Absolute path of the home directory. */
  home: string;
  /** Absolute path of the SQLite database file; `''` in team mode (PostgreSQL). */
  dbPath: string;
  /** Team mode: the PostgreSQL URL, password redacted; undefined on SQLite. */
  databaseUrl?: string;
  store: SqliteSpaceStore | (SpaceStore & { close(): Promise<void> });
  /** Closes the store (and so the connection). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens an mcpmux home for its space store only: the SQLite database `<home>/mcpmux.db` (migrated),
 * without selecting a key provider, probing the OS keychain or unlocking the vault. For commands
 * that read or change what the store holds and never a secret: listing Spaces, servers, clients and
 * FeatureSets, grants, a client's effective tools. Anything that deletes a Space or touches a
 * secret must use {@link openHome}, whose vault removes a deleted Space's secrets in the same
 * transaction. In team mode (a PostgreSQL database) this opens the whole home as {@link openHome}
 * does and hands out its store.
 *
 * @param options.home - the home directory; made absolute.
 * @param options.create - create a missing home (0700) and database; default `false`.
 * @param options.database - team mode's PostgreSQL URL; default `MCPMUX_DATABASE_URL` from `env`.
 * @throws `NOT_FOUND` when the home or its database is missing and `create` is false
 *   (message: run `mcpmux init`).
 * @example
 * ```ts
 * const { store, close } = await openHomeStore({ home: '/home/me/.mcpmux', env: process.env });
 * console.log(await store.listSpaces());
 * await close();
 * ```
 */
export async function openHomeStore(options: OpenHomeStoreOptions): Promise<OpenedHomeStore> {
  const home = resolve(options.home);
  const databaseUrl = options.database ?? nonEmpty(options.env[DATABASE_URL_ENV]);
  if (databaseUrl !== undefined) {
    const opened = await openTeamHome(home, databaseUrl, options);
    return {
      home,
      dbPath: '',
      ...(opened.databaseUrl === undefined ? {} : { databaseUrl: opened.databaseUrl }),
      store: opened.store,
      close: opened.close,
    };
  }
  const dbPath = prepareSqliteHome(home, options.create === true);
  const store = openSqliteSpaceStore({ path: dbPath });
  try {
    chmodSync(dbPath, 0o600);
  } catch (err) {
    await store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    home,
    dbPath,
    store,
    close: () => {
      closing ??= store.close();
      return closing;
    },
  };
}

/** `<home>/mcpmux.db`, after creating the home (0700) when asked, else checking that it exists. */
function prepareSqliteHome(home: string, create: boolean): string {
  const dbPath = join(home, DATABASE_FILE);
  if (create) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
  } else if (!existsSync(dbPath)) {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: home },
    });
  }
  return dbPath;
}

/** Options of {@link openHomeVault}. */
export interface OpenHomeVaultOptions {
  /** The home directory (where the key file lives). */
  home: string;
  /** Read for `MCPMUX_MASTER_KEY` only. */
  env: Record<string, string | undefined>;
  passphrase?: string;
  logger?: VaultLogger;
  onSecretChange?: (scope: SecretScope) => void;
}

/**
 * Unlocks the home's SQLite vault on `database` (the store's connection) with the key provider
 * `selectKeyProvider` chooses for it, keeping the vault on the provider it was created with. What
 * {@link openHome} and `mcpmux status` do; the vault's module is loaded here, so the store-only verbs
 * (`openHomeStore`) never load it.
 *
 * @returns the open vault and where its key came from (`keyProvider.describe()`).
 * @throws `VAULT_LOCKED` when the master key is missing or wrong.
 */
export async function openHomeVault(
  database: VaultDatabase,
  options: OpenHomeVaultOptions,
): Promise<{ vault: SqlVault; keySource: string }> {
  const { openVault, selectKeyProvider, vaultCreatedWith } = await import('@mcpmux/vault');
  const { logger, onSecretChange } = options;
  const keyProvider = await selectKeyProvider({
    env: options.env,
    home: options.home,
    createdWith: await vaultCreatedWith(database),
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(logger === undefined ? {} : { logger }),
  });
  const vault = await openVault({
    database,
    keyProvider,
    ...(onSecretChange === undefined ? {} : { onSecretChange }),
    ...(logger === undefined ? {} : { logger }),
  });
  return { vault, keySource: keyProvider.describe() };
}

/**
 * Opens an mcpmux home: the SQLite database `<home>/mcpmux.db` (migrated), the space store on it,
 * and the vault on the SAME connection, unlocked with the key provider `selectKeyProvider` chooses.
 * The vault's `deleteSpace` runs as the store's Space-deletion hook, on the store's transaction, so deleting a Space removes
 * its secrets in the same transaction. Shared by `mcpmux serve`, `mcpmux stdio` and every CLI verb
 * that touches secrets or deletes a Space (the others use {@link openHomeStore}).
 *
 * @param options.home - the home directory; made absolute.
 * @param options.env - read for `MCPMUX_MASTER_KEY` only.
 * @param options.logger - vault notices; default none.
 * @param options.create - create a missing home (0700) and database; default `false`.
 * @throws `NOT_FOUND` when the home or its database is missing and `create` is false
 *   (message: run `mcpmux init`); `VAULT_LOCKED` when the master key is missing or wrong.
 * @example
 * ```ts
 * const { store, vault, close } = await openHome({ home: '/home/me/.mcpmux', env: process.env });
 * console.log(await store.listSpaces());
 * await close();
 * ```
 */
export async function openHome(options: OpenHomeOptions): Promise<OpenedHome> {
  const home = resolve(options.home);
  const databaseUrl = options.database ?? nonEmpty(options.env[DATABASE_URL_ENV]);
  if (databaseUrl !== undefined) return openTeamHome(home, databaseUrl, options);
  const dbPath = prepareSqliteHome(home, options.create === true);
  const vaultLogger: VaultLogger | undefined =
    options.logger === undefined
      ? undefined
      : {
          warn: (message) => options.logger?.warn({ component: 'vault' }, message),
          info: (message) => options.logger?.info({ component: 'vault' }, message),
        };
  const store = openSqliteSpaceStore({ path: dbPath });
  // Credential writes reach running gateways as a `secret` change (they reconnect what uses it).
  const notifications = new Set<Promise<void>>();
  const onSecretChange = (scope: SecretScope): void => {
    const pending: Promise<void> = store
      .recordSecretChange('spaceId' in scope ? scope.spaceId : undefined)
      .catch((err: unknown) =>
        options.logger?.warn(
          { component: 'home', error: String(err) },
          'could not record a credential change',
        ),
      )
      .finally(() => notifications.delete(pending));
    notifications.add(pending);
  };
  let vault: SqlVault;
  let keySource: string;
  try {
    chmodSync(dbPath, 0o600);
    ({ vault, keySource } = await openHomeVault(store.sql, {
      env: options.env,
      home,
      onSecretChange,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    }));
  } catch (err) {
    await store.close();
    throw err;
  }
  const removeHook = store.addSpaceDeletionHook(async (spaceId, tx) => {
    await vault.deleteSpace(spaceId, tx);
  });
  let closing: Promise<void> | undefined;
  return {
    home,
    dbPath,
    store,
    vault,
    keySource,
    close: () => {
      closing ??= (async () => {
        removeHook();
        await Promise.all(notifications);
        await vault.close();
        await store.close();
      })();
      return closing;
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Team mode: the store and the vault on PostgreSQL; the home directory holds local state only. */
async function openTeamHome(home: string, url: string, options: OpenHomeStoreOptions): Promise<OpenedHome> {
  const vaultLogger: VaultLogger | undefined =
    options.logger === undefined
      ? undefined
      : {
          warn: (message) => options.logger?.warn({ component: 'vault' }, message),
          info: (message) => options.logger?.info({ component: 'vault' }, message),
        };
  let store: SpaceStore | undefined;
  const notifications = new Set<Promise<void>>();
  const { openDatabaseHome } = await import('./internal/database-home.js');
  const opened = await openDatabaseHome({
    home,
    url,
    env: options.env,
    ...(options.masterKeyFile === undefined ? {} : { masterKeyFile: options.masterKeyFile }),
    ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    // Credential writes reach every replica as a `secret` change (they reconnect what uses it).
    onSecretChange: (scope) => {
      const pending: Promise<void> = (store as SpaceStore)
        .recordSecretChange('spaceId' in scope ? scope.spaceId : undefined)
        .catch((err: unknown) =>
          options.logger?.warn(
            { component: 'home', error: String(err) },
            'could not record a credential change',
          ),
        )
        .finally(() => notifications.delete(pending));
      notifications.add(pending);
    },
  });
  store = opened.store;
  let closing: Promise<void> | undefined;
  return {
    home,
    dbPath: '',
    databaseUrl: redactDatabaseUrl(url),
    store: opened.store as SpaceStore & { close(): Promise<void> },
    vault: opened.vault as SqlVault,
    keySource: opened.keySource,
    close: () => {
      closing ??= (async () => {
        await Promise.all(notifications);
        await opened.close();
      })();
      return closing;
    },
  };
}
