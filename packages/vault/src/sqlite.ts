import { createRequire } from 'node:module';
import { checkSlug, isSqliteBusy, retrySync } from '@mcpmux/core';
import type Database from 'better-sqlite3';
import { MAX_SECRET_BYTES, type OpenVaultOptions, SqlVault, unlockVault } from './internal/sql-vault.js';
import { SqliteConnectionAdapter } from './internal/sqlite-adapter.js';

export { MAX_SECRET_BYTES };

/** better-sqlite3 through `require`: an ES import of CommonJS lexes its sources first (see the store). */
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

/** Options of {@link openSqliteVault}: those of `openVault`, with a SQLite file or connection instead of `database`. */
export type OpenSqliteVaultOptions = (
  | {
      /** The SQLite file (shared with the space store); created if missing. The vault owns this connection. */
      path: string;
    }
  | {
      /**
       * An open better-sqlite3 connection (e.g. the space store's), never closed by the vault. For a
       * file, the vault opens a second connection of its own to it for its transactions.
       */
      database: Database.Database;
    }
) &
  Omit<OpenVaultOptions, 'database'>;

/**
 * Opens (and creates or migrates) the vault in a SQLite file or on a better-sqlite3 connection: the
 * same vault as `openVault` (its `vault_*` tables, its migrations, one implementation for SQLite and
 * PostgreSQL) on a small driver of this package. Sets `synchronous=FULL`, `secure_delete=ON` and
 * `temp_store=MEMORY` on the connection; on a file it opens itself also `journal_mode=WAL` and
 * `busy_timeout=5000`.
 *
 * When the space store shares the database, prefer `openVault({ database: store.sql })`: then the
 * store and the vault share one transaction queue, and `deleteSpace(spaceId, tx)` joins the store's
 * Space-deletion transaction on every backend.
 *
 * @param options - `path` or `database`, `keyProvider`; optional `logger`, `random`, `clock`, `onSecretChange`.
 * @throws `VAULT_LOCKED` when the key is missing, wrong, or the key-check record fails authentication;
 *   `CONFLICT` for a schema newer than this build.
 * @example
 * ```ts
 * const vault = await openSqliteVault({ path: '/home/me/.mcpmux/mcpmux.db', keyProvider });
 * await vault.set({ spaceId: 'work', serverId: 'github' }, 'GITHUB_TOKEN', token);
 * ```
 */
export async function openSqliteVault(options: OpenSqliteVaultOptions): Promise<SqliteVault> {
  const ownsConnection = 'path' in options;
  const db = 'path' in options ? new BetterSqlite3(options.path) : options.database;
  // A given connection to a file gets a connection of the vault's own beside it: the caller (the
  // space store) runs its own async transactions on the given one, and two transaction queues on
  // one connection would open transactions inside each other. SQLite's locks serialize the two
  // connections instead. An in-memory database cannot be opened twice: the vault shares it.
  const separate = !ownsConnection && !db.memory && db.name !== '' && db.name !== ':memory:' && !db.readonly;
  let own: Database.Database | undefined;
  try {
    if (ownsConnection) {
      db.pragma('busy_timeout = 5000');
      // Switching a new file to WAL can be refused (SQLITE_BUSY) without the busy handler: retry.
      retrySync(() => db.pragma('journal_mode = WAL'), { timeoutMs: 5000, retryIf: isSqliteBusy });
    }
    db.pragma('synchronous = FULL');
    if (separate) {
      // `deleteSpaceSync` deletes on the given connection: it overwrites what it deletes too.
      db.pragma('secure_delete = ON');
      db.pragma('temp_store = MEMORY');
      own = new BetterSqlite3(db.name, { fileMustExist: true });
      own.pragma('busy_timeout = 5000');
      own.pragma('synchronous = FULL');
    }
    const {
      path: _path,
      database: _database,
      ...rest
    } = options as OpenSqliteVaultOptions & {
      path?: string;
      database?: unknown;
    };
    const state = await unlockVault({ ...rest, database: new SqliteConnectionAdapter(own ?? db) });
    return new SqliteVault(state, db, ownsConnection, own);
  } catch (err) {
    own?.close();
    if (ownsConnection) db.close();
    throw err;
  }
}

/**
 * The vault on a SQLite file, as {@link openSqliteVault} makes it: a `SqlVault` plus the connection
 * it was given (or opened) and a synchronous Space deletion on that connection, for callers that
 * delete inside their own transaction on it. Given a connection to a file, the vault runs its own
 * transactions on a second connection of its own to that file (closed by `close()`).
 */
export class SqliteVault extends SqlVault {
  /** The connection the vault uses (its own, or the one it was given). */
  readonly database: Database.Database;
  readonly #ownsConnection: boolean;
  readonly #ownSide: Database.Database | undefined;
  #closed = false;

  /** @internal Use {@link openSqliteVault}. */
  constructor(
    state: ConstructorParameters<typeof SqlVault>[0],
    database: Database.Database,
    owns: boolean,
    ownSide?: Database.Database,
  ) {
    super(state);
    this.database = database;
    this.#ownsConnection = owns;
    this.#ownSide = ownSide;
  }

  /**
   * Synchronous `deleteSpace` on the vault's better-sqlite3 connection: inside the caller's
   * synchronous transaction on that connection it joins it (as a savepoint), else it runs alone.
   *
   * @deprecated Use `deleteSpace(spaceId, tx)` with the connection the space store passes to its
   *   deletion hooks (`store.addSpaceDeletionHook(async (spaceId, tx) => { await vault.deleteSpace(spaceId, tx); })`).
   * @returns How many secrets were removed.
   * @throws `INVALID_INPUT` for a malformed Space id; `VAULT_LOCKED` after `close()`.
   * @example
   * ```ts
   * const removed = vault.deleteSpaceSync('old-space');
   * ```
   */
  deleteSpaceSync(spaceId: string): number {
    this.assertOpen();
    const key = `space:${checkSlug(spaceId, 'space id')}`;
    const db = this.database;
    return db.transaction(() => {
      const removed = db.prepare('DELETE FROM vault_secrets WHERE scope = ?').run(key).changes;
      db.prepare('DELETE FROM vault_data_keys WHERE scope = ?').run(key);
      return removed;
    })();
  }

  /** {@inheritDoc Vault.close} Closes the connection too when the vault opened it. */
  override async close(): Promise<void> {
    await super.close();
    if (this.#closed) return;
    this.#closed = true;
    this.#ownSide?.close();
    if (this.#ownsConnection) this.database.close();
  }
}
