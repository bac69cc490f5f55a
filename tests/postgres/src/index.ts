/**
 * A throwaway PostgreSQL server for tests. In a vitest project, add
 * `globalSetup: ['@mcpmux/test-postgres/global-setup']` (one server per project run), then in a
 * test file:
 *
 * @example
 * ```ts
 * import { usePostgres } from '@mcpmux/test-postgres';
 * const postgres = usePostgres();
 * describe.skipIf(postgres.skip)('on PostgreSQL', () => {
 *   it('works', async () => {
 *     const url = await postgres.createDatabase();
 *   });
 * });
 * ```
 */
import { afterAll, inject } from 'vitest';
import type { ProvidedPostgres } from './global-setup.js';
import {
  createDatabase,
  DEBIAN_PACKAGE,
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from './server.js';

export type { ProvidedPostgres } from './global-setup.js';
export {
  createDatabase,
  DEBIAN_PACKAGE,
  findPostgresBinaries,
  type PostgresBinaries,
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from './server.js';

/** What a test file gets from {@link usePostgres}. */
export interface TestPostgres {
  /** True when PostgreSQL is not available here (the reason was printed); pass to `describe.skipIf`. */
  readonly skip: boolean;
  /** Why the tests are skipped, when they are. */
  readonly reason: string | undefined;
  /** Creates a fresh, empty database and resolves to its URL (`postgres://postgres@127.0.0.1:PORT/NAME`). */
  createDatabase(label?: string): Promise<string>;
  /** The superuser's URL of the server's `postgres` database (for `pg_terminate_backend` and the like). */
  adminUrl(): Promise<string>;
}

let printed = false;

/**
 * The PostgreSQL server of this test run: the one the project's global setup started, or (in a
 * project without it) one started for this file on first use and stopped after its tests. Call
 * once at the top of a test file. Without PostgreSQL, `skip` is true and the reason is printed;
 * with `CI` set this throws instead, naming the Debian package.
 */
export function usePostgres(): TestPostgres {
  let provided: ProvidedPostgres | undefined;
  try {
    provided = inject('mcpmuxPostgres');
  } catch {
    provided = undefined;
  }
  const reason = provided !== undefined && 'skip' in provided ? provided.skip : postgresUnavailableReason();
  if (reason !== undefined) {
    if (process.env.CI) {
      throw new Error(
        `${reason}. CI must run the PostgreSQL tests: .ci/run installs Debian's '${DEBIAN_PACKAGE}' package.`,
      );
    }
    if (!printed) console.warn(`skipping the PostgreSQL tests: ${reason}`);
    printed = true;
    const refuse = () => Promise.reject(new Error(`PostgreSQL is not available: ${reason}`));
    return { skip: true, reason, createDatabase: refuse, adminUrl: refuse };
  }
  let own: Promise<PostgresServer> | undefined;
  const admin = async () => {
    if (provided !== undefined && 'adminUrl' in provided) return provided.adminUrl;
    own ??= startPostgresServer();
    return (await own).adminUrl;
  };
  afterAll(async () => {
    if (own !== undefined) await (await own).stop();
  });
  return {
    skip: false,
    reason: undefined,
    createDatabase: async (label) => createDatabase(await admin(), label),
    adminUrl: admin,
  };
}
