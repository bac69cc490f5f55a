import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../src/sqlite.js';
import { waitFor } from './contract.js';

describe('SqliteDatabase', () => {
  let dir: string;
  let db: SqliteDatabase;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpmux-sqldb-'));
    db = openSqliteDatabase({ path: join(dir, 'x.db') });
    await db.write((c) => c.run('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b BLOB)'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds booleans as 1/0, Dates as ms and bytes as BLOBs', async () => {
    await db.write((c) =>
      c.run('INSERT INTO t (id, n, b) VALUES (?, ?, ?)', [1, true, new Uint8Array([1, 2])]),
    );
    await db.write((c) => c.run('INSERT INTO t (id, n) VALUES (?, ?)', [2, new Date(5)]));
    const rows = await db.read((c) =>
      c.all<{ id: number; n: number; b: Uint8Array | null }>('SELECT * FROM t'),
    );
    expect(rows.map((r) => r.n)).toEqual([1, 5]);
    expect([...(rows[0]?.b ?? [])]).toEqual([1, 2]);
  });

  it('rolls a write back when fn throws, and keeps concurrent transactions apart', async () => {
    await expect(
      db.write(async (c) => {
        await c.run('INSERT INTO t (id, n) VALUES (1, 1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.read((c) => c.get('SELECT * FROM t'))).toBeUndefined();
    // 50 read-modify-write transactions that await between statements: none may be lost.
    await db.write((c) => c.run('INSERT INTO t (id, n) VALUES (1, 0)'));
    await Promise.all(
      Array.from({ length: 50 }, () =>
        db.write(async (c) => {
          const row = await c.get<{ n: number }>('SELECT n FROM t WHERE id = 1');
          await new Promise((r) => setImmediate(r));
          await c.run('UPDATE t SET n = ? WHERE id = 1', [(row?.n ?? 0) + 1]);
        }),
      ),
    );
    expect(await db.read((c) => c.get<{ n: number }>('SELECT n FROM t'))).toEqual({ n: 50 });
  });

  it('refuses a transaction opened inside another instead of deadlocking', async () => {
    await expect(db.write(() => db.read(async () => 1))).rejects.toThrow(/inside another/);
  });

  it("tells watchers about another connection's commits", async () => {
    const other = openSqliteDatabase({ path: join(dir, 'x.db') });
    let calls = 0;
    const stop = db.watchCommits(() => calls++, { intervalMs: 5 });
    await other.write((c) => c.run('INSERT INTO t (id, n) VALUES (2, 1)'));
    await waitFor(() => calls >= 1);
    stop();
    await other.close();
  });
});
