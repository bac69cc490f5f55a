import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { checkSlug, McpmuxError, type SqlConnection, type SqlDatabase } from '@mcpmux/core';
import type {
  DataKeyScope,
  KeyProvider,
  KeyProviderKind,
  ScryptParams,
  SecretInfo,
  SecretListFilter,
  SecretScope,
  Vault,
  VaultLogger,
} from '../types.js';
import { aad, assertKeyLength, KEY_LENGTH, masterKeyId, open, type Sealed, seal } from './aead.js';
import {
  checkDataKeyScope,
  checkSecretListFilter,
  checkSecretName,
  checkSecretScope,
  scryptParamsOf,
} from './checks.js';
import { migrateVault } from './migrations.js';
import { explainProviderError, rotatedError, wrongKeyError } from './unlock-errors.js';

/** The largest secret value accepted, in UTF-8 bytes (1 MiB). */
export const MAX_SECRET_BYTES = 1024 * 1024;

const KEY_CHECK_PLAINTEXT = Buffer.from('mcpmux-vault key check v1', 'utf8');

/**
 * What the vault needs of a database: the `dialect`, `read` and `write` of a `SqlDatabase` from
 * `@mcpmux/core` (SQLite: `openSqliteDatabase`; PostgreSQL: `openPostgresDatabase`, both in
 * `@mcpmux/space-store`). Any `SqlDatabase` is one.
 */
export type VaultDatabase = Pick<SqlDatabase, 'dialect' | 'read' | 'write'>;

/** Options of {@link openVault}. */
export interface OpenVaultOptions {
  /**
   * The database, usually the one the space store runs on (`store.sql`). The vault keeps its own
   * `vault_*` tables there, applies its own migrations, and never closes it.
   */
  database: VaultDatabase;
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
}

type Bytes = Buffer | Uint8Array;

interface MasterRow {
  master_key_id: string;
  provider_kind: string;
  kdf: string | null;
  check_iv: Bytes;
  check_ciphertext: Bytes;
  check_tag: Bytes;
}

interface DataKeyRow {
  scope: string;
  id: string;
  master_key_id: string;
  iv: Bytes;
  wrapped: Bytes;
  tag: Bytes;
}

interface SecretRow {
  scope: string;
  server_id: string;
  name: string;
  version: number | string;
  data_key_id: string;
  iv: Bytes;
  ciphertext: Bytes;
  tag: Bytes;
}

/** A secret joined with its data key: one statement, so one consistent read on every backend. */
interface SecretWithKeyRow extends SecretRow {
  key_id: string | null;
  key_master_key_id: string | null;
  key_iv: Bytes | null;
  key_wrapped: Bytes | null;
  key_tag: Bytes | null;
}

/** What an open vault holds. `masterKey` and `masterKeyId` change when a rotation is picked up. */
export interface VaultState {
  db: VaultDatabase;
  provider: KeyProvider;
  masterKey: KeyObject;
  masterKeyId: string;
  random: (n: number) => Uint8Array;
  clock: () => Date;
  logger: VaultLogger | undefined;
  onSecretChange: ((scope: SecretScope, name: string) => void) | undefined;
}

/** Thrown inside an operation when the master key changed underneath; caught by `#current`. */
class RotatedUnderneath extends McpmuxError {
  constructor() {
    super('VAULT_LOCKED', 'The master key was rotated by another process or replica; reopen the vault.', {
      data: { reason: 'rotated' },
    });
  }
}

const bytes = (v: Bytes): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

const scopeKey = (scope: SecretScope | DataKeyScope): string =>
  'global' in scope ? 'global' : `space:${scope.spaceId}`;

const scopeLabel = (key: string): string =>
  key === 'global' ? 'the global scope' : `Space "${key.slice('space:'.length)}"`;

function scopeFromKey(key: string, serverId: string): SecretScope {
  return key === 'global' ? { global: true, serverId } : { spaceId: key.slice('space:'.length), serverId };
}

