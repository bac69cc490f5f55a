// `mcpmux migrate --to postgres://...`: a home's SQLite data copied into an empty PostgreSQL
// database for team mode (DESIGN §12), secrets re-encrypted under the team's master key, verified
// before the one transaction on the target commits.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMcpmuxError, McpmuxError, type SqlConnection, type SqlDatabase } from '@mcpmux/core';
import {
  type KeyProvider,
  MASTER_KEY_ENV,
  openVault,
  type SecretScope,
  selectKeyProvider,
  type Vault,
  type VaultLogger,
} from '@mcpmux/vault';
import { DATABASE_FILE } from '../home.js';
import { databaseKeyProvider, parseDatabaseUrl, redactDatabaseUrl } from '../internal/database-home.js';

/**
 * The store's tables in foreign-key order (parents first), each with the columns that order its
 * rows for the comparison. `audit_events` is copied only on request; `changes` (the change log the
 * running gateways read) is never copied: the target starts its own.
 */
export const MIGRATED_TABLES = [
  { table: 'spaces', key: 'id' },
  { table: 'servers', key: 'id' },
  { table: 'installations', key: 'space_id, server_id' },
  { table: 'feature_sets', key: 'space_id, id' },
  { table: 'clients', key: 'id' },
  { table: 'access_keys', key: 'id', identity: true },
  { table: 'grants', key: 'client_id, space_id, set_id' },
  { table: 'discovered_features', key: 'id', identity: true },
  { table: 'oauth_clients', key: 'id' },
  { table: 'oauth_codes', key: 'hash' },
  { table: 'oauth_tokens', key: 'id', identity: true },
  { table: 'audit_events', key: 'id', identity: true, optional: true },
] as const;

/** The vault's tables: non-empty ones make the target "not empty" too. */
const VAULT_TABLES = ['vault_master', 'vault_data_keys', 'vault_secrets'] as const;

/** Options of {@link migrateHome}. */
export interface MigrateHomeOptions {
  /** The home whose SQLite database is copied. */
  home: string;
  /** The target: `postgres://USER@HOST:PORT/DATABASE` of an empty database. */
  to: string;
  /**
   * The environment: the home's master key (its usual provider: `MCPMUX_MASTER_KEY`, the keychain or
   * `<home>/keys/master.key`) and the target's (`masterKeyFile`, else `MCPMUX_MASTER_KEY`, else
   * `MCPMUX_MASTER_KEY_FILE`).
   */
  env: Record<string, string | undefined>;
  /** The target's master key file; wins over `MCPMUX_MASTER_KEY` (else `MCPMUX_MASTER_KEY_FILE`). */
  masterKeyFile?: string;
  /** Copy the audit log too. Default `false`. */
  audit?: boolean;
  /** Vault notices (never values). Default none. */
  logger?: VaultLogger;
}

/** What {@link migrateHome} copied and checked. */
export interface MigrationSummary {
  /** The target URL, password redacted. */
  target: string;
  /** Rows copied per table, in copy order (identical in both databases after the check). */
  tables: { table: string; rows: number }[];
  /** Secrets re-encrypted under the target's key, each read back equal. */
  secrets: number;
  /** Whether the audit log was copied. */
  audit: boolean;
}

/** Canonical text of a row (sorted keys, bytes as hex), for comparing both databases' rows. */
function canonicalRow(row: Record<string, unknown>): string {
  const keys = Object.keys(row).sort();
  return JSON.stringify(
    keys.map((k) => {
      const v = row[k];
      if (v instanceof Uint8Array) return [k, Buffer.from(v).toString('hex')];
      if (typeof v === 'bigint') return [k, Number(v)];
      return [k, v ?? null];
    }),
  );
}

/** A `SqlDatabase` whose every transaction is `tx` (the vault and migrations join the caller's). */
function withinTransaction(tx: SqlConnection): SqlDatabase {
  return {
    dialect: tx.dialect,
    read: (fn) => fn(tx),
    write: (fn) => fn(tx),
    watchCommits: () => () => {},
    close: async () => {},
  };
}

function scopeText(scope: SecretScope): string {
  return 'global' in scope ? `global/${scope.serverId}` : `${scope.spaceId}/${scope.serverId}`;
}

/** The home's vault provider, tolerating a `MCPMUX_MASTER_KEY` meant for the target only. */
async function openSourceVault(
  database: SqlDatabase,
  home: string,
  env: Record<string, string | undefined>,
  logger: VaultLogger | undefined,
): Promise<Vault> {
  const open = async (e: Record<string, string | undefined>) =>
    openVault({
      database,
      keyProvider: await selectKeyProvider({ env: e, home, ...(logger === undefined ? {} : { logger }) }),
      ...(logger === undefined ? {} : { logger }),
    });
  try {
    return await open(env);
  } catch (err) {
    // MCPMUX_MASTER_KEY may be the team's new key while the home keeps its own (keychain, key file).
    if (!isMcpmuxError(err, 'VAULT_LOCKED') || env[MASTER_KEY_ENV] === undefined) throw err;
    const { [MASTER_KEY_ENV]: _team, ...rest } = env;
    return open(rest);
  }
}

