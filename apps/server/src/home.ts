import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { openSqliteSpaceStore, type SqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { type SecretScope, selectKeyProvider, type VaultLogger } from '@mcpmux/vault';
import { openSqliteVault, type SqliteVault } from '@mcpmux/vault/sqlite';

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
}

/** An opened home: the store and the vault on one SQLite connection. */
export interface OpenedHome {
  /** Absolute path of the home directory. */
  home: string;
  /** Absolute path of the database file. */
  dbPath: string;
  store: SqliteSpaceStore;
  vault: SqliteVault;
  /** Closes the vault and the store (and so the connection). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens an mcpmux home: the SQLite database `<home>/mcpmux.db` (migrated), the space store on it,
 * and the vault on the SAME connection, unlocked with the key provider `selectKeyProvider` chooses.
 * The vault's `deleteSpaceSync` runs as the store's Space-deletion hook, so deleting a Space removes
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
  let vault: SqliteVault;
  try {
    chmodSync(dbPath, 0o600);
    const keyProvider = await selectKeyProvider({
      env: options.env,
      home,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    });
    vault = await openSqliteVault({
      database: store.database,
      keyProvider,
      onSecretChange,
      ...(vaultLogger === undefined ? {} : { logger: vaultLogger }),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const removeHook = store.addSpaceDeletionHook((spaceId) => {
    vault.deleteSpaceSync(spaceId);
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
