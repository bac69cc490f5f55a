/** Where the PostgreSQL server binaries this harness needs were found. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}
/** The Debian package that provides `initdb` and `postgres` (named in every "not found" message). */
export declare const DEBIAN_PACKAGE = 'postgresql';
/**
 * Finds `initdb` and `postgres`: the newest `/usr/lib/postgresql/<major>/bin` (Debian's layout,
 * where they are not on PATH), else PATH. `undefined` when PostgreSQL is not installed.
 */
export declare function findPostgresBinaries(): PostgresBinaries | undefined;
/** Why PostgreSQL tests cannot run here, or `undefined` when they can. */
export declare function postgresUnavailableReason(): string | undefined;
/** A running throwaway server. */
export interface PostgresServer {
  /** The superuser's URL of the `postgres` database (trust authentication, loopback TCP). */
  readonly adminUrl: string;
  readonly port: number;
  /** The temporary directory holding the data directory, the socket and the log. */
  readonly dir: string;
  /** Creates an empty database and resolves to its URL. */
  createDatabase(label?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}
/** Creates a fresh, empty database on the server at `adminUrl` and returns its URL. */
export declare function createDatabase(adminUrl: string, label?: string): Promise<string>;
/**
 * Starts a throwaway PostgreSQL server: `initdb` into a new temporary directory, then `postgres`
 * on a free loopback port with durability off (fsync, synchronous_commit, full_page_writes) and
 * its socket in that directory. As root both run as the `postgres` user. A detached watchdog
 * stops the server and removes the directory if this process dies without calling `stop()`.
 *
 * @throws when PostgreSQL is not installed (naming the Debian package) or does not start (with
 *   the end of its log).
 */
export declare function startPostgresServer(options?: {
  /** The process whose death stops the server (default: this one). */
  ownerPid?: number;
}): Promise<PostgresServer>;
