import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import { openSqliteSpaceStore, type SqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import {
  openVault,
  type SecretScope,
  type SqlVault,
  selectKeyProvider,
  type VaultLogger,
} from '@mcpmux/vault';
import { DATABASE_URL_ENV, openDatabaseHome, redactDatabaseUrl } from './internal/database-home.js';

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
  /** Closes the vault and the store (and so the connection). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens an mcpmux home: the SQLite database `<home>/mcpmux.db` (migrated), the space store on it,
 * and the vault on the SAME connection, unlocked with the key provider `selectKeyProvider` chooses.
 * The vault's `deleteSpace` runs as the store's Space-deletion hook, on the store's transaction, so deleting a Space removes
 * its secrets in the same transaction. Shared by `mcpmux serve`, `mcpmux stdio` and every CLI verb.
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
  const dbPath = join(home, DATABASE_FILE);
  if (options.create === true) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
  } else if (!existsSync(dbPath)) {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: home },
    });
  }
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
  try {
    chmodSync(dbPath, 0o600);
    const keyProvider = await selectKeyProvider({
      env: options.env,
      home,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    });
    vault = await openVault({
      database: store.sql,
      keyProvider,
      onSecretChange,
      ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    });
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
async function openTeamHome(home: string, url: string, options: OpenHomeOptions): Promise<OpenedHome> {
  const vaultLogger: VaultLogger | undefined =
    options.logger === undefined
      ? undefined
      : {
          warn: (message) => options.logger?.warn({ component: 'vault' }, message),
          info: (message) => options.logger?.info({ component: 'vault' }, message),
        };
  let store: SpaceStore | undefined;
  const notifications = new Set<Promise<void>>();
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
    close: () => {
      closing ??= (async () => {
        await Promise.all(notifications);
        await opened.close();
      })();
      return closing;
    },
  };
}
