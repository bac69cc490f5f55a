import { createServer } from 'node:net';
import { isMcpmuxError } from '@mcpmux/core';
import { usePostgres } from '@mcpmux/test-postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/internal/postgres-database.js';

const postgres = usePostgres();

async function openError(url: string): Promise<{ code: string; message: string }> {
  try {
    const db = await openPostgresDatabase({ url });
    await db.close();
  } catch (e) {
    expect(isMcpmuxError(e), String(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error(`expected ${url} not to open`);
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
    });
  });
}

describe.skipIf(postgres.skip)('openPostgresDatabase', () => {
  it('says which URL (password redacted) and what to check when it cannot connect', async () => {
    const port = await closedPort();
    const refused = await openError(`postgres://app:s3cret-pw@127.0.0.1:${port}/mcpmux`);
    expect(refused.message).toContain(`postgres://app:***@127.0.0.1:${port}/mcpmux`);
    expect(refused.message).toMatch(/server is running/);
    expect(refused.message).not.toContain('s3cret-pw');

    const url = new URL(await postgres.createDatabase('errors'));
    url.pathname = '/no_such_db';
    const missing = await openError(url.toString());
    expect(missing.message).toMatch(/"no_such_db" does not exist/);
    expect(missing.message).toMatch(/createdb no_such_db/);

    url.pathname = '/postgres';
    url.username = 'nobody';
    url.password = 'hunter2-secret';
    const role = await openError(url.toString());
    expect(role.message).toMatch(/refused the login/);
    expect(role.message).toContain('nobody:***@');
    expect(role.message).not.toContain('hunter2-secret');
  });

  it("leaves pg's process-wide type parsers alone and a caller's pool open", async () => {
    const url = await postgres.createDatabase('pool');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const db = await openPostgresDatabase({ pool });
      const row = await db.read((c) =>
        c.get<{ n: unknown }>('SELECT count(*) AS n FROM pg_class WHERE false'),
      );
      expect(row).toEqual({ n: 0 });
      await db.close();
      // The pool still works, and pg's own default still reads int8 as a string.
      const plain = await pool.query('SELECT count(*) AS n FROM pg_class WHERE false');
      expect(plain.rows[0].n).toBe('0');
    } finally {
      await pool.end();
    }
  });
});
