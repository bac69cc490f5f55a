/**
 * The SQL both of mcpmux's backends speak, SQLite (one machine) and PostgreSQL (team mode): the
 * space store and the vault are written once against these interfaces, and each backend supplies a
 * thin driver (`openSqliteDatabase` in `@mcpmux/space-store/sqlite`, `openPostgresDatabase` in
 * `@mcpmux/space-store/postgres`).
 *
 * Statements use `?` placeholders (the PostgreSQL driver numbers them) and the subset of SQL both
 * dialects share: `INSERT ... ON CONFLICT ... DO NOTHING | DO UPDATE`, `RETURNING`, integers for
 * flags and millisecond timestamps (read back as JavaScript numbers), text for JSON, and
 * `Uint8Array` for binary values (BLOB / bytea). Where a statement must differ, branch on
 * {@link SqlConnection.dialect}.
 */

/** The two SQL dialects mcpmux runs on. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Values bound to the statement's `?` placeholders, in order. */
export type SqlParams = readonly unknown[];

/** One connection, inside a transaction opened by {@link SqlDatabase.read} or {@link SqlDatabase.write}. */
export interface SqlConnection {
  readonly dialect: SqlDialect;
  /** Every row the statement returns. */
  all<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]>;
  /** The first row the statement returns, or `undefined`. */
  get<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
  /**
   * Tells every {@link SqlDatabase.watchCommits} listener, in this process and others, that this
   * transaction changed something they watch, once it commits (PostgreSQL: `NOTIFY`; SQLite: a
   * no-op, other processes see the file's data version move). Calling it twice is harmless.
   */
  notify(): Promise<void>;
}

/** Options of {@link SqlDatabase.watchCommits}. */
export interface WatchCommitsOptions {
  /** How often to poll where the backend cannot push (SQLite). Default 50 ms. */
  intervalMs?: number;
}

/** A database the store and the vault share: transactions, and notice of other writers' commits. */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /** Runs `fn` in one consistent read snapshot. */
  read<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction, serialized with every other write transaction on the same
   * database, from any process or replica (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction
   * advisory lock), so rows inserted by successive writes commit in id order. When `fn` throws the
   * transaction rolls back and the error propagates. On a transient conflict (a busy file, a
   * serialization failure, a deadlock, a dropped connection before commit) the whole transaction is
   * retried, so `fn` may run more than once and must not have effects outside the database.
   */
  write<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` (with no arguments) whenever another connection, process or replica may have
   * committed a write that called `notify()`, and once after the backend reconnects (changes may
   * have been missed). The listener reads what changed itself. Returns a function that stops it.
   */
  watchCommits(listener: () => void, options?: WatchCommitsOptions): () => void;
  /** Closes the connection(s) when this object opened them. Idempotent. */
  close(): Promise<void>;
}

/**
 * Rewrites `?` placeholders as PostgreSQL's `$1`, `$2`, ... outside quoted strings and identifiers.
 *
 * @example
 * ```ts
 * toPostgresPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?");
 * // "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2"
 * ```
 */
export function toPostgresPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
