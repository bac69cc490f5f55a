import { join } from 'node:path';
import { openSqliteDatabase } from '@mcpmux/space-store/sqlite';
import { expect, it } from 'vitest';
import { MIGRATED_TABLES } from '../src/operations/migrate.js';
import { createTestHome } from './helpers.js';

it("migrate copies every table of the store's schema (a new table must be added to MIGRATED_TABLES)", async () => {
  const t = await createTestHome({ servers: false });
  const db = openSqliteDatabase({ path: join(t.home, 'mcpmux.db') });
  try {
    const rows = await db.read((c) =>
      c.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
    );
    const storeTables = rows
      .map((r) => r.name)
      .filter((n) => !n.startsWith('sqlite_') && !n.startsWith('vault_') && !n.startsWith('__'));
    // The change log is the only table left behind on purpose: the target starts its own.
    expect([...MIGRATED_TABLES.map((m) => m.table), 'changes'].sort()).toEqual(storeTables.sort());
  } finally {
    await db.close();
    t.cleanup();
  }
});
