import type { SqlDatabase } from '@mcpmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from './contract.js';

/** One fresh, empty database that a contract test opens one or more `SqlDatabase` objects on. */
export interface SqlDatabaseTarget {
  /** Opens another `SqlDatabase` object (its own connections) on the same database. */
  open(): Promise<SqlDatabase>;
  /**
   * Drops the connections `watchCommits` listens on, as a server restart or a network cut would
   * (PostgreSQL: `pg_terminate_backend` of the LISTEN sessions); resolves to how many it dropped.
   * Absent where the backend has no such connection (SQLite polls).
   */
  dropWatchConnections?(): Promise<number>;
  /** Drops the connection of the backend session `pid` (PostgreSQL only). */
  terminateBackend?(pid: number): Promise<void>;
  /** Removes the database. */
  dispose(): Promise<void>;
}

const pause = () => new Promise((resolve) => setImmediate(resolve));

/** Commits one row of `t` through `database` with `notify()`. */
function insertNotified(database: SqlDatabase, id: number): Promise<void> {
  return database.write(async (c) => {
    await c.run('INSERT INTO t (id, n) VALUES (?, ?)', [id, id]);
    await c.notify();
  });
}

/**
 * The behaviour every {@link SqlDatabase} driver must have, run against each (SQLite, PostgreSQL):
 * placeholders, value binding, rollback, writes serialized across objects (no lost update),
 * `notify()` reaching another object's `watchCommits`, and catch-up after the watch connection drops.
 *
 * @param name - the backend's name in the test titles.
 * @param fresh - makes a fresh database for each test.
 * @param options.skip - register the suite as skipped (the backend is not available here).
 */
