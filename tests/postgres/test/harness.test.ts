import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgresServer, usePostgres } from '../src/index.js';

const postgres = usePostgres();

async function connects(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => {});
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(postgres.skip)('the throwaway PostgreSQL server', () => {
  it('gives each caller a fresh, empty database of its own', async () => {
    const [a, b] = await Promise.all([postgres.createDatabase('a'), postgres.createDatabase('b')]);
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (n int)');
      const tables = await client.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      const tables = await other.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('stop() ends the server and removes its directory', async () => {
    const server = await startPostgresServer();
    expect(await connects(server.adminUrl)).toBe(true);
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
    expect(await connects(server.adminUrl)).toBe(false);
  });

  it('leaves no server behind when its owner is killed without stopping it', async () => {
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const server = await startPostgresServer({ ownerPid: owner.pid ?? 0 });
    try {
      expect(await connects(server.adminUrl)).toBe(true);
      owner.kill('SIGKILL');
      await waitFor(() => !existsSync(server.dir));
      expect(await connects(server.adminUrl)).toBe(false);
    } finally {
      owner.kill('SIGKILL');
      await server.stop();
    }
  });
});