/**
 * Copies a home's SQLite data into an EMPTY PostgreSQL database: Spaces, servers, installations,
 * FeatureSets, clients, access-key hashes, grants, OAuth rows, the discovered-feature cache (and
 * the audit log with `audit`), table by table in foreign-key order; every secret decrypted with the
 * home's key and stored again under the target's master key. Then, still inside the target's one
 * transaction, checks that every table holds the same rows and every secret reads back the same
 * value; only then commits. Any failure rolls back: the target stays empty. The home is only read.
 *
 * @throws `NOT_FOUND` when the home has no database; `INVALID_INPUT` for a malformed or unreachable
 *   URL (password redacted); `CONFLICT` when the target already holds mcpmux data; `VAULT_LOCKED`
 *   when a master key is missing or wrong; `INTERNAL` when the check finds a difference.
 * @example
 * ```ts
 * const summary = await migrateHome({ home: '/home/me/.mcpmux', to: 'postgres://mcpmux@db/mcpmux', env: process.env });
 * console.log(summary.tables, summary.secrets);
 * ```
 */
export async function migrateHome(options: MigrateHomeOptions): Promise<MigrationSummary> {
  const home = resolve(options.home);
  const url = parseDatabaseUrl(options.to);
  const target = redactDatabaseUrl(url);
  const dbPath = join(home, DATABASE_FILE);
  if (!existsSync(dbPath)) {
    throw new McpmuxError(
      'NOT_FOUND',
      `No mcpmux home at ${home}. Run \`mcpmux init\` first, or pass --home.`,
      {
        data: { entity: 'home', id: home },
      },
    );
  }
  const targetKey: KeyProvider = databaseKeyProvider(options.env, options.masterKeyFile, options.logger);
  const audit = options.audit === true;
  const tables = MIGRATED_TABLES.filter((t) => audit || !('optional' in t));

  const { openSqliteDatabase, openSqliteSpaceStore } = await import('@mcpmux/space-store/sqlite');
  // Brings the home's schema up to date (as every CLI verb does), then reads it.
  await openSqliteSpaceStore({ path: dbPath }).close();
  const source = openSqliteDatabase({ path: dbPath });
  let sourceVault: Vault | undefined;
  const { openPostgresDatabase, migratePostgres } = await import('@mcpmux/space-store/postgres');
  let pg: SqlDatabase | undefined;
  try {
    sourceVault = await openSourceVault(source, home, options.env, options.logger);
    const rows = new Map<string, Record<string, unknown>[]>();
    await source.read(async (c) => {
      for (const { table, key } of tables)
        rows.set(table, await c.all(`SELECT * FROM ${table} ORDER BY ${key}`));
    });
    const secrets: { scope: SecretScope; name: string; value: string }[] = [];
    for (const info of await sourceVault.list()) {
      const value = await sourceVault.get(info.scope, info.name);
      if (value !== undefined) secrets.push({ scope: info.scope, name: info.name, value });
    }

    pg = await openPostgresDatabase({ url });
    const copied = await pg.write(async (tx) => {
      const inTx = withinTransaction(tx);
      await migratePostgres(inTx);
      await refuseNonEmpty(tx, target);
      const counts: { table: string; rows: number }[] = [];
      for (const { table } of tables) {
        const list = rows.get(table) ?? [];
        for (const row of list) {
          const columns = Object.keys(row);
          await tx.run(
            `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
            columns.map((k) => row[k] as never),
          );
        }
        counts.push({ table, rows: list.length });
      }
      for (const t of tables) {
        if ('identity' in t) {
          // Explicit ids were inserted: the identity continues after the largest.
          await tx.get(
            `SELECT setval(pg_get_serial_sequence('${t.table}', 'id'), COALESCE((SELECT max(id) FROM ${t.table}), 0) + 1, false)`,
          );
        }
      }
      const vault = await openVault({
        database: inTx,
        keyProvider: targetKey,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
      for (const s of secrets) await vault.set(s.scope, s.name, s.value);
      // The check, before COMMIT: a difference rolls everything back.
      for (const { table, key } of tables) {
        // Sorted here: the two databases may collate text keys differently.
        const want = (rows.get(table) ?? []).map(canonicalRow).sort();
        const got = (await tx.all(`SELECT * FROM ${table} ORDER BY ${key}`)).map(canonicalRow).sort();
        if (want.length !== got.length || want.some((w, i) => w !== got[i])) {
          throw new McpmuxError(
            'INTERNAL',
            `The copy of table ${table} differs from the home's (${got.length} rows copied, ${want.length} expected); nothing was written to ${target}.`,
            { data: { table } },
          );
        }
      }
      for (const s of secrets) {
        if ((await vault.get(s.scope, s.name)) !== s.value) {
          throw new McpmuxError(
            'INTERNAL',
            `The secret ${s.name} of ${scopeText(s.scope)} did not read back equal after re-encryption; nothing was written to ${target}.`,
            { data: { scope: scopeText(s.scope), name: s.name } },
          );
        }
      }
      await vault.close();
      // Running gateways of the team learn of the new data at commit.
      await tx.notify();
      return counts;
    });
    return { target, tables: copied, secrets: secrets.length, audit };
  } finally {
    await sourceVault?.close().catch(() => undefined);
    await source.close();
    await pg?.close();
  }
}

/** Refuses a target that already holds mcpmux data (rows in any store or vault table). */
async function refuseNonEmpty(tx: SqlConnection, target: string): Promise<void> {
  const held: string[] = [];
  for (const table of [...MIGRATED_TABLES.map((t) => t.table), ...VAULT_TABLES]) {
    const exists = await tx.get<{ n: number }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
      [table],
    );
    if (Number(exists?.n ?? 0) === 0) continue;
    const row = await tx.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    const n = Number(row?.n ?? 0);
    if (n > 0) held.push(`${n} ${table}`);
  }
  if (held.length > 0) {
    throw new McpmuxError(
      'CONFLICT',
      `The target database ${target} is not empty (it holds ${held.join(', ')}); mcpmux migrate copies a home into an EMPTY database only. Create a new database (e.g. \`createdb mcpmux_team\`) and migrate into that.`,
      { data: { target } },
    );
  }
}
