import type BetterSqlite3 from 'better-sqlite3';
import { StoreEngine } from './engine.js';
import type { StoreEngineOptions } from './engine-core.js';
import { SqlRepo } from './sql-repo.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Options of `openSqliteSpaceStore`. */
export interface SqliteSpaceStoreOptions extends StoreEngineOptions {
  /** How long a write waits for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * The {@link StoreEngine} on a SQLite file: the SQL repo over {@link SqliteDatabase}. Open it with
 * `openSqliteSpaceStore`. Every write runs in one `BEGIN IMMEDIATE` transaction (retried while
 * another process holds the lock) and appends a row to the `changes` table that watchers read; other
 * processes' commits are noticed through `PRAGMA data_version`.
 */
export class SqliteSpaceStore extends StoreEngine {
  /** The underlying better-sqlite3 connection (shared with the vault when it uses the same file). */
  readonly database: BetterSqlite3.Database;
  /** The shared `SqlDatabase` (the vault's tables live in the same file). */
  readonly sql: SqliteDatabase;

  /** @internal Use `openSqliteSpaceStore`. */
  constructor(sql: SqliteDatabase, options: SqliteSpaceStoreOptions = {}) {
    const database = sql.database;
    super(
      new SqlRepo(sql, { commitStamp: () => database.pragma('data_version', { simple: true }) as number }),
      options,
    );
    this.database = database;
    this.sql = sql;
  }
}
