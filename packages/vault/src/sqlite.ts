import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { isMcpmuxError, McpmuxError, parseOrThrow, SlugSchema } from '@mcpmux/core';
import BetterSqlite3 from 'better-sqlite3';
import { aad, assertKeyLength, KEY_LENGTH, masterKeyId, open, type Sealed, seal } from './internal/aead.js';
import { prepareDatabase } from './internal/migrations.js';
import {
  type DataKeyScope,
  DataKeyScopeSchema,
  type KeyProvider,
  type ScryptParams,
  ScryptParamsSchema,
  type SecretInfo,
  type SecretListFilter,
  SecretListFilterSchema,
  SecretNameSchema,
  type SecretScope,
  SecretScopeSchema,
  type Vault,
  type VaultLogger,
} from './types.js';

/** The largest secret value accepted, in UTF-8 bytes (1 MiB). */
export const MAX_SECRET_BYTES = 1024 * 1024;

const KEY_CHECK_PLAINTEXT = Buffer.from('mcpmux-vault key check v1', 'utf8');

/** Options of {@link openSqliteVault}. */
export type OpenSqliteVaultOptions = (
  | {
      /** The SQLite file (shared with the space store); created if missing. The vault owns this connection. */
      path: string;
    }
  | {
      /** An open better-sqlite3 connection (e.g. the space store's); the vault never closes it. */
      database: BetterSqlite3.Database;
    }
) & {
  /** Where the master key comes from; see `selectKeyProvider`. */
  keyProvider: KeyProvider;
  /** Receives creation and rotation notices (never secret values); default: no logging. */
  logger?: VaultLogger;
  /** Randomness for IVs, data keys and ids; default `crypto.randomBytes`. */
  random?: (n: number) => Uint8Array;
  /** Timestamps; default `() => new Date()`. */
  clock?: () => Date;
  /**
   * Called after every committed `set` and every `delete` that removed a secret, with the scope and
   * name (never the value), so the app can tell running gateways to reconnect with the new
   * credential. Exceptions it throws are ignored. Default: none.
   */
  onSecretChange?: (scope: SecretScope, name: string) => void;
};

interface MasterRow {
  master_key_id: string;
  provider_kind: string;
  kdf: string | null;
  check_iv: Buffer;
  check_ciphertext: Buffer;
  check_tag: Buffer;
}

interface DataKeyRow {
  scope: string;
  id: string;
  master_key_id: string;
  iv: Buffer;
  wrapped: Buffer;
  tag: Buffer;
}

