import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  McpmuxError,
  type SqlConnection,
  type SqlDatabase,
  type SqlParams,
  toPostgresPlaceholders,
  type WatchCommitsOptions,
} from '@mcpmux/core';
import pg from 'pg';

/** The channel `notify()` signals and `watchCommits` listens on. */
export const CHANGES_CHANNEL = 'mcpmux_changes';

/**
 * The transaction advisory lock every write takes, so writes serialize across processes and
 * replicas like SQLite's single writer (change ids commit in order). A fixed 64-bit key: the
 * first eight bytes of `sha256("mcpmux")` as a signed integer (a decimal string for binding).
 */
export const WRITE_LOCK_KEY = '-2596431592797578019';

const MAX_ATTEMPTS = 8;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => delay(Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random()));

/**
 * Type parsers for this driver's queries only (never pg's process-wide defaults): int8 and numeric
 * as JavaScript numbers (a BigInt when outside the safe integer range), bytea as Buffer (pg's default).
 */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  const int8 = (text: string): number | bigint => {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  };
  types.setTypeParser(pg.types.builtins.INT8, int8);
  types.setTypeParser(pg.types.builtins.NUMERIC, (text: string) => Number(text));
  return types;
}

/** Binds what both dialects bind the same way: booleans as 1/0, Dates as epoch ms, bytes as Buffers. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown (pg_terminate_backend, server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);

/** A dropped or refused connection: the transaction never committed, so it may run again. */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}

/** A serialization failure or deadlock: PostgreSQL asks for the transaction to be run again. */
function isConflict(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** `url` with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/**
 * The McpmuxError for a failure to connect: which URL (password redacted), what went wrong and what
 * to check. Other errors come back unchanged.
 */
export function describeConnectError(e: unknown, url: string): unknown {
  const where = redactUrl(url);
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(e);
  const error = (reason: string, what: string) =>
    new McpmuxError('INVALID_INPUT', what, { data: { field: 'url', url: where, reason }, cause: e });
  if (code === '28P01' || code === '28000' || /password|SASL|SCRAM|authentication/i.test(text)) {
    return error(
      'authentication',
      `PostgreSQL at ${where} refused the login (${text}). Check the user name and password in the URL (or PGPASSWORD) and the server's pg_hba.conf.`,
    );
  }
  if (code === '3D000') {
    const name = new URL(url, 'postgres://x').pathname.slice(1) || '(default)';
    return error(
      'database-missing',
      `The database "${decodeURIComponent(name)}" does not exist at ${where}. Create it (createdb ${decodeURIComponent(name)}) or fix the database name in the URL.`,
    );
  }
  if (isConnectionError(e) || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return error(
      'unreachable',
      `Cannot connect to PostgreSQL at ${where} (${text}). Check that the server is running and accepts TCP connections on that host and port, and that the URL is right.`,
    );
  }
  return e;
}

/** Options of {@link openPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** Connections in the pool this object opens (ignored for `{ pool }`). Default 4. */
  poolSize?: number;
}

/** Where a PostgreSQL database is: a connection URL, or a pg `Pool` the caller owns. */
export type PostgresDatabaseSource = { url: string } | { pool: pg.Pool };