export function describeSqlDatabaseContract(
  name: string,
  fresh: () => Promise<SqlDatabaseTarget>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`SqlDatabase contract: ${name}`, () => {
    let target: SqlDatabaseTarget;
    let db: SqlDatabase;
    const opened: SqlDatabase[] = [];
    const open = async () => {
      const d = await target.open();
      opened.push(d);
      return d;
    };

    beforeEach(async () => {
      target = await fresh();
      db = await open();
      const blob = db.dialect === 'postgres' ? 'BYTEA' : 'BLOB';
      await db.write((c) =>
        c.run(`CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT NOT NULL, s TEXT, b ${blob})`),
      );
    });
    afterEach(async () => {
      for (const d of opened.splice(0)) await d.close();
      await target.dispose();
    });

    it('numbers ? placeholders outside quoted strings and runs statements', async () => {
      const inserted = await db.write(async (c) => {
        await c.run("INSERT INTO t (id, n, s) VALUES (?, ?, 'it''s ?')", [1, 10]);
        await c.run('INSERT INTO t (id, n, s) VALUES (?, ?, ?)', [2, 20, '?']);
        return c.run('UPDATE t SET n = n + ? WHERE id >= ?', [1, 1]);
      });
      expect(inserted).toBe(2);
      const rows = await db.read((c) =>
        c.all<{ id: number; n: number; s: string }>('SELECT id, n, s FROM t WHERE n > ? ORDER BY id', [0]),
      );
      expect(rows).toEqual([
        { id: 1, n: 11, s: "it's ?" },
        { id: 2, n: 21, s: '?' },
      ]);
      expect(await db.read((c) => c.get('SELECT id FROM t WHERE id = ?', [3]))).toBeUndefined();
      expect(await db.write((c) => c.run('DELETE FROM t WHERE id = ?', [99]))).toBe(0);
    });

    it('binds booleans as 1/0, Dates as ms, undefined as null, bytes as blobs', async () => {
      const bytes = new Uint8Array([0, 1, 2, 254, 255]);
      await db.write(async (c) => {
        await c.run('INSERT INTO t (id, n, b) VALUES (?, ?, ?)', [1, true, bytes]);
        await c.run('INSERT INTO t (id, n, s) VALUES (?, ?, ?)', [2, false, undefined]);
        await c.run('INSERT INTO t (id, n, b) VALUES (?, ?, ?)', [
          3,
          new Date(Date.UTC(2026, 6, 28)),
          new Uint8Array(),
        ]);
      });
      const rows = await db.read((c) =>
        c.all<{ id: number; n: number; s: string | null; b: Uint8Array | null }>(
          'SELECT * FROM t ORDER BY id',
        ),
      );
      expect(rows.map((r) => r.n)).toEqual([1, 0, Date.UTC(2026, 6, 28)]);
      expect(rows[1]?.s).toBeNull();
      expect(rows[1]?.b).toBeNull();
      expect(rows[0]?.b).toBeInstanceOf(Uint8Array);
      expect([...(rows[0]?.b ?? [])]).toEqual([...bytes]);
      expect([...(rows[2]?.b ?? [9])]).toEqual([]);
    });

    it('reads 64-bit integers and aggregates as numbers', async () => {
      const big = Number.MAX_SAFE_INTEGER;
      await db.write(async (c) => {
        await c.run('INSERT INTO t (id, n) VALUES (?, ?)', [1, big]);
        await c.run('INSERT INTO t (id, n) VALUES (?, ?)', [2, -big]);
        await c.run('INSERT INTO t (id, n) VALUES (?, ?)', [3, 2 ** 40]);
      });
      const row = await db.read((c) =>
        c.get<{ count: number; total: number; top: number; low: number }>(
          'SELECT count(*) AS count, sum(n) AS total, max(n) AS top, min(n) AS low FROM t',
        ),
      );
      expect(row).toEqual({ count: 3, total: 2 ** 40, top: big, low: -big });
      expect(typeof row?.count).toBe('number');
    });

    it('rolls a write back when fn throws, and propagates the error', async () => {
      await expect(
        db.write(async (c) => {
          await c.run('INSERT INTO t (id, n) VALUES (1, 1)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.read((c) => c.get('SELECT * FROM t'))).toBeUndefined();
      // A statement the database refuses (duplicate key) rolls back the rows written before it.
      await db.write((c) => c.run('INSERT INTO t (id, n) VALUES (1, 1)'));
      await expect(
        db.write(async (c) => {
          await c.run('INSERT INTO t (id, n) VALUES (2, 2)');
          await c.run('INSERT INTO t (id, n) VALUES (1, 3)');
        }),
      ).rejects.toThrow();
      expect(await db.read((c) => c.all('SELECT id, n FROM t'))).toEqual([{ id: 1, n: 1 }]);
      // The database is usable afterwards.
      expect(await db.write((c) => c.run('UPDATE t SET n = 5'))).toBe(1);
    });

    it('runs fn once when it throws an error of its own, even one that looks like a dropped connection', async () => {
      let attempts = 0;
      const own = Object.assign(new Error('upstream reset'), { code: 'ECONNRESET' });
      await expect(
        db.write(async (c) => {
          attempts++;
          await c.run('INSERT INTO t (id, n) VALUES (1, 1)');
          throw own;
        }),
      ).rejects.toBe(own);
      expect(attempts).toBe(1);
      expect(await db.read((c) => c.get('SELECT * FROM t'))).toBeUndefined();
    });

    it('refuses a transaction opened inside another instead of deadlocking', async () => {
      await expect(db.write(() => db.read(async () => 1))).rejects.toThrow(/inside another/);
      await expect(db.write(() => db.write(async () => 1))).rejects.toThrow(/inside another/);
      expect(await db.read(async () => 'still usable')).toBe('still usable');
    });

    it('serializes read-modify-write transactions across two objects: no lost update', async () => {
      const other = await open();
      await db.write((c) => c.run('INSERT INTO t (id, n) VALUES (1, 0)'));
      const increment = (d: SqlDatabase) =>
        d.write(async (c) => {
          const row = await c.get<{ n: number }>('SELECT n FROM t WHERE id = 1');
          await pause();
          await c.run('UPDATE t SET n = ? WHERE id = 1', [(row?.n ?? 0) + 1]);
          await pause();
          // Rows inserted by successive writes commit in id order.
          const next = await c.get<{ id: number }>('SELECT max(id) + 1 AS id FROM t');
          await c.run('INSERT INTO t (id, n) VALUES (?, ?)', [next?.id, (row?.n ?? 0) + 1]);
        });
      await Promise.all(Array.from({ length: 40 }, (_, i) => increment(i % 2 === 0 ? db : other)));
      expect(await db.read((c) => c.get<{ n: number }>('SELECT n FROM t WHERE id = 1'))).toEqual({ n: 40 });
      const log = await other.read((c) =>
        c.all<{ id: number; n: number }>('SELECT id, n FROM t WHERE id > 1 ORDER BY id'),
      );
      expect(log.map((r) => r.n)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('reads one consistent snapshot while another object writes', async () => {
      const other = await open();
      await db.write((c) => c.run('INSERT INTO t (id, n) VALUES (1, 1)'));
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => {
        wrote = resolve;
      });
      const seen = await db.read(async (c) => {
        const before = await c.get<{ n: number }>('SELECT n FROM t WHERE id = 1');
        void other.write((w) => w.run('UPDATE t SET n = 2 WHERE id = 1')).then(wrote);
        await written; // the writer does not wait for the reader
        const after = await c.get<{ n: number }>('SELECT n FROM t WHERE id = 1');
        return [before?.n, after?.n];
      });
      await written;
      expect(seen).toEqual([1, 1]);
      expect(await db.read((c) => c.get<{ n: number }>('SELECT n FROM t WHERE id = 1'))).toEqual({ n: 2 });
    });

    it("tells another object's watchers about commits that called notify()", async () => {
      const other = await open();
      let calls = 0;
      const stop = db.watchCommits(() => calls++, { intervalMs: 5 });
      try {
        await other.write(async (c) => {
          await c.run('INSERT INTO t (id, n) VALUES (1, 1)');
          await c.notify();
          await c.notify();
        });
        await waitFor(() => calls >= 1);
        // From here on the watch is established: each further commit must reach it.
        for (let i = 2; i <= 4; i++) {
          const before = calls;
          await insertNotified(other, i);
          await waitFor(() => calls > before);
        }
      } finally {
        stop();
      }
      // A stopped watch hears nothing more.
      const after = calls;
      await insertNotified(other, 9);
      await new Promise((r) => setTimeout(r, 100));
      expect(calls).toBe(after);
    });

    it("does not tell an object's watchers about that object's own commits", async () => {
      const other = await open();
      let calls = 0;
      const stop = db.watchCommits(() => calls++, { intervalMs: 5 });
      try {
        // Wait until the watch is live (another object's commit reaches it), then let any
        // catch-up call from the watch connection pass.
        await insertNotified(other, 1);
        await waitFor(() => calls >= 1);
        await new Promise((r) => setTimeout(r, 100));
        const before = calls;
        for (let i = 2; i <= 4; i++) {
          await insertNotified(db, i);
        }
        await new Promise((r) => setTimeout(r, 200));
        expect(calls).toBe(before);
        // The watch still hears the others.
        await insertNotified(other, 5);
        await waitFor(() => calls > before);
      } finally {
        stop();
      }
    });

    it('calls watchers once after the watch connection is dropped and back (catch-up)', async (ctx) => {
      if (target.dropWatchConnections === undefined) {
        ctx.skip(); // this backend has no watch connection to drop (SQLite polls)
        return;
      }
      const other = await open();
      const counts = [0, 0];
      const stops = [db.watchCommits(() => counts[0]!++), db.watchCommits(() => counts[1]!++)];
      try {
        // Wait until the watch is live: a notified commit reaches both listeners.
        await insertNotified(other, 1);
        await waitFor(() => counts[0]! >= 1 && counts[1]! >= 1);
        await waitFor(async () => (await target.dropWatchConnections?.()) === 1);
        const before = [...counts];
        // No commit now: the calls come from the reconnect alone.
        await waitFor(() => counts[0]! > before[0]! && counts[1]! > before[1]!, 10_000);
        // The new connection delivers later commits too.
        const again = [...counts];
        for (let i = 2; i < 5; i++) {
          await insertNotified(other, i);
        }
        await waitFor(() => counts[0]! > again[0]! && counts[1]! > again[1]!);
      } finally {
        for (const stop of stops) stop();
      }
    });

    it('runs a write again when its connection drops before COMMIT', async (ctx) => {
      if (target.terminateBackend === undefined) {
        ctx.skip(); // an embedded backend has no connection to drop
        return;
      }
      let attempts = 0;
      const result = await db.write(async (c) => {
        attempts++;
        await c.run('INSERT INTO t (id, n) VALUES (1, ?)', [attempts]);
        if (attempts === 1) {
          const me = await c.get<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await target.terminateBackend?.(me?.pid ?? 0);
          await c.get('SELECT 1');
        }
        return 'done';
      });
      expect(result).toBe('done');
      expect(attempts).toBe(2);
      expect(await db.read((c) => c.all('SELECT id, n FROM t'))).toEqual([{ id: 1, n: 2 }]);
    });
  });
}