interface SecretRow {
  scope: string;
  server_id: string;
  name: string;
  version: number;
  data_key_id: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

interface State {
  db: BetterSqlite3.Database;
  ownsConnection: boolean;
  masterKey: KeyObject;
  masterKeyId: string;
  random: (n: number) => Uint8Array;
  clock: () => Date;
  logger: VaultLogger | undefined;
  onSecretChange: ((scope: SecretScope, name: string) => void) | undefined;
  statements: Map<string, BetterSqlite3.Statement>;
}

const scopeKey = (scope: SecretScope | DataKeyScope): string =>
  'global' in scope ? 'global' : `space:${scope.spaceId}`;

const scopeLabel = (key: string): string =>
  key === 'global' ? 'the global scope' : `Space "${key.slice('space:'.length)}"`;

function scopeFromKey(key: string, serverId: string): SecretScope {
  return key === 'global' ? { global: true, serverId } : { spaceId: key.slice('space:'.length), serverId };
}

const sealedOf = (row: { iv: Buffer; tag: Buffer }, ciphertext: Buffer): Sealed => ({
  iv: row.iv,
  ciphertext,
  tag: row.tag,
});

const dataKeyAad = (scope: string, id: string, master: string) =>
  aad(['mcpmux-vault/data-key/v1', scope, id, master]);
const secretAad = (scope: string, serverId: string, name: string, version: number, dataKeyId: string) =>
  aad(['mcpmux-vault/secret/v1', scope, serverId, name, version, dataKeyId]);
const keyCheckAad = (master: string) => aad(['mcpmux-vault/key-check/v1', master]);

function integrityError(what: string, data: Record<string, unknown>): McpmuxError {
  return new McpmuxError(
    'VAULT_LOCKED',
    `${what} failed authentication: the vault database was altered or corrupted. Nothing was decrypted.`,
    { data: { reason: 'integrity', ...data } },
  );
}

/** Where each provider kind's key lives, as the fix a user needs to read. */
const PROVIDER_SOURCES: Record<string, string> = {
  env: 'the MCPMUX_MASTER_KEY environment variable: set it to the key the vault was created with',
  keychain: 'the OS keychain: unlock it or restore the mcpmux entry',
  passphrase: 'a passphrase: give the one the vault was created with',
  keyfile: 'a keyfile provider (the 0600 key file in the home): restore that file',
};

/** Adds which provider and key the vault expects to a `VAULT_LOCKED` error from a key provider. */
function explainLocked(err: unknown, row: MasterRow): unknown {
  if (!isMcpmuxError(err, 'VAULT_LOCKED')) return err;
  return new McpmuxError(
    'VAULT_LOCKED',
    `${err.message} This vault's master key (id ${row.master_key_id}) comes from ${PROVIDER_SOURCES[row.provider_kind] ?? `a ${row.provider_kind} provider`}.`,
    {
      data: { ...err.data, expectedKeyId: row.master_key_id, expectedProvider: row.provider_kind },
      cause: err,
    },
  );
}

function lockedMismatch(provider: KeyProvider, row: MasterRow, gotId: string): McpmuxError {
  return new McpmuxError(
    'VAULT_LOCKED',
    `The master key from ${provider.describe()} does not unlock this vault (it expects key ${row.master_key_id} from a ${row.provider_kind} provider, got key ${gotId}). Nothing was decrypted and no new key was created.`,
    { data: { reason: 'wrong-key', expectedKeyId: row.master_key_id, keyId: gotId } },
  );
}

/**
 * Opens (and creates or migrates) the SQLite vault: its own `vault_*` tables and `vault_migrations`
 * in the given file or connection, with `synchronous=FULL`, `secure_delete=ON` and `temp_store=MEMORY`
 * on the connection. The master key is fetched from `keyProvider` once, checked against the vault's
 * key-check record, and kept in memory as a `KeyObject` until {@link SqliteVault.close}.
 *
 * A new vault (no key-check record) asks the provider with `create: true`; an existing vault never
 * does, so a missing or wrong key fails closed instead of silently starting over.
 *
 * @param options - `path` or `database`, `keyProvider`, optional `logger`, `random`, `clock`.
 * @throws `VAULT_LOCKED` when the key is missing, wrong, or the key-check record fails authentication.
 * @example
 * ```ts
 * const vault = await openSqliteVault({ path: '/home/me/.mcpmux/mcpmux.db', keyProvider });
 * await vault.set({ spaceId: 'work', serverId: 'github' }, 'GITHUB_TOKEN', token);
 * ```
 */
export function openSqliteVault(options: OpenSqliteVaultOptions): Promise<SqliteVault> {
  return SqliteVault.open(options);
}

function parseKdf(text: string): ScryptParams | undefined {
  try {
    const parsed = ScryptParamsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The SQLite implementation of {@link Vault}. Make one with {@link openSqliteVault}. All work is
 * synchronous on the connection underneath; the async methods exist for the interface.
 */
export class SqliteVault implements Vault {
  /** The connection the vault uses (its own, or the one it was given). */
  readonly database: BetterSqlite3.Database;
  #state: State | undefined;

  /** Same as {@link openSqliteVault}. */
  static async open(options: OpenSqliteVaultOptions): Promise<SqliteVault> {
    const ownsConnection = 'path' in options;
    const db = 'path' in options ? new BetterSqlite3(options.path) : options.database;
    const random = options.random ?? ((n: number) => randomBytes(n));
    const clock = options.clock ?? (() => new Date());
    const provider = options.keyProvider;
    try {
      prepareDatabase(db, ownsConnection, clock);
      const readMaster = () =>
        db.prepare('SELECT * FROM vault_master WHERE id = 1').get() as MasterRow | undefined;
      let row = readMaster();
      let key: Buffer | undefined;
      if (row === undefined) {
        const kdf = provider.newKdfParams?.();
        key = await provider.getMasterKey(kdf === undefined ? { create: true } : { create: true, kdf });
        assertKeyLength(key, provider.describe());
        const id = masterKeyId(key);
        const check = seal(key, KEY_CHECK_PLAINTEXT, keyCheckAad(id), random);
        const inserted = db
          .transaction(() => {
            if (readMaster() !== undefined) return false; // another process created the vault meanwhile
            db.prepare(
              `INSERT INTO vault_master (id, master_key_id, provider_kind, kdf, check_iv, check_ciphertext, check_tag, created_at)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
            ).run(
              id,
              provider.kind,
              kdf === undefined ? null : JSON.stringify(kdf),
              check.iv,
              check.ciphertext,
              check.tag,
              clock().toISOString(),
            );
            options.logger?.info?.(
              `mcpmux vault: created with master key ${id} from ${provider.describe()}.`,
            );
            return true;
          })
          .immediate();
        row = readMaster()!;
        if (!inserted) {
          // Lost a creation race: unlock the other process's vault like any existing one.
          key.fill(0);
          key = undefined;
        }
      }
      if (key === undefined) {
        const kdf = row.kdf === null ? undefined : parseKdf(row.kdf);
        const existing = row;
        key = await provider
          .getMasterKey(kdf === undefined ? { create: false } : { create: false, kdf })
          .catch((err: unknown) => {
            throw explainLocked(err, existing);
          });
        assertKeyLength(key, provider.describe());
      }
      try {
        const id = masterKeyId(key);
        if (id !== row.master_key_id) throw lockedMismatch(provider, row, id);
        const checked = open(
          key,
          { iv: row.check_iv, ciphertext: row.check_ciphertext, tag: row.check_tag },
          keyCheckAad(id),
        );
        if (checked === undefined || !checked.equals(KEY_CHECK_PLAINTEXT)) {
          throw integrityError('The key-check record', {});
        }
        return new SqliteVault({
          db,
          ownsConnection,
          masterKey: createSecretKey(key),
          masterKeyId: id,
          random,
          clock,
          logger: options.logger,
          onSecretChange: options.onSecretChange,
          statements: new Map(),
        });
      } finally {
        key.fill(0); // the vault keeps its own copy as a KeyObject
      }
    } catch (err) {
      if (ownsConnection) db.close();
      throw err;
    }
  }

  private constructor(state: State) {
    this.database = state.db;
    this.#state = state;
  }

  /** The id of the master key currently wrapping the data keys (16 hex characters; not secret). */
  get masterKeyId(): string {
    return this.#live().masterKeyId;
  }

  /** {@inheritDoc Vault.set} */
  async set(scope: SecretScope, name: string, value: string): Promise<void> {
    this.setSync(scope, name, value);
  }

  /** Synchronous {@link Vault.set}, usable inside another transaction on the same connection. */
  setSync(scope: SecretScope, name: string, value: string): void {
    const s = this.#live();
    const parsedScope = parseOrThrow(SecretScopeSchema, scope, 'secret scope');
    const secretName = parseOrThrow(SecretNameSchema, name, 'secret name');
    if (typeof value !== 'string') {
      throw new McpmuxError('INVALID_INPUT', 'secret value: must be a string', {
        data: { field: 'secret value' },
      });
    }
    const plaintext = Buffer.from(value, 'utf8');
    if (plaintext.length > MAX_SECRET_BYTES) {
      plaintext.fill(0);
      throw new McpmuxError('INVALID_INPUT', `secret value: must be at most ${MAX_SECRET_BYTES} bytes`, {
        data: { field: 'secret value' },
      });
    }
    const key = scopeKey(parsedScope);
    const now = s.clock().toISOString();
    try {
      s.db
        .transaction(() => {
          const dataKeyRow = this.#dataKeyRow(key) ?? this.#createDataKey(key);
          const previous = this.#sql(
            'SELECT version FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?',
          ).get(key, parsedScope.serverId, secretName) as { version: number } | undefined;
          const version = (previous?.version ?? 0) + 1;
          const sealed = this.#withDataKey(dataKeyRow, (dataKey) =>
            seal(
              dataKey,
              plaintext,
              secretAad(key, parsedScope.serverId, secretName, version, dataKeyRow.id),
              s.random,
            ),
          );
          this.#sql(
            `INSERT INTO vault_secrets (scope, server_id, name, version, data_key_id, iv, ciphertext, tag, created_at, updated_at)
               VALUES (@scope, @server, @name, @version, @dataKeyId, @iv, @ciphertext, @tag, @now, @now)
               ON CONFLICT (scope, server_id, name) DO UPDATE SET version = excluded.version,
                 data_key_id = excluded.data_key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
                 tag = excluded.tag, updated_at = excluded.updated_at`,
          ).run({
            scope: key,
            server: parsedScope.serverId,
            name: secretName,
            version,
            dataKeyId: dataKeyRow.id,
            ...sealed,
            now,
          });
        })
        .immediate();
    } finally {
      plaintext.fill(0);
    }
    this.#notify(parsedScope, secretName);
  }

  /** {@inheritDoc Vault.get} */
  async get(scope: SecretScope, name: string): Promise<string | undefined> {
    return this.getSync(scope, name);
  }

  /** Synchronous {@link Vault.get}. */
  getSync(scope: SecretScope, name: string): string | undefined {
    const parsedScope = parseOrThrow(SecretScopeSchema, scope, 'secret scope');
    const secretName = parseOrThrow(SecretNameSchema, name, 'secret name');
    const key = scopeKey(parsedScope);
    const row = this.#sql('SELECT * FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?').get(
      key,
      parsedScope.serverId,
      secretName,
    ) as SecretRow | undefined;
    if (row === undefined) return undefined;
    const plaintext = this.#decrypt(row);
    const value = plaintext.toString('utf8');
    plaintext.fill(0);
    return value;
  }

  /** {@inheritDoc Vault.has} */
  async has(scope: SecretScope, name: string): Promise<boolean> {
    const parsedScope = parseOrThrow(SecretScopeSchema, scope, 'secret scope');
    const secretName = parseOrThrow(SecretNameSchema, name, 'secret name');
    return (
      this.#sql('SELECT 1 FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?').get(
        scopeKey(parsedScope),
        parsedScope.serverId,
        secretName,
      ) !== undefined
    );
  }

  /** {@inheritDoc Vault.list} */
  async list(filter: SecretListFilter = {}): Promise<SecretInfo[]> {
    const f = parseOrThrow(SecretListFilterSchema, filter, 'secret filter');
    const where: string[] = [];
    const params: string[] = [];
    if (f.spaceId !== undefined) {
      where.push('scope = ?');
      params.push(`space:${f.spaceId}`);
    }
    if (f.global === true) where.push("scope = 'global'");
    if (f.global === false) where.push("scope <> 'global'");
    if (f.serverId !== undefined) {
      where.push('server_id = ?');
      params.push(f.serverId);
    }
    const rows = this.#sql(
      `SELECT scope, server_id, name, version, created_at, updated_at FROM vault_secrets
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY scope, server_id, name`,
    ).all(...params) as {
      scope: string;
      server_id: string;
      name: string;
      version: number;
      created_at: string;
      updated_at: string;
    }[];
    return rows.map((r) => ({
      scope: scopeFromKey(r.scope, r.server_id),
      name: r.name,
      version: r.version,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }));
  }

  /** {@inheritDoc Vault.delete} */
  async delete(scope: SecretScope, name: string): Promise<boolean> {
    const parsedScope = parseOrThrow(SecretScopeSchema, scope, 'secret scope');
    const secretName = parseOrThrow(SecretNameSchema, name, 'secret name');
    const result = this.#sql('DELETE FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?').run(
      scopeKey(parsedScope),
      parsedScope.serverId,
      secretName,
    );
    if (result.changes === 0) return false;
    this.#notify(parsedScope, secretName);
    return true;
  }

  /** Tells `onSecretChange` (if any) about a committed change; its errors never reach the caller. */
  #notify(scope: SecretScope, name: string): void {
    try {
      this.#state?.onSecretChange?.(scope, name);
    } catch {
      // A notification hook must not turn a committed write into an error.
    }
  }

  /** {@inheritDoc Vault.deleteSpace} */
  async deleteSpace(spaceId: string): Promise<number> {
    return this.deleteSpaceSync(spaceId);
  }

  /**
   * Synchronous {@link Vault.deleteSpace} for the space store's deletion hook: runs on the same
   * connection, inside the caller's transaction when there is one (as a savepoint).
   *
   * @returns How many secrets were removed.
   * @throws `INVALID_INPUT` for a malformed Space id.
   * @example
   * ```ts
   * store.addSpaceDeletionHook((spaceId) => vault.deleteSpaceSync(spaceId));
   * ```
   */
  deleteSpaceSync(spaceId: string): number {
    const s = this.#live();
    const id = parseOrThrow(SlugSchema, spaceId, 'space id');
    const key = `space:${id}`;
    return s.db.transaction(() => {
      const removed = this.#sql('DELETE FROM vault_secrets WHERE scope = ?').run(key).changes;
      this.#sql('DELETE FROM vault_data_keys WHERE scope = ?').run(key);
      return removed;
    })();
  }

  /** {@inheritDoc Vault.rotateMasterKey} */
  async rotateMasterKey(next: KeyProvider): Promise<void> {
    const s = this.#live();
    const kdf = next.newKdfParams?.();
    const newKey = await next.getMasterKey(kdf === undefined ? { create: true } : { create: true, kdf });
    assertKeyLength(newKey, next.describe());
    const newId = masterKeyId(newKey);
    const newMaster = createSecretKey(newKey);
    newKey.fill(0);
    const check = seal(newMaster, KEY_CHECK_PLAINTEXT, keyCheckAad(newId), s.random);
    const oldId = s.masterKeyId;
    s.db
      .transaction(() => {
        this.#assertCurrentMaster();
        const rows = this.#sql('SELECT * FROM vault_data_keys ORDER BY scope').all() as DataKeyRow[];
        const update = this.#sql(
          'UPDATE vault_data_keys SET master_key_id = ?, iv = ?, wrapped = ?, tag = ? WHERE scope = ?',
        );
        for (const row of rows) {
          const raw = this.#unwrapRaw(row);
          const wrapped = seal(newMaster, raw, dataKeyAad(row.scope, row.id, newId), s.random);
          raw.fill(0);
          update.run(newId, wrapped.iv, wrapped.ciphertext, wrapped.tag, row.scope);
        }
        this.#sql(
          `UPDATE vault_master SET master_key_id = ?, provider_kind = ?, kdf = ?, check_iv = ?,
             check_ciphertext = ?, check_tag = ?, rotated_at = ? WHERE id = 1`,
        ).run(
          newId,
          next.kind,
          kdf === undefined ? null : JSON.stringify(kdf),
          check.iv,
          check.ciphertext,
          check.tag,
          s.clock().toISOString(),
        );
      })
      .immediate();
    s.masterKey = newMaster;
    s.masterKeyId = newId;
    s.logger?.info?.(`mcpmux vault: master key rotated from ${oldId} to ${newId} (${next.describe()}).`);
  }

  /** {@inheritDoc Vault.rotateDataKey} */
  async rotateDataKey(scope: DataKeyScope): Promise<void> {
    const s = this.#live();
    const key = scopeKey(parseOrThrow(DataKeyScopeSchema, scope, 'data key scope'));
    s.db
      .transaction(() => {
        const old = this.#dataKeyRow(key);
        if (old === undefined) {
          this.#createDataKey(key);
          return;
        }
        const rows = this.#sql('SELECT * FROM vault_secrets WHERE scope = ?').all(key) as SecretRow[];
        const plaintexts = this.#withDataKey(old, (oldKey) =>
          rows.map((row) => this.#decryptWith(row, oldKey, old)),
        );
        this.#sql('DELETE FROM vault_data_keys WHERE scope = ?').run(key);
        const fresh = this.#createDataKey(key);
        const update = this.#sql(
          `UPDATE vault_secrets SET data_key_id = ?, iv = ?, ciphertext = ?, tag = ?
           WHERE scope = ? AND server_id = ? AND name = ?`,
        );
        this.#withDataKey(fresh, (newKey) => {
          rows.forEach((row, i) => {
            const plaintext = plaintexts[i]!;
            const sealed = seal(
              newKey,
              plaintext,
              secretAad(key, row.server_id, row.name, row.version, fresh.id),
              s.random,
            );
            plaintext.fill(0);
            update.run(fresh.id, sealed.iv, sealed.ciphertext, sealed.tag, key, row.server_id, row.name);
          });
        });
      })
      .immediate();
    s.logger?.info?.(`mcpmux vault: data key of ${scopeLabel(key)} rotated.`);
  }

  /** {@inheritDoc Vault.close} */
  async close(): Promise<void> {
    const s = this.#state;
    if (s === undefined) return;
    this.#state = undefined;
    if (s.ownsConnection) s.db.close();
  }

  /** A prepared statement, compiled once per connection. */
  #sql(text: string): BetterSqlite3.Statement {
    const s = this.#live();
    let statement = s.statements.get(text);
    if (statement === undefined) {
      statement = s.db.prepare(text);
      s.statements.set(text, statement);
    }
    return statement;
  }

  #live(): State {
    if (this.#state === undefined) throw new McpmuxError('VAULT_LOCKED', 'The vault is closed.');
    return this.#state;
  }

  #assertCurrentMaster(): void {
    const s = this.#live();
    const row = this.#sql('SELECT master_key_id FROM vault_master WHERE id = 1').get() as
      | { master_key_id: string }
      | undefined;
    if (row?.master_key_id !== s.masterKeyId) {
      throw new McpmuxError(
        'VAULT_LOCKED',
        'The master key was rotated by another process since this vault was opened; reopen the vault.',
        { data: { reason: 'rotated' } },
      );
    }
  }

  #dataKeyRow(key: string): DataKeyRow | undefined {
    return this.#sql('SELECT * FROM vault_data_keys WHERE scope = ?').get(key) as DataKeyRow | undefined;
  }

  #createDataKey(key: string): DataKeyRow {
    const s = this.#live();
    this.#assertCurrentMaster();
    const raw = Buffer.from(s.random(KEY_LENGTH));
    const id = Buffer.from(s.random(12)).toString('hex');
    const wrapped = seal(s.masterKey, raw, dataKeyAad(key, id, s.masterKeyId), s.random);
    raw.fill(0);
    const row: DataKeyRow = {
      scope: key,
      id,
      master_key_id: s.masterKeyId,
      iv: wrapped.iv,
      wrapped: wrapped.ciphertext,
      tag: wrapped.tag,
    };
    this.#sql(
      'INSERT INTO vault_data_keys (scope, id, master_key_id, iv, wrapped, tag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(key, id, s.masterKeyId, wrapped.iv, wrapped.ciphertext, wrapped.tag, s.clock().toISOString());
    return row;
  }

  #unwrapRaw(row: DataKeyRow): Buffer {
    const s = this.#live();
    if (row.master_key_id !== s.masterKeyId) {
      throw new McpmuxError(
        'VAULT_LOCKED',
        `The data key of ${scopeLabel(row.scope)} is wrapped by master key ${row.master_key_id}, not by the key this vault was opened with (${s.masterKeyId}); reopen the vault.`,
        { data: { reason: 'rotated' } },
      );
    }
    const raw = open(
      s.masterKey,
      sealedOf(row, row.wrapped),
      dataKeyAad(row.scope, row.id, row.master_key_id),
    );
    if (raw === undefined || raw.length !== KEY_LENGTH) {
      throw integrityError(`The data key of ${scopeLabel(row.scope)}`, { scope: row.scope });
    }
    return raw;
  }

  /** Runs `fn` with the unwrapped data key of `row`, then zeroes the key. */
  #withDataKey<T>(row: DataKeyRow, fn: (dataKey: Buffer) => T): T {
    const raw = this.#unwrapRaw(row);
    try {
      return fn(raw);
    } finally {
      raw.fill(0);
    }
  }

  #decrypt(row: SecretRow): Buffer {
    const keyRow = this.#sql('SELECT * FROM vault_data_keys WHERE id = ? AND scope = ?').get(
      row.data_key_id,
      row.scope,
    ) as DataKeyRow | undefined;
    if (keyRow === undefined) {
      throw integrityError(`Secret "${row.name}" of server "${row.server_id}" in ${scopeLabel(row.scope)}`, {
        scope: row.scope,
        serverId: row.server_id,
        name: row.name,
      });
    }
    return this.#withDataKey(keyRow, (dataKey) => this.#decryptWith(row, dataKey, keyRow));
  }

  #decryptWith(row: SecretRow, dataKey: Buffer, keyRow: DataKeyRow): Buffer {
    const plaintext = open(
      dataKey,
      sealedOf(row, row.ciphertext),
      secretAad(row.scope, row.server_id, row.name, row.version, keyRow.id),
    );
    if (plaintext === undefined || row.data_key_id !== keyRow.id) {
      throw integrityError(`Secret "${row.name}" of server "${row.server_id}" in ${scopeLabel(row.scope)}`, {
        scope: row.scope,
        serverId: row.server_id,
        name: row.name,
      });
    }
    return plaintext;
  }
}