/**
 * {@link SqlDatabase} on a node-postgres pool. Writes run in READ COMMITTED transactions that first
 * take one transaction advisory lock ({@link WRITE_LOCK_KEY}), so every write on the database
 * serializes, from any process or replica; reads run in REPEATABLE READ READ ONLY snapshots.
 * `notify()` is `pg_notify('mcpmux_changes', <this object's id>)`; `watchCommits` shares one LISTEN
 * connection and skips this object's own notifications.
 * Calling `read` or `write` from inside `fn` throws instead of deadlocking on the lock.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly types = typeParsers();
  private readonly texts = new Map<string, string>();
  private readonly inside = new AsyncLocalStorage<true>();
  private readonly listeners = new Set<() => void>();
  private listener: pg.Client | undefined;
  private listenGeneration = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /**
   * The payload of this object's NOTIFYs: its watchers skip them, since `watchCommits` reports
   * other connections' commits (as SQLite's data version does), not this object's own.
   */
  private readonly origin = randomUUID();

  /**
   * @param pool - the pool every transaction checks a connection out of.
   * @param ownsPool - end `pool` in {@link close}.
   * @param url - the URL for messages (password redacted when shown).
   */
  constructor(
    readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly url: string,
  ) {}

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = toPostgresPlaceholders(sql);
      if (this.texts.size >= 2000) this.texts.clear();
      this.texts.set(sql, text);
    }
    return text;
  }

  private connection(client: pg.PoolClient): SqlConnection {
    const query = (sql: string, params?: SqlParams) =>
      client.query({
        text: this.text(sql),
        values: params === undefined ? [] : params.map(bindable),
        types: this.types,
      });
    return {
      dialect: 'postgres',
      all: async <T>(sql: string, params?: SqlParams) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params?: SqlParams) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params?: SqlParams) => (await query(sql, params)).rowCount ?? 0,
      notify: async () => {
        await client.query({ text: 'SELECT pg_notify($1, $2)', values: [CHANGES_CHANNEL, this.origin] });
      },
    };
  }

  private async checkout(): Promise<pg.PoolClient> {
    if (this.inside.getStore() === true) {
      throw new McpmuxError(
        'INTERNAL',
        'A transaction was opened inside another on the same PostgreSQL database; use the connection the outer transaction passed in.',
      );
    }
    if (this.closed) throw new McpmuxError('INTERNAL', 'The database is closed.');
    return this.pool.connect();
  }

  private async transaction<T>(
    begin: string,
    lock: boolean,
    fn: (c: SqlConnection) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.checkout();
      } catch (e) {
        if (isConnectionError(e) && attempt < MAX_ATTEMPTS && !this.closed) {
          await backoff(attempt);
          continue;
        }
        throw describeConnectError(e, this.url);
      }
      // A connection that drops between statements emits 'error' on the checked-out client; the
      // next statement fails with it (and the transaction is retried), but the event needs a listener.
      const ignore = () => {};
      client.on('error', ignore);
      const release = (destroy: boolean) => {
        client.removeListener('error', ignore);
        client.release(destroy);
      };
      let commitSent = false;
      try {
        await client.query(begin);
        if (lock)
          await client.query({ text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [WRITE_LOCK_KEY] });
        const result = await this.inside.run(true, () => fn(this.connection(client)));
        commitSent = true;
        await client.query('COMMIT');
        release(false);
        return result;
      } catch (e) {
        // The connection is broken when ROLLBACK fails too (an error of fn's own, even one that
        // looks like a connection error, leaves a healthy connection that rolls back).
        let broken = commitSent;
        if (!commitSent) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
        }
        release(broken);
        const dropped = broken && isConnectionError(e);
        // Never retry once COMMIT was sent: it may have committed.
        if (!commitSent && (dropped || isConflict(e)) && attempt < MAX_ATTEMPTS && !this.closed) {
          await backoff(attempt);
          continue;
        }
        throw dropped && !commitSent ? describeConnectError(e, this.url) : e;
      }
    }
  }

  read<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', false, fn);
  }

  write<T>(fn: (c: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL READ COMMITTED', true, fn);
  }

  /**
   * Calls `listener` on every `NOTIFY mcpmux_changes` from another object, process or replica (one
   * per committed transaction that called `notify()`), and once each time the shared LISTEN connection is (re)established, since commits
   * may have been missed while it was down. `intervalMs` does not apply (nothing is polled).
   */
  watchCommits(listener: () => void, _options?: WatchCommitsOptions): () => void {
    if (this.closed) throw new McpmuxError('INTERNAL', 'The database is closed.');
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.startListening(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopListening();
    };
  }

  private emit(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One failing listener must not stop the others.
      }
    }
  }

  private startListening(attempt: number): void {
    const generation = ++this.listenGeneration;
    const client = new pg.Client(this.pool.options);
    this.listener = client;
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      client.end().catch(() => {});
      if (generation !== this.listenGeneration || this.closed || this.listeners.size === 0) return;
      this.listener = undefined;
      const wait = Math.min(5000, 50 * 2 ** attempt) * (0.5 + Math.random());
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (generation === this.listenGeneration && !this.closed && this.listeners.size > 0) {
          this.startListening(attempt + 1);
        }
      }, wait);
      this.reconnectTimer.unref?.();
    };
    client.on('error', fail);
    client.on('end', fail);
    client.on('notification', (message) => {
      if (
        message.channel === CHANGES_CHANNEL &&
        message.payload !== this.origin &&
        generation === this.listenGeneration
      ) {
        this.emit();
      }
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANGES_CHANNEL}`))
      .then(() => {
        if (generation !== this.listenGeneration) return;
        attempt = 0;
        // Commits made before LISTEN took effect (at start, or while reconnecting) were not
        // notified: let every listener read what changed.
        this.emit();
      })
      .catch(fail);
  }

  private stopListening(): void {
    this.listenGeneration++;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.listener;
    this.listener = undefined;
    client?.end().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.stopListening();
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Opens a PostgreSQL database as a {@link PostgresDatabase}, the `SqlDatabase` the store and the
 * vault share, and checks that it can connect. Applies no migrations.
 *
 * @param source - `{ url }` (a `postgres://user:password@host:port/database` URL; this object opens
 *   and closes its own pool) or `{ pool }` (a pg `Pool` the caller owns; not ended by `close()`).
 * @param options.poolSize - connections in the pool opened for `{ url }`; default 4.
 * @throws `INVALID_INPUT` naming the URL (password redacted) and what to check when the server
 *   cannot be reached, refuses the login or has no such database.
 * @example
 * ```ts
 * const db = await openPostgresDatabase({ url: process.env.MCPMUX_DATABASE_URL! });
 * const n = await db.read((c) => c.get<{ n: number }>('SELECT count(*) AS n FROM spaces'));
 * ```
 */
export async function openPostgresDatabase(
  source: PostgresDatabaseSource,
  options: PostgresDatabaseOptions = {},
): Promise<PostgresDatabase> {
  let pool: pg.Pool;
  let url: string;
  if ('url' in source) {
    url = source.url;
    try {
      new URL(url);
    } catch {
      throw new McpmuxError(
        'INVALID_INPUT',
        'The database URL is not a valid URL. Use postgres://USER:PASSWORD@HOST:PORT/DATABASE.',
        { data: { field: 'url' } },
      );
    }
    const max = Math.max(1, Math.floor(options.poolSize ?? 4));
    pool = new pg.Pool({ connectionString: url, max, types: typeParsers() });
    // An idle pooled connection that drops (server restart, pg_terminate_backend) is discarded by
    // the pool; without a listener the 'error' event would crash the process.
    pool.on('error', () => {});
  } else {
    pool = source.pool;
    const o = pool.options as { connectionString?: string; host?: string; port?: number; database?: string };
    url = o.connectionString ?? `postgres://${o.host ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? ''}`;
  }
  const database = new PostgresDatabase(pool, 'url' in source, url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await database.close();
    throw describeConnectError(e, url);
  }
  return database;
}
