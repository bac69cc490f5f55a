import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePostgres } from '@mcpmux/test-postgres';
import pg from 'pg';
import { openPostgresDatabase } from '../src/internal/postgres-database.js';
import { openSqliteDatabase } from '../src/sqlite.js';
import { describeSqlDatabaseContract } from './sql-database-contract.js';

const postgres = usePostgres();

describeSqlDatabaseContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-sqldb-'));
  return {
    // busy_timeout 0: two connections in one process must not wait for each other's lock in
    // SQLite's busy handler (it blocks the event loop, so the holder cannot finish); the driver's
    // own retry waits asynchronously instead.
    open: async () => openSqliteDatabase({ path: join(dir, 'x.db') }, { busyTimeoutMs: 0 }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

/** Runs one statement as the server's superuser. */
async function admin<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: await postgres.adminUrl() });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describeSqlDatabaseContract(
  'PostgreSQL',
  async () => {
    const url = await postgres.createDatabase('sqldb');
    const name = new URL(url).pathname.slice(1);
    return {
      open: () => openPostgresDatabase({ url }),
      dropWatchConnections: async () =>
        (
          await admin<{ pid: number }>(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN mcpmux_changes'",
            [name],
          )
        ).length,
      terminateBackend: async (pid) => {
        await admin('SELECT pg_terminate_backend($1)', [pid]);
      },
      dispose: async () => {
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  },
  { skip: postgres.skip },
);
