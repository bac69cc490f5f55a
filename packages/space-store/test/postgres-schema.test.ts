import { usePostgres } from '@mcpmux/test-postgres';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { migratePostgres, openPostgresDatabase, POSTGRES_MIGRATIONS_TABLE } from '../src/postgres.js';
import { migrate } from '../src/sqlite.js';
import { expectError } from './contract.js';

const postgres = usePostgres();
const migrationCount = readMigrationFiles({
  migrationsFolder: new URL('../drizzle-pg', import.meta.url).pathname,
}).length;

/** Tables, columns, indexes, foreign keys and checks, in a form both dialects can be compared in. */
interface Shape {
  columns: Record<string, string[]>;
  indexes: string[];
  foreignKeys: string[];
  checks: string[];
}

function sqliteShape(): Shape {
  const db = new Database(':memory:');
  try {
    migrate(db);
    const tables = (
      db
        .prepare(
          "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?",
        )
        .all(POSTGRES_MIGRATIONS_TABLE) as { name: string; sql: string }[]
    ).sort((a, b) => a.name.localeCompare(b.name));
    const shape: Shape = { columns: {}, indexes: [], foreignKeys: [], checks: [] };
    for (const { name, sql } of tables) {
      const cols = db.prepare(`PRAGMA table_info(${name})`).all() as { name: string; notnull: number }[];
      shape.columns[name] = cols.map((c) => `${c.name}${c.notnull ? ' not null' : ''}`).sort();
      for (const i of db.prepare(`PRAGMA index_list(${name})`).all() as {
        name: string;
        unique: number;
        origin: string;
        partial: number;
      }[]) {
        if (i.origin !== 'c') continue; // primary keys' automatic indexes
        shape.indexes.push(`${name}.${i.name}${i.unique ? ' unique' : ''}${i.partial ? ' partial' : ''}`);
      }
      const fks = db.prepare(`PRAGMA foreign_key_list(${name})`).all() as {
        id: number;
        table: string;
        from: string;
        on_delete: string;
      }[];
      for (const id of new Set(fks.map((f) => f.id))) {
        const parts = fks.filter((f) => f.id === id);
        shape.foreignKeys.push(
          `${name}(${parts.map((p) => p.from).join(',')}) -> ${parts[0]?.table} on delete ${parts[0]?.on_delete.toLowerCase()}`,
        );
      }
      for (const m of sql.matchAll(/CONSTRAINT "(\w+)" CHECK/g)) shape.checks.push(`${name}.${m[1]}`);
    }
    return {
      ...shape,
      indexes: shape.indexes.sort(),
      foreignKeys: shape.foreignKeys.sort(),
      checks: shape.checks.sort(),
    };
  } finally {
    db.close();
  }
}

const ON_DELETE: Record<string, string> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

async function postgresShape(url: string): Promise<Shape> {
  const db = await openPostgresDatabase({ url });
  try {
    return await db.read(async (c) => {
      const shape: Shape = { columns: {}, indexes: [], foreignKeys: [], checks: [] };
      const cols = await c.all<{ table_name: string; column_name: string; is_nullable: string }>(
        "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> ? ORDER BY table_name",
        [POSTGRES_MIGRATIONS_TABLE],
      );
      for (const col of cols) {
        const list = shape.columns[col.table_name] ?? [];
        list.push(`${col.column_name}${col.is_nullable === 'NO' ? ' not null' : ''}`);
        shape.columns[col.table_name] = list;
      }
      for (const list of Object.values(shape.columns)) list.sort();
      const indexes = await c.all<{ tablename: string; indexname: string; indexdef: string }>(
        `SELECT t.relname AS tablename, i.relname AS indexname, pg_get_indexdef(i.oid) AS indexdef
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE ns.nspname = 'public' AND NOT x.indisprimary`,
      );
      for (const i of indexes) {
        const unique = /CREATE UNIQUE INDEX/.test(i.indexdef) ? ' unique' : '';
        const partial = / WHERE /.test(i.indexdef) ? ' partial' : '';
        shape.indexes.push(`${i.tablename}.${i.indexname}${unique}${partial}`);
      }
      const fks = await c.all<{ tbl: string; ref: string; del: string; cols: string }>(
        `SELECT con.conrelid::regclass::text AS tbl, con.confrelid::regclass::text AS ref, con.confdeltype AS del,
           array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), ',') AS cols
         FROM pg_constraint con JOIN pg_namespace ns ON ns.oid = con.connamespace
         WHERE con.contype = 'f' AND ns.nspname = 'public'`,
      );
      for (const f of fks)
        shape.foreignKeys.push(`${f.tbl}(${f.cols}) -> ${f.ref} on delete ${ON_DELETE[f.del]}`);
      const checks = await c.all<{ tbl: string; conname: string }>(
        `SELECT con.conrelid::regclass::text AS tbl, con.conname FROM pg_constraint con
         JOIN pg_namespace ns ON ns.oid = con.connamespace WHERE con.contype = 'c' AND ns.nspname = 'public'`,
      );
      for (const ch of checks) shape.checks.push(`${ch.tbl}.${ch.conname}`);
      return {
        ...shape,
        indexes: shape.indexes.sort(),
        foreignKeys: shape.foreignKeys.sort(),
        checks: shape.checks.sort(),
      };
    });
  } finally {
    await db.close();
  }
}

describe.skipIf(postgres.skip)('the PostgreSQL schema and its migrations', () => {
  it('mirrors the SQLite schema: tables, columns, NOT NULL, indexes, foreign keys, checks', async () => {
    const url = await postgres.createDatabase('shape');
    const db = await openPostgresDatabase({ url });
    await migratePostgres(db);
    await db.close();
    const [sqlite, pg] = [sqliteShape(), await postgresShape(url)];
    expect(Object.keys(sqlite.columns).length).toBeGreaterThan(10);
    expect(pg).toEqual(sqlite);
  });

  it('applies each migration exactly once when several replicas start at once', async () => {
    const url = await postgres.createDatabase('replicas');
    const dbs = await Promise.all([1, 2, 3, 4].map(() => openPostgresDatabase({ url }, { poolSize: 1 })));
    try {
      const applied = await Promise.all(dbs.map((db) => migratePostgres(db)));
      expect(applied.reduce((a, b) => a + b, 0)).toBe(migrationCount);
      expect(await migratePostgres(dbs[0]!)).toBe(0);
      const rows = await dbs[0]!.read((c) =>
        c.get<{ n: number }>(`SELECT count(*) AS n FROM ${POSTGRES_MIGRATIONS_TABLE}`),
      );
      expect(rows).toEqual({ n: migrationCount });
    } finally {
      for (const db of dbs) await db.close();
    }
  });

  it('refuses a database written by a newer version', async () => {
    const db = await openPostgresDatabase({ url: await postgres.createDatabase('newer') });
    try {
      await migratePostgres(db);
      await db.write((c) =>
        c.run(`INSERT INTO ${POSTGRES_MIGRATIONS_TABLE} (hash, created_at) VALUES ('future', ?)`, [
          Date.UTC(2999, 0, 1),
        ]),
      );
      await expectError(() => migratePostgres(db), 'INTERNAL', /newer version/);
    } finally {
      await db.close();
    }
  });
});
