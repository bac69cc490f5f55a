import { McpmuxError, type SqlConnection, type SqlDialect } from '@mcpmux/core';

/**
 * The vault's schema on SQLite, one entry per version. Tables are prefixed `vault_` so they share the
 * store's database. These strings are the schema's history: never edit one (SQLite keeps each CREATE
 * statement's text in `sqlite_master`, and homes made by earlier versions must open unchanged); add a
 * new entry instead, with its PostgreSQL twin below.
 */
const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vault_master (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    master_key_id TEXT NOT NULL,
    provider_kind TEXT NOT NULL,
    kdf TEXT,
    check_iv BLOB NOT NULL,
    check_ciphertext BLOB NOT NULL,
    check_tag BLOB NOT NULL,
    created_at TEXT NOT NULL,
    rotated_at TEXT
  );
  CREATE TABLE vault_data_keys (
    scope TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    master_key_id TEXT NOT NULL,
    iv BLOB NOT NULL,
    wrapped BLOB NOT NULL,
    tag BLOB NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE vault_secrets (
    scope TEXT NOT NULL,
    server_id TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    data_key_id TEXT NOT NULL,
    iv BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    tag BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (scope, server_id, name)
  ) WITHOUT ROWID;
  CREATE INDEX vault_secrets_by_data_key ON vault_secrets (data_key_id);
  `,
];

/**
 * The same schema on PostgreSQL: `bytea` for BLOBs, `bigint` for the version, ISO-8601 `text`
 * timestamps (as on SQLite, so every statement is shared), and `COLLATE "C"` on the key columns so
 * names compare and sort bytewise, exactly as SQLite's BINARY collation does.
 */
const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vault_master (
    id integer PRIMARY KEY CHECK (id = 1),
    master_key_id text NOT NULL,
    provider_kind text NOT NULL,
    kdf text,
    check_iv bytea NOT NULL,
    check_ciphertext bytea NOT NULL,
    check_tag bytea NOT NULL,
    created_at text NOT NULL,
    rotated_at text
  );
  CREATE TABLE vault_data_keys (
    scope text COLLATE "C" PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    master_key_id text NOT NULL,
    iv bytea NOT NULL,
    wrapped bytea NOT NULL,
    tag bytea NOT NULL,
    created_at text NOT NULL
  );
  CREATE TABLE vault_secrets (
    scope text COLLATE "C" NOT NULL,
    server_id text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    data_key_id text COLLATE "C" NOT NULL,
    iv bytea NOT NULL,
    ciphertext bytea NOT NULL,
    tag bytea NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (scope, server_id, name)
  );
  CREATE INDEX vault_secrets_by_data_key ON vault_secrets (data_key_id);
  `,
];

const MIGRATIONS_TABLE: Record<SqlDialect, string> = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS vault_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  postgres:
    'CREATE TABLE IF NOT EXISTS vault_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)',
};

const MIGRATIONS: Record<SqlDialect, readonly string[]> = {
  sqlite: SQLITE_MIGRATIONS,
  postgres: POSTGRES_MIGRATIONS,
};

/** The newest schema version this build knows (the same on both dialects). */
export const SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/** One migration's statements: the text split at `;`, each kept exactly as written (no statement holds a `;`). */
function statements(migration: string): string[] {
  return migration
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Applies the vault's pending migrations on `c`, which must be inside a write transaction (so
 * processes and replicas opening one database at once apply each migration exactly once: SQLite's
 * write lock, PostgreSQL's advisory lock). On SQLite it also turns on `secure_delete` and
 * `temp_store=MEMORY` for the connection. Returns the schema version.
 *
 * @throws `CONFLICT` when the database holds a newer schema than this build knows.
 */
export async function migrateVault(c: SqlConnection, now: () => Date): Promise<number> {
  if (c.dialect === 'sqlite') {
    // Connection settings (allowed inside a transaction, unlike `synchronous`, which the driver sets).
    await c.get('PRAGMA secure_delete = ON');
    await c.run('PRAGMA temp_store = MEMORY');
  }
  const migrations = MIGRATIONS[c.dialect];
  await c.run(MIGRATIONS_TABLE[c.dialect]);
  const row = await c.get<{ v: number | string | null }>('SELECT MAX(version) AS v FROM vault_migrations');
  const current = row?.v === null || row?.v === undefined ? 0 : Number(row.v);
  if (current > migrations.length) {
    throw new McpmuxError(
      'CONFLICT',
      `The vault schema (version ${current}) is newer than this version of @mcpmux/vault understands (${migrations.length}); upgrade mcpmux.`,
      { data: { schemaVersion: current } },
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    for (const statement of statements(migrations[version - 1]!)) await c.run(statement);
    await c.run('INSERT INTO vault_migrations (version, applied_at) VALUES (?, ?)', [
      version,
      now().toISOString(),
    ]);
  }
  return migrations.length;
}
