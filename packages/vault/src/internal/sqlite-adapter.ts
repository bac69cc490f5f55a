import { isSqliteBusy, McpmuxError, type SqlConnection, type SqlParams } from '@mcpmux/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { VaultDatabase } from './sql-vault.js';

const MAX_ATTEMPTS = 12;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Binds what the SQLite driver of `@mcpmux/space-store` binds: booleans as 1/0, Dates as ms, bytes as Buffers. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

const bind = (params: SqlParams | undefined): unknown[] => (params === undefined ? [] : params.map(bindable));

/**
 * The part of `SqlDatabase` the vault uses, on one better-sqlite3 connection: what `openSqliteVault`
 * runs on, so `@mcpmux/vault/sqlite` needs no `@mcpmux/space-store` (whose driver,
 * `openSqliteDatabase`, is the full version: give its result to `openVault` when the store shares
 * the database). Transactions are serialized in this object by an async queue and across processes
 * by SQLite's locks (`BEGIN IMMEDIATE` for writes, retried while another process holds the lock).
 *
 * On a connection that other code also uses, a transaction waits (up to `busyTimeoutMs`) while the
 * connection is inside someone else's transaction, instead of nesting in it.
 */
export class SqliteConnectionAdapter implements VaultDatabase {
  readonly dialect = 'sqlite' as const;
  readonly #db: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #connection: SqlConnection;
  #tail: Promise<void> = Promise.resolve();

  constructor(db: BetterSqlite3.Database, busyTimeoutMs = 5000) {
    this.#db = db;
    this.#busyTimeoutMs = busyTimeoutMs;
    const stmt = (sql: string) => this.#statement(sql);
    this.#connection = {
      dialect: 'sqlite',
      all: async <T>(sql: string, params?: SqlParams) => stmt(sql).all(...bind(params)) as T[],
      get: async <T>(sql: string, params?: SqlParams) => stmt(sql).get(...bind(params)) as T | undefined,
      run: async (sql: string, params?: SqlParams) => stmt(sql).run(...bind(params)).changes,
      notify: async () => {},
    };
  }

  #statement(sql: string): BetterSqlite3.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /**
   * Begins a transaction without letting SQLite's busy handler block the event loop: while another
   * connection IN THIS PROCESS holds the write lock, a blocking wait would stop that connection from
   * ever finishing. A busy `BEGIN IMMEDIATE` fails at once instead and is retried asynchronously.
   */
  #begin(begin: string): void {
    if (begin !== 'BEGIN IMMEDIATE') {
      this.#statement(begin).run();
      return;
    }
    const timeout = this.#db.pragma('busy_timeout', { simple: true }) as number;
    this.#db.pragma('busy_timeout = 0');
    try {
      this.#statement(begin).run();
    } finally {
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
    }
  }

  read<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN DEFERRED', fn);
  }

  write<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN IMMEDIATE', fn);
  }

  async #transaction<T>(begin: string, fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      const deadline = Date.now() + this.#busyTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        // Another user of a shared connection is inside its own transaction: wait for it to end.
        while (this.#db.inTransaction) {
          if (Date.now() > deadline) {
            throw new McpmuxError(
              'CONFLICT',
              'The vault waited too long for another transaction on its SQLite connection to finish; retry.',
            );
          }
          await delay(1);
        }
        let began = false;
        try {
          this.#begin(begin);
          began = true;
          const result = await fn(this.#connection);
          this.#statement('COMMIT').run();
          return result;
        } catch (e) {
          if (began && this.#db.inTransaction) this.#statement('ROLLBACK').run();
          if (isSqliteBusy(e) && (attempt < MAX_ATTEMPTS || Date.now() < deadline)) {
            await delay(Math.min(200, 10 * attempt) + Math.floor(Math.random() * 10));
            continue;
          }
          throw e;
        }
      }
    } finally {
      release();
    }
  }
}