const sealedOf = (row: { iv: Bytes; tag: Bytes }, ciphertext: Bytes): Sealed => ({
  iv: bytes(row.iv),
  ciphertext: bytes(ciphertext),
  tag: bytes(row.tag),
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

function parseKdf(text: string | null): ScryptParams | undefined {
  if (text === null) return undefined;
  try {
    return scryptParamsOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

const readMaster = (c: SqlConnection) =>
  c.get<MasterRow>(
    'SELECT master_key_id, provider_kind, kdf, check_iv, check_ciphertext, check_tag FROM vault_master WHERE id = 1',
  );

/** Throws unless `key` is the master key of `row` (id, then the sealed key-check value). */
function checkMasterKey(key: Buffer, row: MasterRow, provider: KeyProvider): void {
  const id = masterKeyId(key);
  if (id !== row.master_key_id) throw wrongKeyError(provider, row, id);
  const checked = open(
    key,
    { iv: bytes(row.check_iv), ciphertext: bytes(row.check_ciphertext), tag: bytes(row.check_tag) },
    keyCheckAad(id),
  );
  if (checked === undefined || !checked.equals(KEY_CHECK_PLAINTEXT)) {
    throw integrityError('The key-check record', {});
  }
}

const SECRET_WITH_KEY = `SELECT s.scope, s.server_id, s.name, s.version, s.data_key_id, s.iv, s.ciphertext, s.tag,
    k.id AS key_id, k.master_key_id AS key_master_key_id, k.iv AS key_iv, k.wrapped AS key_wrapped, k.tag AS key_tag
  FROM vault_secrets s LEFT JOIN vault_data_keys k ON k.id = s.data_key_id AND k.scope = s.scope
  WHERE s.scope = ? AND s.server_id = ? AND s.name = ?`;

/**
 * Opens (and creates or migrates) the vault in a SQL database: its own `vault_*` tables and
 * `vault_migrations`, migrated inside one write transaction (so processes and replicas opening it at
 * once apply each migration once). The master key is fetched from `keyProvider` once, checked
 * against the vault's key-check record, and kept in memory as a `KeyObject` until `close()`.
 *
 * A new vault (no key-check record) asks the provider with `create: true`; an existing vault never
 * does, so a missing or wrong key fails closed instead of silently starting over. The error says
 * which key the vault expects, where it lives, and what to do for the provider that supplied the key.
 *
 * @param options - `database`, `keyProvider`; optional `logger`, `random`, `clock`, `onSecretChange`.
 * @throws `VAULT_LOCKED` when the key is missing, wrong (`data.reason: 'wrong-key'`), or the
 *   key-check record fails authentication (`'integrity'`); `CONFLICT` for a schema newer than this build.
 * @example
 * ```ts
 * import { openVault, selectKeyProvider } from '@mcpmux/vault';
 * import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
 *
 * const store = openSqliteSpaceStore({ path: '/home/me/.mcpmux/mcpmux.db' });
 * const keyProvider = await selectKeyProvider({ env: process.env, home: '/home/me/.mcpmux' });
 * const vault = await openVault({ database: store.sql, keyProvider });
 * store.addSpaceDeletionHook(async (spaceId, tx) => { await vault.deleteSpace(spaceId, tx); });
 * ```
 */
export async function openVault(options: OpenVaultOptions): Promise<SqlVault> {
  return new SqlVault(await unlockVault(options));
}

/**
 * The kind of key provider the vault in `database` was created with (its key-check record), without
 * unlocking, migrating or writing anything; `undefined` when there is no vault there yet (or it
 * cannot be read). Pass it to `selectKeyProvider` as `createdWith`.
 *
 * @param database - The database the vault lives in, usually the space store's (`store.sql`).
 * @example
 * ```ts
 * const createdWith = await vaultCreatedWith(store.sql);
 * const keyProvider = await selectKeyProvider({ env: process.env, home, createdWith });
 * ```
 */
export async function vaultCreatedWith(database: VaultDatabase): Promise<KeyProviderKind | undefined> {
  try {
    const kind = (await database.read(readMaster))?.provider_kind;
    return kind === 'keychain' || kind === 'env' || kind === 'passphrase' || kind === 'keyfile'
      ? kind
      : undefined;
  } catch {
    return undefined; // no vault tables yet
  }
}

/** Migrates, creates the key-check record if there is none, and unlocks: the state of an open vault. */
export async function unlockVault(options: OpenVaultOptions): Promise<VaultState> {
  const db = options.database;
  const random = options.random ?? ((n: number) => randomBytes(n));
  const clock = options.clock ?? (() => new Date());
  const provider = options.keyProvider;
  await db.write((c) => migrateVault(c, clock));
  let row = await db.read(readMaster);
  let key: Buffer | undefined;
  try {
    if (row === undefined) {
      const kdf = provider.newKdfParams?.();
      key = await provider.getMasterKey(kdf === undefined ? { create: true } : { create: true, kdf });
      assertKeyLength(key, provider.describe());
      const id = masterKeyId(key);
      const check = seal(key, KEY_CHECK_PLAINTEXT, keyCheckAad(id), random);
      const createdAt = clock().toISOString();
      const inserted = await db.write(
        async (c) =>
          (await c.run(
            `INSERT INTO vault_master (id, master_key_id, provider_kind, kdf, check_iv, check_ciphertext, check_tag, created_at)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
            [
              id,
              provider.kind,
              kdf === undefined ? null : JSON.stringify(kdf),
              check.iv,
              check.ciphertext,
              check.tag,
              createdAt,
            ],
          )) === 1,
      );
      row = await db.read(readMaster);
      if (row === undefined) throw integrityError('The key-check record', {});
      if (inserted) {
        options.logger?.info?.(`mcpmux vault: created with master key ${id} from ${provider.describe()}.`);
      } else {
        // Lost a creation race: unlock the other process's vault like any existing one.
        key.fill(0);
        key = undefined;
      }
    }
    if (key === undefined) {
      const kdf = parseKdf(row.kdf);
      const existing = row;
      key = await provider
        .getMasterKey(kdf === undefined ? { create: false } : { create: false, kdf })
        .catch((err: unknown) => {
          throw explainProviderError(err, provider, existing);
        });
      assertKeyLength(key, provider.describe());
    }
    checkMasterKey(key, row, provider);
    return {
      db,
      provider,
      masterKey: createSecretKey(key), // the vault keeps its own copy; the buffer is zeroed below
      masterKeyId: row.master_key_id,
      random,
      clock,
      logger: options.logger,
      onSecretChange: options.onSecretChange,
    };
  } finally {
    key?.fill(0);
  }
}

/**
 * The {@link Vault} on a SQL database, SQLite or PostgreSQL: the same statements on both. Make one
 * with {@link openVault}. Several vault objects on one database (processes, replicas) see each other's
 * writes at once; a master-key rotation through one is picked up by the others on their next call
 * when their key provider now gives the new key, and otherwise fails closed (`VAULT_LOCKED`,
 * `data.reason: 'rotated'`).
 */
export class SqlVault implements Vault {
  #state: VaultState | undefined;
  /** The master row id this vault's provider was asked about after a rotation and did not give. */
  #refusedKeyId: string | undefined;
  #catchingUp: Promise<void> | undefined;

  /** @internal Use {@link openVault}. */
  constructor(state: VaultState) {
    this.#state = state;
  }

  /** The id of the master key currently wrapping the data keys (16 hex characters; not secret). */
  get masterKeyId(): string {
    return this.#live().masterKeyId;
  }

  /** {@inheritDoc Vault.set} */
  async set(scope: SecretScope, name: string, value: string): Promise<void> {
    const s = this.#live();
    const parsedScope = checkSecretScope(scope, 'secret scope');
    const secretName = checkSecretName(name, 'secret name');
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
      await this.#current(() =>
        s.db.write(async (c) => {
          const dataKeyRow = (await this.#dataKeyRow(c, key)) ?? (await this.#createDataKey(c, key));
          const previous = await c.get<{ version: number | string }>(
            'SELECT version FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?',
            [key, parsedScope.serverId, secretName],
          );
          const version = Number(previous?.version ?? 0) + 1;
          const sealed = this.#withDataKey(dataKeyRow, (dataKey) =>
            seal(
              dataKey,
              plaintext,
              secretAad(key, parsedScope.serverId, secretName, version, dataKeyRow.id),
              s.random,
            ),
          );
          await c.run(
            `INSERT INTO vault_secrets (scope, server_id, name, version, data_key_id, iv, ciphertext, tag, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (scope, server_id, name) DO UPDATE SET version = excluded.version,
               data_key_id = excluded.data_key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
               tag = excluded.tag, updated_at = excluded.updated_at`,
            [
              key,
              parsedScope.serverId,
              secretName,
              version,
              dataKeyRow.id,
              sealed.iv,
              sealed.ciphertext,
              sealed.tag,
              now,
              now,
            ],
          );
        }),
      );
    } finally {
      plaintext.fill(0);
    }
    this.#notify(parsedScope, secretName);
  }

  /** {@inheritDoc Vault.get} */
  async get(scope: SecretScope, name: string): Promise<string | undefined> {
    const s = this.#live();
    const parsedScope = checkSecretScope(scope, 'secret scope');
    const secretName = checkSecretName(name, 'secret name');
    const key = scopeKey(parsedScope);
    return this.#current(async () => {
      const row = await s.db.read((c) =>
        c.get<SecretWithKeyRow>(SECRET_WITH_KEY, [key, parsedScope.serverId, secretName]),
      );
      if (row === undefined) return undefined;
      const plaintext = this.#decrypt(row);
      const value = plaintext.toString('utf8');
      plaintext.fill(0);
      return value;
    });
  }

  /** {@inheritDoc Vault.has} */
  async has(scope: SecretScope, name: string): Promise<boolean> {
    const s = this.#live();
    const parsedScope = checkSecretScope(scope, 'secret scope');
    const secretName = checkSecretName(name, 'secret name');
    const row = await s.db.read((c) =>
      c.get('SELECT 1 AS present FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?', [
        scopeKey(parsedScope),
        parsedScope.serverId,
        secretName,
      ]),
    );
    return row !== undefined;
  }

  /** {@inheritDoc Vault.list} */
  async list(filter: SecretListFilter = {}): Promise<SecretInfo[]> {
    const s = this.#live();
    const f = checkSecretListFilter(filter, 'secret filter');
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
    const rows = await s.db.read((c) =>
      c.all<{
        scope: string;
        server_id: string;
        name: string;
        version: number | string;
        created_at: string;
        updated_at: string;
      }>(
        `SELECT scope, server_id, name, version, created_at, updated_at FROM vault_secrets
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY scope, server_id, name`,
        params,
      ),
    );
    return rows.map((r) => ({
      scope: scopeFromKey(r.scope, r.server_id),
      name: r.name,
      version: Number(r.version),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }));
  }

  /** {@inheritDoc Vault.delete} */
  async delete(scope: SecretScope, name: string): Promise<boolean> {
    const s = this.#live();
    const parsedScope = checkSecretScope(scope, 'secret scope');
    const secretName = checkSecretName(name, 'secret name');
    const changes = await s.db.write((c) =>
      c.run('DELETE FROM vault_secrets WHERE scope = ? AND server_id = ? AND name = ?', [
        scopeKey(parsedScope),
        parsedScope.serverId,
        secretName,
      ]),
    );
    if (changes === 0) return false;
    this.#notify(parsedScope, secretName);
    return true;
  }

  /**
   * Removes every secret and the data key of a Space.
   *
   * @param spaceId - the Space's id (a slug).
   * @param tx - a connection inside the caller's write transaction (the space store's Space-deletion
   *   transaction passes one to its deletion hooks): the rows are deleted there and commit or roll
   *   back with it; no transaction of the vault's own is opened. Without it, the vault opens one.
   * @returns How many secrets were removed.
   * @throws `INVALID_INPUT` for a malformed Space id.
   * @example
   * ```ts
   * store.addSpaceDeletionHook(async (spaceId, tx) => { await vault.deleteSpace(spaceId, tx); });
   * ```
   */
  async deleteSpace(spaceId: string, tx?: SqlConnection): Promise<number> {
    const s = this.#live();
    const id = checkSlug(spaceId, 'space id');
    const key = `space:${id}`;
    const remove = async (c: SqlConnection) => {
      const removed = await c.run('DELETE FROM vault_secrets WHERE scope = ?', [key]);
      await c.run('DELETE FROM vault_data_keys WHERE scope = ?', [key]);
      return removed;
    };
    return tx === undefined ? s.db.write(remove) : remove(tx);
  }

  /** {@inheritDoc Vault.rotateMasterKey} */
  async rotateMasterKey(next: KeyProvider): Promise<void> {
    const s = this.#live();
    const kdf = next.newKdfParams?.();
    const newKey = await next.getMasterKey(kdf === undefined ? { create: true } : { create: true, kdf });
    let newMaster: KeyObject;
    let newId: string;
    try {
      assertKeyLength(newKey, next.describe());
      newId = masterKeyId(newKey);
      newMaster = createSecretKey(newKey);
    } finally {
      newKey.fill(0);
    }
    const check = seal(newMaster, KEY_CHECK_PLAINTEXT, keyCheckAad(newId), s.random);
    const rotatedAt = s.clock().toISOString();
    const oldId = await this.#current(async () => {
      const current = s.masterKeyId;
      await s.db.write(async (c) => {
        await this.#assertCurrentMaster(c);
        const rows = await c.all<DataKeyRow>(
          'SELECT scope, id, master_key_id, iv, wrapped, tag FROM vault_data_keys ORDER BY scope',
        );
        for (const row of rows) {
          const raw = this.#unwrapRaw(row);
          const wrapped = seal(newMaster, raw, dataKeyAad(row.scope, row.id, newId), s.random);
          raw.fill(0);
          await c.run(
            'UPDATE vault_data_keys SET master_key_id = ?, iv = ?, wrapped = ?, tag = ? WHERE scope = ?',
            [newId, wrapped.iv, wrapped.ciphertext, wrapped.tag, row.scope],
          );
        }
        await c.run(
          `UPDATE vault_master SET master_key_id = ?, provider_kind = ?, kdf = ?, check_iv = ?,
             check_ciphertext = ?, check_tag = ?, rotated_at = ? WHERE id = 1`,
          [
            newId,
            next.kind,
            kdf === undefined ? null : JSON.stringify(kdf),
            check.iv,
            check.ciphertext,
            check.tag,
            rotatedAt,
          ],
        );
      });
      return current;
    });
    s.masterKey = newMaster;
    s.masterKeyId = newId;
    s.provider = next;
    this.#refusedKeyId = undefined;
    s.logger?.info?.(`mcpmux vault: master key rotated from ${oldId} to ${newId} (${next.describe()}).`);
  }

  /** {@inheritDoc Vault.rotateDataKey} */
  async rotateDataKey(scope: DataKeyScope): Promise<void> {
    const s = this.#live();
    const key = scopeKey(checkDataKeyScope(scope, 'data key scope'));
    await this.#current(() =>
      s.db.write(async (c) => {
        const old = await this.#dataKeyRow(c, key);
        if (old === undefined) {
          await this.#createDataKey(c, key);
          return;
        }
        const rows = await c.all<SecretRow>(
          'SELECT scope, server_id, name, version, data_key_id, iv, ciphertext, tag FROM vault_secrets WHERE scope = ?',
          [key],
        );
        const plaintexts: Buffer[] = [];
        try {
          this.#withDataKey(old, (oldKey) => {
            for (const row of rows) plaintexts.push(this.#decryptWith(row, oldKey, old.id));
          });
          await c.run('DELETE FROM vault_data_keys WHERE scope = ?', [key]);
          const fresh = await this.#createDataKey(c, key);
          const sealed = this.#withDataKey(fresh, (newKey) =>
            rows.map((row, i) =>
              seal(
                newKey,
                plaintexts[i]!,
                secretAad(key, row.server_id, row.name, Number(row.version), fresh.id),
                s.random,
              ),
            ),
          );
          for (const [i, row] of rows.entries()) {
            const one = sealed[i]!;
            await c.run(
              `UPDATE vault_secrets SET data_key_id = ?, iv = ?, ciphertext = ?, tag = ?
               WHERE scope = ? AND server_id = ? AND name = ?`,
              [fresh.id, one.iv, one.ciphertext, one.tag, key, row.server_id, row.name],
            );
          }
        } finally {
          for (const plaintext of plaintexts) plaintext.fill(0);
        }
      }),
    );
    s.logger?.info?.(`mcpmux vault: data key of ${scopeLabel(key)} rotated.`);
  }

  /** {@inheritDoc Vault.close} */
  async close(): Promise<void> {
    this.#state = undefined;
  }

  /** Throws `VAULT_LOCKED` once the vault is closed. */
  protected assertOpen(): void {
    this.#live();
  }

  #live(): VaultState {
    if (this.#state === undefined) throw new McpmuxError('VAULT_LOCKED', 'The vault is closed.');
    return this.#state;
  }

  /** Tells `onSecretChange` (if any) about a committed change; its errors never reach the caller. */
  #notify(scope: SecretScope, name: string): void {
    try {
      this.#state?.onSecretChange?.(scope, name);
    } catch {
      // A notification hook must not turn a committed write into an error.
    }
  }

  /**
   * Runs `op`; when it finds the master key rotated underneath (by another process or replica), picks
   * up the new key from this vault's provider and runs `op` once more, or fails closed.
   */
  async #current<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof RotatedUnderneath)) throw err;
    }
    this.#catchingUp ??= this.#catchUp().finally(() => {
      this.#catchingUp = undefined;
    });
    await this.#catchingUp;
    try {
      return await op();
    } catch (err) {
      if (err instanceof RotatedUnderneath) throw await this.#rotatedFailure();
      throw err;
    }
  }

  async #rotatedFailure(): Promise<McpmuxError> {
    const s = this.#live();
    const row = await s.db.read(readMaster);
    return rotatedError(s.provider, row ?? { master_key_id: '?', provider_kind: '?' }, s.masterKeyId);
  }

  /** Asks the provider again after a rotation elsewhere; adopts the key only if it is the vault's new one. */
  async #catchUp(): Promise<void> {
    const s = this.#live();
    const row = await s.db.read(readMaster);
    if (row === undefined) throw integrityError('The key-check record', {});
    if (row.master_key_id === s.masterKeyId) return; // the rotation we saw was rolled back or already adopted
    if (row.master_key_id === this.#refusedKeyId) throw rotatedError(s.provider, row, s.masterKeyId);
    const kdf = parseKdf(row.kdf);
    let key: Buffer;
    try {
      key = await s.provider.getMasterKey(kdf === undefined ? { create: false } : { create: false, kdf });
    } catch (err) {
      this.#refusedKeyId = row.master_key_id;
      throw rotatedError(s.provider, row, s.masterKeyId, err);
    }
    try {
      if (key.length !== KEY_LENGTH || masterKeyId(key) !== row.master_key_id) {
        this.#refusedKeyId = row.master_key_id;
        throw rotatedError(s.provider, row, s.masterKeyId);
      }
      checkMasterKey(key, row, s.provider);
      const oldId = s.masterKeyId;
      s.masterKey = createSecretKey(key);
      s.masterKeyId = row.master_key_id;
      s.logger?.info?.(
        `mcpmux vault: master key ${row.master_key_id} (rotated from ${oldId} by another process or replica) picked up from ${s.provider.describe()}.`,
      );
    } finally {
      key.fill(0);
    }
  }

  async #assertCurrentMaster(c: SqlConnection): Promise<void> {
    const row = await c.get<{ master_key_id: string }>('SELECT master_key_id FROM vault_master WHERE id = 1');
    if (row?.master_key_id !== this.#live().masterKeyId) throw new RotatedUnderneath();
  }

  #dataKeyRow(c: SqlConnection, key: string): Promise<DataKeyRow | undefined> {
    return c.get<DataKeyRow>(
      'SELECT scope, id, master_key_id, iv, wrapped, tag FROM vault_data_keys WHERE scope = ?',
      [key],
    );
  }

  async #createDataKey(c: SqlConnection, key: string): Promise<DataKeyRow> {
    const s = this.#live();
    await this.#assertCurrentMaster(c);
    const raw = Buffer.from(s.random(KEY_LENGTH));
    const id = Buffer.from(s.random(12)).toString('hex');
    const wrapped = seal(s.masterKey, raw, dataKeyAad(key, id, s.masterKeyId), s.random);
    raw.fill(0);
    await c.run(
      'INSERT INTO vault_data_keys (scope, id, master_key_id, iv, wrapped, tag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [key, id, s.masterKeyId, wrapped.iv, wrapped.ciphertext, wrapped.tag, s.clock().toISOString()],
    );
    return {
      scope: key,
      id,
      master_key_id: s.masterKeyId,
      iv: wrapped.iv,
      wrapped: wrapped.ciphertext,
      tag: wrapped.tag,
    };
  }

  #unwrapRaw(row: DataKeyRow): Buffer {
    const s = this.#live();
    if (row.master_key_id !== s.masterKeyId) throw new RotatedUnderneath();
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

  #decrypt(row: SecretWithKeyRow): Buffer {
    if (
      row.key_id === null ||
      row.key_master_key_id === null ||
      row.key_iv === null ||
      row.key_wrapped === null ||
      row.key_tag === null
    ) {
      throw this.#secretIntegrityError(row);
    }
    const keyRow: DataKeyRow = {
      scope: row.scope,
      id: row.key_id,
      master_key_id: row.key_master_key_id,
      iv: row.key_iv,
      wrapped: row.key_wrapped,
      tag: row.key_tag,
    };
    return this.#withDataKey(keyRow, (dataKey) => this.#decryptWith(row, dataKey, keyRow.id));
  }

  #decryptWith(row: SecretRow, dataKey: Buffer, dataKeyId: string): Buffer {
    const plaintext = open(
      dataKey,
      sealedOf(row, row.ciphertext),
      secretAad(row.scope, row.server_id, row.name, Number(row.version), dataKeyId),
    );
    if (plaintext === undefined || row.data_key_id !== dataKeyId) throw this.#secretIntegrityError(row);
    return plaintext;
  }

  #secretIntegrityError(row: SecretRow): McpmuxError {
    return integrityError(`Secret "${row.name}" of server "${row.server_id}" in ${scopeLabel(row.scope)}`, {
      scope: row.scope,
      serverId: row.server_id,
      name: row.name,
    });
  }
}
