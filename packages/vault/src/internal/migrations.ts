import { isSqliteBusy, McpmuxError, retrySync } from '@mcpmux/core';
import type { Database } from 'better-sqlite3';

/** The vault's schema, one entry per version. Tables are prefixed `vault_` so they share the store's file. */
const MIGRATIONS: readonly string[] = [
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

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Sets the connection pragmas the vault needs and applies pending migrations in one IMMEDIATE
 * transaction (safe when several processes open the same file). Returns the schema version.
 */
export function prepareDatabase(db: Database, ownsConnection: boolean, now: () => Date): number {
  if (ownsConnection) {
    db.pragma('busy_timeout = 5000');
    // Switching a new file to WAL can be refused (SQLITE_BUSY) without the busy handler: retry.
    retrySync(() => db.pragma('journal_mode = WAL'), { timeoutMs: 5000, retryIf: isSqliteBusy });
  }
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('temp_store = MEMORY');
  db.exec(
    'CREATE TABLE IF NOT EXISTS vault_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT MAX(version) AS v FROM vault_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new McpmuxError(
        'CONFLICT',
        `The vault schema (version ${current}) is newer than this version of @mcpmux/vault understands (${MIGRATIONS.length}); upgrade mcpmux.`,
        { data: { schemaVersion: current } },
      );
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version - 1]!);
      db.prepare('INSERT INTO vault_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        now().toISOString(),
      );
    }
    return MIGRATIONS.length;
  });
  return apply.immediate();
}
