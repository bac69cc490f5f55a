import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSqliteBusy, McpmuxError, retrySync } from '@mcpmux/core';
import type Database from 'better-sqlite3';
import { readMigrationFiles } from './internal/migration-files.js';
import { SqliteDatabase } from './internal/sqlite-database.js';
import { SqliteSpaceStore, type SqliteSpaceStoreOptions } from './internal/sqlite-space-store.js';

export type { SpaceDeletionHook } from './internal/engine-core.js';
export { SqliteDatabase, SqliteSpaceStore, type SqliteSpaceStoreOptions };

/**
 * better-sqlite3 through `require`, not `import`: an ES import of a CommonJS package makes Node lex
 * its sources for named exports first (about 10 ms of every CLI command here). The build puts the
 * package's JavaScript in one file beside this module (`dist/vendor/better-sqlite3.cjs`, ~8 ms less
 * than its 14 files); run from source, the package itself.
 */
const require = createRequire(import.meta.url);
const BetterSqlite3 = loadBetterSqlite3();

function loadBetterSqlite3(): typeof Database {
  try {
    return require('./vendor/better-sqlite3.cjs') as typeof Database;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    return require('better-sqlite3') as typeof Database;
  }
}

/**
 * better-sqlite3's native addon by its path: without it the package looks the file up with the
 * `bindings` package, which tries a dozen paths (~2 ms and two more modules per process). Where a
 * build keeps the addon elsewhere, the package's own lookup.
 */
const NATIVE_BINDING: Database.Options = (() => {
  try {
    return { nativeBinding: require.resolve('better-sqlite3/build/Release/better_sqlite3.node') };
  } catch {
    return {};
  }
})();

/** The table in which the store records the migrations it applied (its own, not drizzle's default). */
export const MIGRATIONS_TABLE = '__mcpmux_space_store_migrations';

/** Where the SQL migrations shipped with this package live. */
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Where a SQLite store lives: a file path (or `:memory:`), or an open better-sqlite3 connection. */
export type SqliteSpaceStoreSource = { path: string } | { database: Database.Database };

/**
 * Opens a SQLite file (or `:memory:`) as a {@link SqliteDatabase}, the `SqlDatabase` the store and
 * the vault share: WAL mode, `synchronous=FULL`, `foreign_keys=ON` and `busy_timeout`. Applies no
 * migrations (the store and the vault each apply their own).
 *
 * @param source - `{ path }` (created if missing) or `{ database }` (an open connection; not closed by `close()`).
 * @param options.busyTimeoutMs - how long a statement waits for another process's lock; default 5000.
 * @example
 * ```ts
 * const db = openSqliteDatabase({ path: '/home/me/.mcpmux/mcpmux.db' });
 * const n = await db.read((c) => c.get<{ n: number }>('SELECT count(*) AS n FROM spaces'));
 * ```
 */
export function openSqliteDatabase(
  source: SqliteSpaceStoreSource,
  options: { busyTimeoutMs?: number } = {},
): SqliteDatabase {
  const owns = 'path' in source;
  const database = 'path' in source ? new BetterSqlite3(source.path, NATIVE_BINDING) : source.database;
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  try {
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Switching a new file to WAL takes an exclusive lock without consulting the busy handler, so
    // two processes opening a fresh database at once can see SQLITE_BUSY here: retry until the timeout.
    retrySync(() => database.pragma('journal_mode = WAL'), {
      timeoutMs: busyTimeoutMs,
      retryIf: isSqliteBusy,
    });
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (e) {
    if (owns) database.close();
    throw e;
  }
  return new SqliteDatabase(database, owns);
}

/**
 * Applies the package's pending migrations to `database` in one `BEGIN IMMEDIATE` transaction
 * (safe when several processes open the same file at once). Returns how many it applied. A database
 * whose newest recorded migration is this package's newest costs one read (no lock, no files read
 * beyond the journal, once per process).
 * `openSqliteSpaceStore` calls it; call it yourself only to prepare a database ahead of time.
 *
 * @param database - an open better-sqlite3 connection.
 * @throws `INTERNAL` when the database holds migrations newer than this package knows (downgrade).
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { migrate } from '@mcpmux/space-store/sqlite';
 * const applied = migrate(new Database('mcpmux.db'));
 * ```
 */
export function migrate(database: Database.Database): number {
  // Every open of a current database (each CLI command) stops here: one read, no write lock.
  if (appliedMigration(database) === latestMigration()) return 0;
  const migrations = readMigrationFiles(MIGRATIONS_FOLDER);
  database.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  );
  const apply = database.transaction(() => {
    const last = database.prepare(`SELECT max(created_at) FROM ${MIGRATIONS_TABLE}`).pluck().get() as
      | number
      | null;
    const known = migrations.at(-1)?.folderMillis ?? 0;
    if (last !== null && last > known) {
      throw new McpmuxError(
        'INTERNAL',
        'The database was written by a newer version of @mcpmux/space-store. Upgrade mcpmux to open it.',
      );
    }
    let applied = 0;
    for (const m of migrations) {
      if (last !== null && m.folderMillis <= last) continue;
      for (const statement of m.sql) if (statement.trim() !== '') database.exec(statement);
      database
        .prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`)
        .run(m.hash, m.folderMillis);
      applied++;
    }
    return applied;
  });
  return apply.immediate();
}

let latest: number | undefined;

/** The `when` of the newest migration this package ships (from drizzle's journal; read once). */
function latestMigration(): number {
  if (latest === undefined) {
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: { when: number }[];
    };
    latest = Math.max(0, ...journal.entries.map((e) => e.when));
  }
  return latest;
}

/** The newest migration recorded in `database`, or undefined when none is (a new file). */
function appliedMigration(database: Database.Database): number | undefined {
  const table = database
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .pluck()
    .get(MIGRATIONS_TABLE);
  if (table === undefined) return undefined;
  const last = database.prepare(`SELECT max(created_at) FROM ${MIGRATIONS_TABLE}`).pluck().get() as
    | number
    | null;
  return last ?? undefined;
}

/**
 * Opens (creating if needed) a SQLite {@link SqliteSpaceStore}: sets WAL mode, `foreign_keys=ON`,
 * `synchronous=FULL` and `busy_timeout`, then applies pending migrations.
 *
 * @param source - `{ path }` (a file, created if missing, or `':memory:'`) or `{ database }` (an open
 *   better-sqlite3 connection, e.g. shared with the vault; the store will not close it).
 * @param options - `clock` (default `() => new Date()`), `random` (default `crypto.randomBytes`),
 *   `busyTimeoutMs` (default 5000), `policyCache` (default true).
 * @throws `INTERNAL` when the file was written by a newer version; better-sqlite3's `SqliteError`
 *   when the file cannot be opened.
 * @example
 * ```ts
 * import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
 * const store = openSqliteSpaceStore({ path: '/home/me/.mcpmux/mcpmux.db' });
 * const stop = store.watch((change) => console.log('changed:', [...change.kinds]));
 * ```
 */
export function openSqliteSpaceStore(
  source: SqliteSpaceStoreSource,
  options: SqliteSpaceStoreOptions = {},
): SqliteSpaceStore {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  const sql = openSqliteDatabase(source, { busyTimeoutMs });
  try {
    retrySync(() => migrate(sql.database), { timeoutMs: busyTimeoutMs, retryIf: isSqliteBusy });
  } catch (e) {
    if ('path' in source) sql.database.close();
    throw e;
  }
  return new SqliteSpaceStore(sql, options);
}
