import {
  isSqliteBusy,
  McpmuxError,
  type SqlConnection,
  type SqlDatabase,
  type SqlParams,
  type WatchCommitsOptions,
} from '@mcpmux/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlRowValues } from './sql-repo.js';

const MAX_ATTEMPTS = 12;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Binds what both dialects bind the same way: booleans as 1/0, Dates as epoch ms, bytes as Buffers. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

function bind(params: SqlParams | undefined): unknown[] {
  return params === undefined ? [] : params.map(bindable);
}

/**
 * {@link SqlDatabase} on one better-sqlite3 connection. Transactions are serialized in this process
 * (an async queue: `fn` may await between statements without another caller's statements landing in
 * its transaction) and across processes by SQLite's own locks (`BEGIN IMMEDIATE` for writes, retried
 * while another process holds the write lock). Inside `fn`, use the connection `fn` was given:
 * calling `read` or `write` from `fn` before its first `await` throws, and after it would wait for
 * the outer transaction forever. (No `AsyncLocalStorage` tracks this: enabling it taxes every
 * promise of the process, the cached per-request path of the gateway included.)
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly rawStatements = new Map<string, BetterSqlite3.Statement>();
  /** True while `fn` of a transaction runs its synchronous part. */
  private startingFn = false;
  private readonly connection: SqlConnection & SqlRowValues;
  private readonly listeners = new Map<() => void, number>();
  private tail: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private timerInterval = 0;
  private lastDataVersion = -1;
  private closed = false;

  /**
   * @param database - an open better-sqlite3 connection (WAL and `busy_timeout` set by the caller).
   * @param ownsDatabase - close `database` in {@link close}.
   */
  constructor(
    readonly database: BetterSqlite3.Database,
    private readonly ownsDatabase: boolean,
  ) {
    const stmt = (sql: string) => this.statement(sql);
    this.connection = {
      dialect: 'sqlite',
      all: async <T>(sql: string, params?: SqlParams) => stmt(sql).all(...bind(params)) as T[],
      get: async <T>(sql: string, params?: SqlParams) => stmt(sql).get(...bind(params)) as T | undefined,
      run: async (sql: string, params?: SqlParams) => stmt(sql).run(...bind(params)).changes,
      notify: async () => {},
      values: async <T extends unknown[]>(sql: string, params?: SqlParams) =>
        this.rawStatement(sql).all(...bind(params)) as T[],
    };
  }

  /** A statement returning rows as arrays (cached apart: `raw()` changes the statement for good). */
  private rawStatement(sql: string): BetterSqlite3.Statement {
    let s = this.rawStatements.get(sql);
    if (s === undefined) {
      s = this.database.prepare(sql).raw(true);
      this.rawStatements.set(sql, s);
    }
    return s;
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.database.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` alone on the connection: no other transaction of this object interleaves with it. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.startingFn) {
      throw new McpmuxError(
        'INTERNAL',
        'A transaction was opened inside another on the same SQLite connection; use the connection the outer transaction passed in.',
      );
    }
    if (this.closed) throw new McpmuxError('INTERNAL', 'The database is closed.');
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private async transaction<T>(begin: string, fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          this.statement(begin).run();
          let pending: Promise<T>;
          this.startingFn = true;
          try {
            pending = fn(this.connection);
          } finally {
            this.startingFn = false;
          }
          const result = await pending;
          this.statement('COMMIT').run();
          return result;
        } catch (e) {
          if (this.database.inTransaction) this.statement('ROLLBACK').run();
          if (isSqliteBusy(e) && attempt < MAX_ATTEMPTS) {
            await delay(Math.min(200, 10 * attempt) + Math.floor(Math.random() * 10));
            continue;
          }
          throw e;
        }
      }
    });
  }

  read<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN DEFERRED', fn);
  }

  write<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  /** Polls `PRAGMA data_version`, which moves when another connection commits. */
  watchCommits(listener: () => void, options: WatchCommitsOptions = {}): () => void {
    const interval = options.intervalMs ?? 50;
    if (!Number.isFinite(interval) || interval < 1) {
      throw new McpmuxError('INVALID_INPUT', 'intervalMs must be a positive number of milliseconds.', {
        data: { field: 'intervalMs' },
      });
    }
    if (this.listeners.size === 0) this.lastDataVersion = this.dataVersion() ?? -1;
    this.listeners.set(listener, interval);
    this.restartTimer();
    return () => {
      this.listeners.delete(listener);
      this.restartTimer();
    };
  }

  private dataVersion(): number | undefined {
    try {
      return this.database.pragma('data_version', { simple: true }) as number;
    } catch {
      return undefined; // busy or closed: the next tick tries again
    }
  }

  private restartTimer(): void {
    if (this.listeners.size === 0 || this.closed) {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const interval = Math.min(...this.listeners.values());
    if (this.timer !== undefined && interval === this.timerInterval) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timerInterval = interval;
    this.timer = setInterval(() => {
      const version = this.dataVersion();
      if (version === undefined || version === this.lastDataVersion) return;
      this.lastDataVersion = version;
      for (const listener of [...this.listeners.keys()]) {
        try {
          listener();
        } catch {
          // One failing listener must not stop the others.
        }
      }
    }, interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.restartTimer();
    await this.tail;
    if (this.ownsDatabase && this.database.open) this.database.close();
  }
}
