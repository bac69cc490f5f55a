import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ALIAS_MAX_LENGTH, McpmuxError, parseOrThrow, SlugSchema } from '@mcpmux/core';
import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { z } from 'zod';
import {
  type AuthorizationCodeInput,
  AuthorizationCodeInputSchema,
  type CodeExchangeInput,
  CodeExchangeInputSchema,
  type OAuthClient,
  type OAuthClientInput,
  OAuthClientInputSchema,
  type OAuthTokenSet,
} from '../oauth-types.js';
import type { DeleteSpaceOptions, SpaceStore } from '../space-store.js';
import {
  type AccessKeyInfo,
  type AuditEvent,
  type AuditEventInput,
  AuditEventInputSchema,
  type AuditFilter,
  AuditFilterSchema,
  type AuditRetention,
  AuditRetentionSchema,
  CHANGE_KINDS,
  type ChangeKind,
  type Client,
  type ClientInput,
  ClientInputSchema,
  type ClientPatch,
  ClientPatchSchema,
  type DiscoveredFeature,
  DiscoveredFeatureSchema,
  type DiscoveryDiff,
  type EffectiveServer,
  type Feature,
  type FeatureSet,
  type FeatureSetInput,
  FeatureSetInputSchema,
  type FeatureSetPatch,
  FeatureSetPatchSchema,
  type Grant,
  type Installation,
  type InstallationOverrides,
  type InstallationPatch,
  InstallationPatchSchema,
  type InstalledServer,
  type InstallOptions,
  InstallOptionsSchema,
  type InstallServerInput,
  InstallServerInputSchema,
  type ListDiscoveredOptions,
  ListDiscoveredOptionsSchema,
  type Member,
  type PolicyContext,
  type RotateKeyOptions,
  RotateKeyOptionsSchema,
  type ServerDefinition,
  type ServerDefinitionInput,
  ServerDefinitionInputSchema,
  type ServerDefinitionPatch,
  ServerDefinitionPatchSchema,
  type ServerInput,
  type ServerTransport,
  type Space,
  type SpaceInput,
  SpaceInputSchema,
  type SpacePatch,
  SpacePatchSchema,
  type StoreChange,
  type StoredFeature,
  type WatchOptions,
} from '../types.js';
import { refuseSecretInArgv } from './argv-secrets.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';
import { findCycle, MemberSchema } from './featureset-shapes.js';
import { ACCESS_TOKEN_PREFIX, type GrantOutcome, invalidGrant, OAuthRows } from './oauth.js';
import * as t from './schema.js';
import {
  applyOverridesPatch,
  configHash,
  defaultAlias,
  isReference,
  mergeTransport,
  opt,
  sha256Hex,
  stableStringify,
} from './util.js';

/** Options of `openSqliteSpaceStore`. */
export interface SqliteSpaceStoreOptions {
  /** The clock for every timestamp and for key expiry. Default `() => new Date()`. */
  clock?: () => Date;
  /** Random bytes for access keys. Default `crypto.randomBytes`. */
  random?: (n: number) => Uint8Array;
  /** How long a write waits for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Reuse the result of `loadPolicyContext` until the next change. Default true. */
  policyCache?: boolean;
}

type Db = BetterSQLite3Database<typeof t>;
type TxFn = ((fn: () => unknown) => unknown) & {
  immediate: (fn: () => unknown) => unknown;
  deferred: (fn: () => unknown) => unknown;
};

const KEY_PREFIX = 'mcpmux_';
const KEY_LENGTH = KEY_PREFIX.length + 43;
const LAST_USED_GRANULARITY_MS = 60_000;
const CHANGE_ROWS_KEPT = 2_000;
const MAX_WRITE_ATTEMPTS = 12;

const IdSchema = SlugSchema;
const SetIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(
    /^(all|default|server-all:[a-z0-9][a-z0-9-]*|[a-z0-9][a-z0-9-]*)$/,
    'use `all`, `default`, `server-all:<server>` or a slug',
  );
const BoolSchema = z.boolean();
const FeaturesSchema = z.array(DiscoveredFeatureSchema).max(100_000, 'at most 100000 features');
const AuditEventsSchema = z.array(AuditEventInputSchema);

type ParsedDefinition = z.infer<typeof ServerDefinitionInputSchema>;
type ParsedInstallOptions = z.infer<typeof InstallOptionsSchema>;
type ParsedFeature = z.infer<typeof DiscoveredFeatureSchema>;

interface EffectiveRow {
  id: string;
  name: string;
  transport: string;
  inputs: string;
  default_enabled: number;
  timeout_seconds: number | null;
  created_at: number;
  alias: string | null;
  prefix: number | null;
  overrides: string | null;
  installed_at: number | null;
}

interface SetRow {
  id: string;
  name: string;
  description: string | null;
  kind: FeatureSet['kind'];
  server_id: string | null;
  members: string;
}

/** Parsed sets and catalog rows of one Space, each valid while its change key stays the same. */
interface SpacePartsCache {
  setsKey: number | null;
  featureSets: FeatureSet[];
  featuresKey: number | null;
  features: Feature[];
}

interface CachedContext {
  stamp: string;
  value: PolicyContext | undefined;
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The SQLite implementation of {@link SpaceStore}, on drizzle-orm and better-sqlite3. Open it with
 * `openSqliteSpaceStore`. Every write runs in one `BEGIN IMMEDIATE` transaction (retried when another
 * process holds the lock) and appends a row to the `changes` table that watchers read.
 */
export class SqliteSpaceStore implements SpaceStore {
  /** The underlying better-sqlite3 connection (shared with the vault when it uses the same file). */
  readonly database: BetterSqlite3.Database;
  private readonly db: Db;
  private readonly ownsDatabase: boolean;
  private readonly clock: () => Date;
  private readonly random: (n: number) => Uint8Array;
  private readonly policyCacheEnabled: boolean;
  private readonly tx: TxFn;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly deletionHooks = new Set<(spaceId: string) => void>();
  private readonly listeners = new Map<(change: StoreChange) => void, number>();
  private readonly policyCache = new Map<string, CachedContext>();
  private readonly hashes = new Map<string, string>();
  private readonly spaceCache = new Map<string, SpacePartsCache>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private timerInterval = 0;
  private cursor = 0;
  private lastDataVersion = -1;
  private localRevision = 0;
  private changesInTx = 0;
  private writesSincePrune = 0;
  private closed = false;
  private readonly oauth: OAuthRows;

  /** @internal Use `openSqliteSpaceStore`. */
  constructor(
    database: BetterSqlite3.Database,
    ownsDatabase: boolean,
    options: SqliteSpaceStoreOptions = {},
  ) {
    this.database = database;
    this.ownsDatabase = ownsDatabase;
    this.db = drizzle(database, { schema: t });
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? ((n) => randomBytes(n));
    this.policyCacheEnabled = options.policyCache ?? true;
    this.tx = database.transaction((fn: () => unknown) => fn()) as unknown as TxFn;
    this.oauth = new OAuthRows(
      (source) => this.stmt(source),
      () => this.nowMs(),
      (n) => this.random(n),
      () => this.change('client'),
    );
  }

  /**
   * Registers a hook that runs synchronously INSIDE the `deleteSpace` transaction, on this
   * connection, after the store's checks and before its rows go. A hook that throws aborts the
   * deletion (nothing is removed). Returns a function that unregisters the hook.
   *
   * @example
   * ```ts
   * store.addSpaceDeletionHook((spaceId) => vault.deleteSpaceSync(spaceId));
   * ```
   */
  addSpaceDeletionHook(hook: (spaceId: string) => void): () => void {
    this.deletionHooks.add(hook);
    return () => {
      this.deletionHooks.delete(hook);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  private stmt(source: string): BetterSqlite3.Statement {
    let s = this.statements.get(source);
    if (s === undefined) {
      s = this.database.prepare(source);
      this.statements.set(source, s);
    }
    return s;
  }

  private nowMs(): number {
    return this.clock().getTime();
  }

  private assertOpen(): void {
    if (this.closed) throw new McpmuxError('INTERNAL', 'The space store is closed.');
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction, retrying while another process holds the lock. */
  private async write<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      this.changesInTx = 0;
      try {
        const result = this.tx.immediate(fn) as T;
        if (this.changesInTx > 0) {
          this.localRevision++;
          this.policyCache.clear();
          if (this.listeners.size > 0) this.pollChanges();
        }
        return result;
      } catch (e) {
        if (isBusy(e) && attempt < MAX_WRITE_ATTEMPTS) {
          await delay(Math.min(200, 10 * attempt) + Math.floor(Math.random() * 10));
          continue;
        }
        throw e;
      }
    }
  }

  /** Runs `fn` in one read snapshot, retrying on a transient lock. */
  private async read<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      try {
        return this.tx.deferred(fn) as T;
      } catch (e) {
        if (isBusy(e) && attempt < MAX_WRITE_ATTEMPTS) {
          await delay(10 * attempt);
          continue;
        }
        throw e;
      }
    }
  }

  /** Records a change inside the current write transaction. */
  private change(kind: ChangeKind, spaceId: string | null = null): void {
    this.stmt('INSERT INTO changes (kind, space_id, at) VALUES (?, ?, ?)').run(kind, spaceId, this.nowMs());
    this.changesInTx++;
    if (++this.writesSincePrune >= 256) {
      this.writesSincePrune = 0;
      this.stmt('DELETE FROM changes WHERE id <= (SELECT max(id) FROM changes) - ?').run(CHANGE_ROWS_KEPT);
    }
  }

  private currentRevision(): number {
    const row = this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as
      | { seq: number }
      | undefined;
    return row?.seq ?? 0;
  }

  private requireSpace(id: string): void {
    if (this.stmt('SELECT 1 FROM spaces WHERE id = ?').get(id) === undefined) throw notFound('space', id);
  }

  /** Throws CONFLICT when a server or client with this id exists already. */
  private refuseTakenId(entity: 'server' | 'client', id: string): void {
    if (this.stmt(`SELECT 1 FROM ${entity}s WHERE id = ?`).get(id) === undefined) return;
    const noun = entity === 'server' ? 'Server' : 'Client';
    throw conflict(
      `${noun} "${id}" already exists. Run \`mcpmux ${entity} show ${id}\` or choose another id.`,
      { entity, id },
    );
  }

  private findServer(id: string): typeof t.servers.$inferSelect | undefined {
    return this.db.select().from(t.servers).where(eq(t.servers.id, id)).get();
  }

  private requireServer(id: string): typeof t.servers.$inferSelect {
    const row = this.findServer(id);
    if (row === undefined) throw notFound('server', id);
    return row;
  }

  private findClient(id: string): Client | undefined {
    const row = this.db.select().from(t.clients).where(eq(t.clients.id, id)).get();
    return row === undefined ? undefined : this.toClient(row);
  }

  private requireClient(id: string): Client {
    const client = this.findClient(id);
    if (client === undefined) throw notFound('client', id);
    return client;
  }

  // ---------------------------------------------------------------------------------------------
  // Spaces

  private toSpace(row: typeof t.spaces.$inferSelect): Space {
    return {
      id: row.id,
      name: row.name,
      ...opt('icon', row.icon),
      ...opt('description', row.description),
      active: row.active,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  private readSpace(id: string): Space | undefined {
    const row = this.db.select().from(t.spaces).where(eq(t.spaces.id, id)).get();
    return row === undefined ? undefined : this.toSpace(row);
  }

  async createSpace(input: SpaceInput): Promise<Space> {
    const v = parseOrThrow(SpaceInputSchema, input, 'space');
    return this.write(() => {
      if (this.readSpace(v.id) !== undefined) {
        throw conflict(
          `Space "${v.id}" already exists. Choose another id or run \`mcpmux space show ${v.id}\`.`,
          {
            entity: 'space',
            id: v.id,
          },
        );
      }
      const now = new Date(this.nowMs());
      const hasActive = this.stmt('SELECT 1 FROM spaces WHERE active = 1').get() !== undefined;
      this.db
        .insert(t.spaces)
        .values({
          id: v.id,
          name: v.name ?? v.id,
          icon: v.icon ?? null,
          description: v.description ?? null,
          active: !hasActive,
          createdAt: now,
          updatedAt: now,
        })
        .run();
      for (const [id, kind, name, description] of [
        ['all', 'all', 'All', 'Every feature of every server available in this Space.'],
        ['default', 'default', 'Default', 'Granted to every client in this Space. Starts empty.'],
      ] as const) {
        this.db
          .insert(t.featureSets)
          .values({ spaceId: v.id, id, name, description, kind, members: [], createdAt: now, updatedAt: now })
          .run();
      }
      this.syncServerPresence();
      this.change('space', v.id);
      if (!hasActive) this.change('active-space', v.id);
      return this.readSpace(v.id)!;
    });
  }

  async getSpace(id: string): Promise<Space | undefined> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    return this.read(() => this.readSpace(sid));
  }

  async listSpaces(): Promise<Space[]> {
    return this.read(() =>
      this.db
        .select()
        .from(t.spaces)
        .orderBy(asc(t.spaces.id))
        .all()
        .map((r) => this.toSpace(r)),
    );
  }

  async getActiveSpace(): Promise<Space | undefined> {
    return this.read(() => {
      const row = this.db.select().from(t.spaces).where(eq(t.spaces.active, true)).get();
      return row === undefined ? undefined : this.toSpace(row);
    });
  }

  private activate(id: string): boolean {
    const current = this.stmt('SELECT id FROM spaces WHERE active = 1').get() as { id: string } | undefined;
    if (current?.id === id) return false;
    this.stmt('UPDATE spaces SET active = 0 WHERE active = 1').run();
    this.stmt('UPDATE spaces SET active = 1 WHERE id = ?').run(id);
    this.change('active-space', id);
    return true;
  }

  async setActiveSpace(id: string): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    await this.write(() => {
      this.requireSpace(sid);
      this.activate(sid);
    });
  }

  async updateSpace(id: string, patch: SpacePatch): Promise<Space> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    const p = parseOrThrow(SpacePatchSchema, patch, 'space');
    return this.write(() => {
      this.requireSpace(sid);
      this.db
        .update(t.spaces)
        .set({
          ...opt('name', p.name),
          ...opt('icon', p.icon),
          ...opt('description', p.description),
          updatedAt: new Date(this.nowMs()),
        })
        .where(eq(t.spaces.id, sid))
        .run();
      this.change('space', sid);
      return this.readSpace(sid)!;
    });
  }

  async deleteSpace(id: string, opts: DeleteSpaceOptions = {}): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    const next =
      opts.newActiveSpaceId === undefined
        ? undefined
        : parseOrThrow(IdSchema, opts.newActiveSpaceId, 'newActiveSpaceId');
    await this.write(() => {
      const space = this.readSpace(sid);
      if (space === undefined) throw notFound('space', sid);
      if (next !== undefined) {
        if (next === sid)
          throw invalid('newActiveSpaceId', `must name another Space than "${sid}", the one being deleted`);
        this.requireSpace(next);
      }
      if (space.active && next === undefined) {
        const others = this.stmt('SELECT count(*) AS n FROM spaces WHERE id != ?').get(sid) as { n: number };
        throw forbidden(
          others.n === 0
            ? `Space "${sid}" is the only Space and must stay active. Create another Space first (\`mcpmux space create ID\`).`
            : `Space "${sid}" is the active Space. Make another Space active first (\`mcpmux space use ID\`) or name the new active Space.`,
          { entity: 'space', id: sid },
        );
      }
      const pinned = this.stmt('SELECT id FROM clients WHERE pinned_space_id = ? ORDER BY id').all(sid) as {
        id: string;
      }[];
      if (pinned.length > 0) {
        const ids = pinned.map((p) => p.id);
        throw conflict(
          `Space "${sid}" has clients pinned to it: ${ids.join(', ')}. Re-pin them first (\`mcpmux client mode ${ids[0]} follow-active\`).`,
          { entity: 'space', id: sid, clients: ids },
        );
      }
      for (const hook of this.deletionHooks) hook(sid);
      this.stmt('DELETE FROM audit_events WHERE space_id = ?').run(sid);
      this.stmt('DELETE FROM grants WHERE space_id = ?').run(sid);
      this.stmt('DELETE FROM discovered_features WHERE space_id = ?').run(sid);
      this.stmt('DELETE FROM feature_sets WHERE space_id = ?').run(sid);
      this.stmt('DELETE FROM installations WHERE space_id = ?').run(sid);
      this.stmt('DELETE FROM spaces WHERE id = ?').run(sid);
      this.change('space', sid);
      if (next !== undefined) this.activate(next);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Server definitions

  private toServer(row: typeof t.servers.$inferSelect): ServerDefinition {
    return {
      id: row.id,
      name: row.name,
      ...opt('description', row.description),
      transport: row.transport,
      inputs: row.inputs,
      defaultEnabled: row.defaultEnabled,
      ...opt('timeoutSeconds', row.timeoutSeconds),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Refuses literal values for declared secret inputs: they belong in the vault. */
  private checkSecretInputs(
    inputs: ServerInput[],
    maps: { field: string; values: Record<string, string> | undefined }[],
  ): void {
    for (const input of inputs) {
      if (!input.secret) continue;
      for (const { field, values } of maps) {
        const value = values?.[input.name];
        if (value !== undefined && !isReference(value)) {
          throw invalid(
            `${field}.${input.name}`,
            `"${input.name}" is a secret input: store it with \`mcpmux secret set\` and reference it as \${secret:${input.name}}`,
          );
        }
      }
    }
  }

  private transportMaps(prefix: string, transport: ServerTransport) {
    return transport.type === 'stdio'
      ? [{ field: `${prefix}.env`, values: transport.env }]
      : [{ field: `${prefix}.headers`, values: transport.headers }];
  }

  /** Refuses to make `serverId` default-enabled where its default alias is taken by another server. */
  private checkDefaultAlias(serverId: string): void {
    const alias = defaultAlias(serverId);
    // Two default-enabled servers with one default alias would clash in every future Space.
    const twin = this.stmt(
      `SELECT id FROM servers WHERE default_enabled = 1 AND id != ? AND substr(id, 1, ${ALIAS_MAX_LENGTH}) = ?`,
    )
      .pluck()
      .get(serverId, alias) as string | undefined;
    if (twin !== undefined) {
      throw conflict(
        `Default-enabled server "${twin}" already uses the alias "${alias}" in every Space. Choose a server id that differs in its first ${ALIAS_MAX_LENGTH} characters.`,
        { entity: 'server', alias, serverId: twin },
      );
    }
    const clash = this.stmt(
      `SELECT i.space_id AS spaceId, i.server_id AS serverId FROM installations i
       WHERE i.alias = ? AND i.server_id != ?
         AND NOT EXISTS (SELECT 1 FROM installations j WHERE j.space_id = i.space_id AND j.server_id = ?)
       UNION ALL
       SELECT sp.id AS spaceId, s.id AS serverId FROM spaces sp, servers s
       WHERE s.default_enabled = 1 AND s.id != ? AND substr(s.id, 1, ${ALIAS_MAX_LENGTH}) = ?
         AND NOT EXISTS (SELECT 1 FROM installations j WHERE j.space_id = sp.id AND j.server_id = s.id)
         AND NOT EXISTS (SELECT 1 FROM installations j WHERE j.space_id = sp.id AND j.server_id = ?)
       LIMIT 1`,
    ).get(alias, serverId, serverId, serverId, alias, serverId) as
      | { spaceId: string; serverId: string }
      | undefined;
    if (clash !== undefined) {
      throw conflict(
        `Alias "${alias}" of default-enabled server "${serverId}" is already used by server "${clash.serverId}" in Space "${clash.spaceId}". Give that installation another alias (\`--alias\`) first.`,
        { entity: 'installation', alias, serverId: clash.serverId, spaceId: clash.spaceId },
      );
    }
  }

  async createServer(def: ServerDefinitionInput): Promise<ServerDefinition> {
    const v = this.parseDefinition(def, 'server');
    return this.write(() => this.insertServer(v));
  }

  /** Parses a new definition and applies the rules that need no database. */
  private parseDefinition(def: ServerDefinitionInput, field: string): ParsedDefinition {
    const v = parseOrThrow(ServerDefinitionInputSchema, def, field);
    this.checkSecretInputs(v.inputs, this.transportMaps(`${field}.transport`, v.transport));
    if (v.transport.type === 'stdio') refuseSecretInArgv(`${field}.transport`, v.transport);
    return v;
  }

  /** Inserts a parsed definition; runs inside a write transaction. */
  private insertServer(v: ParsedDefinition): ServerDefinition {
    this.refuseTakenId('server', v.id);
    if (v.defaultEnabled) this.checkDefaultAlias(v.id);
    const now = new Date(this.nowMs());
    this.db
      .insert(t.servers)
      .values({
        id: v.id,
        name: v.name ?? v.id,
        description: v.description ?? null,
        transport: v.transport,
        inputs: v.inputs,
        defaultEnabled: v.defaultEnabled,
        timeoutSeconds: v.timeoutSeconds ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .run();
    this.change('server');
    if (v.defaultEnabled) this.syncServerPresence();
    return this.toServer(this.requireServer(v.id));
  }

  async getServer(id: string): Promise<ServerDefinition | undefined> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    return this.read(() => {
      const row = this.findServer(sid);
      return row === undefined ? undefined : this.toServer(row);
    });
  }

  async listServers(): Promise<ServerDefinition[]> {
    return this.read(() =>
      this.db
        .select()
        .from(t.servers)
        .orderBy(asc(t.servers.id))
        .all()
        .map((r) => this.toServer(r)),
    );
  }

  async updateServer(id: string, patch: ServerDefinitionPatch): Promise<ServerDefinition> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    const p = parseOrThrow(ServerDefinitionPatchSchema, patch, 'server');
    return this.write(() => {
      const current = this.requireServer(sid);
      const transport = p.transport ?? current.transport;
      const inputs = p.inputs ?? current.inputs;
      this.checkSecretInputs(inputs, this.transportMaps('server.transport', transport));
      if (p.transport?.type === 'stdio') refuseSecretInArgv('server.transport', p.transport);
      if (p.defaultEnabled === true && !current.defaultEnabled) this.checkDefaultAlias(sid);
      this.db
        .update(t.servers)
        .set({
          ...opt('name', p.name),
          ...opt('description', p.description),
          ...opt('transport', p.transport),
          ...opt('inputs', p.inputs),
          ...opt('defaultEnabled', p.defaultEnabled),
          ...opt('timeoutSeconds', p.timeoutSeconds),
          updatedAt: new Date(this.nowMs()),
        })
        .where(eq(t.servers.id, sid))
        .run();
      this.change('server');
      if (p.defaultEnabled !== undefined && p.defaultEnabled !== current.defaultEnabled)
        this.syncServerPresence();
      return this.toServer(this.requireServer(sid));
    });
  }

  async deleteServer(id: string): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    await this.write(() => {
      this.requireServer(sid);
      this.stmt('DELETE FROM servers WHERE id = ?').run(sid);
      this.change('server');
      this.change('installation');
      this.change('featureset');
      this.change('discovered');
    });
  }

  /**
   * Brings `server-all` sets and cached features in line with which servers are present in each
   * Space (installed, or default-enabled). Records the changes it makes.
   */
  private syncServerPresence(): void {
    const present = `SELECT space_id, server_id FROM installations
      UNION SELECT sp.id, s.id FROM spaces sp, servers s WHERE s.default_enabled = 1`;
    const now = this.nowMs();
    const added = this.stmt(
      `INSERT INTO feature_sets (space_id, id, name, description, kind, server_id, members, created_at, updated_at)
       SELECT p.space_id, 'server-all:' || p.server_id, s.name || ' (all)',
              'Every feature of server ' || p.server_id || '.', 'server-all', p.server_id, '[]', ?, ?
       FROM (${present}) p JOIN servers s ON s.id = p.server_id
       WHERE NOT EXISTS (SELECT 1 FROM feature_sets f WHERE f.space_id = p.space_id AND f.id = 'server-all:' || p.server_id)
       RETURNING space_id`,
    ).all(now, now) as { space_id: string }[];
    const removed = this.stmt(
      `DELETE FROM feature_sets WHERE kind = 'server-all'
       AND NOT EXISTS (SELECT 1 FROM installations i WHERE i.space_id = feature_sets.space_id AND i.server_id = feature_sets.server_id)
       AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = feature_sets.server_id AND s.default_enabled = 1)
       RETURNING space_id`,
    ).all() as { space_id: string }[];
    const dropped = this.stmt(
      `DELETE FROM discovered_features
       WHERE NOT EXISTS (SELECT 1 FROM installations i WHERE i.space_id = discovered_features.space_id AND i.server_id = discovered_features.server_id)
       AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = discovered_features.server_id AND s.default_enabled = 1)
       RETURNING space_id`,
    ).all() as { space_id: string }[];
    const spacesOf = (rows: { space_id: string }[]) => [...new Set(rows.map((r) => r.space_id))];
    for (const s of spacesOf([...added, ...removed])) this.change('featureset', s);
    for (const s of spacesOf(dropped)) this.change('discovered', s);
  }

  // ---------------------------------------------------------------------------------------------
  // Installations

  private toInstallation(row: typeof t.installations.$inferSelect): Installation {
    return {
      spaceId: row.spaceId,
      serverId: row.serverId,
      alias: row.alias,
      prefix: row.prefix,
      enabled: row.enabled,
      overrides: row.overrides,
      installedAt: row.installedAt,
    };
  }

  /** The server (other than `serverId`) that holds `alias` in the Space, if any. */
  private aliasOwner(spaceId: string, alias: string, serverId: string): string | undefined {
    const row = this.stmt(
      `SELECT server_id AS id FROM installations WHERE space_id = ? AND alias = ? AND server_id != ?
       UNION ALL
       SELECT s.id FROM servers s WHERE s.default_enabled = 1 AND s.id != ? AND substr(s.id, 1, ${ALIAS_MAX_LENGTH}) = ?
         AND NOT EXISTS (SELECT 1 FROM installations i WHERE i.space_id = ? AND i.server_id = s.id)
       LIMIT 1`,
    ).get(spaceId, alias, serverId, serverId, alias, spaceId) as { id: string } | undefined;
    return row?.id;
  }

  private checkOverrides(server: typeof t.servers.$inferSelect, overrides: InstallationOverrides): void {
    const stdio = server.transport.type === 'stdio';
    if (stdio && overrides.headers !== undefined) {
      throw invalid('overrides.headers', `server "${server.id}" runs over stdio; use env overrides instead`);
    }
    if (!stdio && (overrides.env !== undefined || overrides.args !== undefined)) {
      const field = overrides.env !== undefined ? 'overrides.env' : 'overrides.args';
      throw invalid(
        field,
        `server "${server.id}" is reached over ${server.transport.type}; use header overrides instead`,
      );
    }
    this.checkSecretInputs(server.inputs, [
      { field: 'overrides.env', values: overrides.env },
      { field: 'overrides.headers', values: overrides.headers },
    ]);
    refuseSecretInArgv('overrides', { args: overrides.args });
  }

  async install(spaceId: string, serverId: string, opts: InstallOptions = {}): Promise<Installation> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const o = parseOrThrow(InstallOptionsSchema, opts, 'install');
    return this.write(() => this.insertInstallation(sp, sv, o));
  }

  async installServer(input: InstallServerInput): Promise<InstalledServer> {
    const v = parseOrThrow(InstallServerInputSchema, input, 'install');
    const definition = this.parseDefinition(input.definition, 'install.definition');
    const features =
      v.discovered === undefined
        ? undefined
        : this.discoveredFor(definition.id, v.discovered, 'install.discovered');
    return this.write(() => {
      this.requireSpace(v.spaceId);
      const server = this.insertServer(definition);
      const installation = this.insertInstallation(v.spaceId, definition.id, v.installation ?? {});
      if (features !== undefined) this.writeDiscovered(v.spaceId, definition.id, features);
      return { server, installation };
    });
  }

  /** Inserts an installation; runs inside a write transaction. */
  private insertInstallation(sp: string, sv: string, o: ParsedInstallOptions): Installation {
    this.requireSpace(sp);
    const server = this.requireServer(sv);
    const existing = this.db
      .select()
      .from(t.installations)
      .where(and(eq(t.installations.spaceId, sp), eq(t.installations.serverId, sv)))
      .get();
    if (existing !== undefined) {
      throw conflict(
        `Server "${sv}" is already installed in Space "${sp}". Run \`mcpmux server show ${sv} --space ${sp}\`, or remove it first.`,
        { entity: 'installation', id: sv, spaceId: sp },
      );
    }
    const overrides = o.overrides ?? {};
    this.checkOverrides(server, overrides);
    const alias = o.alias ?? defaultAlias(sv);
    const owner = this.aliasOwner(sp, alias, sv);
    if (owner !== undefined) {
      throw conflict(
        `Alias "${alias}" is already used by server "${owner}" in Space "${sp}". Choose another with \`--alias\`.`,
        { entity: 'installation', alias, serverId: owner, spaceId: sp, field: 'alias' },
      );
    }
    this.db
      .insert(t.installations)
      .values({
        spaceId: sp,
        serverId: sv,
        alias,
        prefix: o.prefix ?? true,
        enabled: o.enabled ?? true,
        overrides,
        installedAt: new Date(this.nowMs()),
      })
      .run();
    this.change('installation', sp);
    this.syncServerPresence();
    return this.toInstallation(
      this.db
        .select()
        .from(t.installations)
        .where(and(eq(t.installations.spaceId, sp), eq(t.installations.serverId, sv)))
        .get()!,
    );
  }

  async uninstall(spaceId: string, serverId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    await this.write(() => {
      this.requireSpace(sp);
      const r = this.stmt('DELETE FROM installations WHERE space_id = ? AND server_id = ?').run(sp, sv);
      if (r.changes === 0) throw notFound('installation', sv, sp);
      this.change('installation', sp);
      this.syncServerPresence();
    });
  }

  async setEnabled(spaceId: string, serverId: string, enabled: boolean): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const on = parseOrThrow(BoolSchema, enabled, 'enabled');
    await this.write(() => {
      this.requireSpace(sp);
      const server = this.requireServer(sv);
      const r = this.stmt(
        'UPDATE installations SET enabled = ? WHERE space_id = ? AND server_id = ? AND enabled != ?',
      ).run(on ? 1 : 0, sp, sv, on ? 1 : 0);
      if (r.changes > 0) {
        this.change('installation', sp);
        return;
      }
      const exists = this.stmt('SELECT 1 FROM installations WHERE space_id = ? AND server_id = ?').get(
        sp,
        sv,
      );
      if (exists !== undefined) return;
      if (!server.defaultEnabled) throw notFound('installation', sv, sp);
      if (on) return;
      const alias = defaultAlias(sv);
      this.db
        .insert(t.installations)
        .values({
          spaceId: sp,
          serverId: sv,
          alias,
          prefix: true,
          enabled: false,
          overrides: {},
          installedAt: server.createdAt,
        })
        .run();
      this.change('installation', sp);
    });
  }

  async updateInstallation(
    spaceId: string,
    serverId: string,
    patch: InstallationPatch,
  ): Promise<Installation> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const p = parseOrThrow(InstallationPatchSchema, patch, 'patch');
    return this.write(() => {
      this.requireSpace(sp);
      const server = this.requireServer(sv);
      const row = this.db
        .select()
        .from(t.installations)
        .where(and(eq(t.installations.spaceId, sp), eq(t.installations.serverId, sv)))
        .get();
      if (row === undefined && !server.defaultEnabled) throw notFound('installation', sv, sp);
      // A default-enabled server without a local row runs as defined: a row records the overrides.
      const current: Installation = row
        ? this.toInstallation(row)
        : {
            spaceId: sp,
            serverId: sv,
            alias: defaultAlias(sv),
            prefix: true,
            enabled: true,
            overrides: {},
            installedAt: server.createdAt,
          };
      const overrides =
        p.overrides === undefined ? current.overrides : applyOverridesPatch(current.overrides, p.overrides);
      this.checkOverrides(server, overrides);
      if (stableStringify(overrides) === stableStringify(current.overrides)) return current;
      if (row === undefined) {
        this.db
          .insert(t.installations)
          .values({ ...current, overrides })
          .run();
      } else {
        this.db
          .update(t.installations)
          .set({ overrides })
          .where(and(eq(t.installations.spaceId, sp), eq(t.installations.serverId, sv)))
          .run();
      }
      this.change('installation', sp);
      return { ...current, overrides };
    });
  }

  async listInstallations(spaceId: string): Promise<Installation[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(() => {
      this.requireSpace(sp);
      return this.db
        .select()
        .from(t.installations)
        .where(eq(t.installations.spaceId, sp))
        .orderBy(asc(t.installations.installedAt), asc(t.installations.serverId))
        .all()
        .map((r) => this.toInstallation(r));
    });
  }

  /** Config hashes by their stored inputs (hashing is the costly part of `effectiveServers`). */
  private memoHash(key: string, compute: () => string): string {
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      if (this.hashes.size >= 4096) this.hashes.clear();
      hash = compute();
      this.hashes.set(key, hash);
    }
    return hash;
  }

  private readEffective(spaceId: string): EffectiveServer[] {
    const rows = this.stmt(
      `SELECT s.id, s.name, s.transport, s.inputs, s.default_enabled, s.timeout_seconds, s.created_at,
              i.alias, i.prefix, i.overrides, i.installed_at
       FROM servers s LEFT JOIN installations i ON i.server_id = s.id AND i.space_id = ?
       WHERE (i.space_id IS NOT NULL AND i.enabled = 1) OR (i.space_id IS NULL AND s.default_enabled = 1)
       ORDER BY coalesce(i.installed_at, s.created_at), s.id`,
    ).all(spaceId) as EffectiveRow[];
    return rows.map((r) => {
      const overrides = r.overrides === null ? {} : (JSON.parse(r.overrides) as InstallationOverrides);
      const transport = mergeTransport(JSON.parse(r.transport) as ServerTransport, overrides);
      const timeoutSeconds = overrides.timeoutSeconds ?? r.timeout_seconds ?? undefined;
      return {
        serverId: r.id,
        name: r.name,
        alias: r.alias ?? defaultAlias(r.id),
        prefix: r.prefix === null ? true : r.prefix === 1,
        defaultEnabled: r.default_enabled === 1,
        installedAt: new Date(r.installed_at ?? r.created_at),
        transport,
        inputs: JSON.parse(r.inputs) as ServerInput[],
        ...opt('timeoutSeconds', timeoutSeconds),
        definitionHash: this.memoHash(
          `${r.transport}\0${r.overrides ?? ''}\0${r.timeout_seconds ?? ''}`,
          () => configHash(transport, timeoutSeconds),
        ),
      };
    });
  }

  async effectiveServers(spaceId: string): Promise<EffectiveServer[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(() => {
      this.requireSpace(sp);
      return this.readEffective(sp);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // FeatureSets

  private toSet(row: SetRow): FeatureSet {
    return {
      id: row.id,
      name: row.name,
      ...opt('description', row.description),
      kind: row.kind,
      ...opt('server', row.server_id),
      members: JSON.parse(row.members) as Member[],
    };
  }

  private readSets(spaceId: string): FeatureSet[] {
    const rows = this.stmt(
      'SELECT id, name, description, kind, server_id, members FROM feature_sets WHERE space_id = ? ORDER BY id',
    ).all(spaceId) as SetRow[];
    return rows.map((r) => this.toSet(r));
  }

  private readSet(spaceId: string, setId: string): FeatureSet | undefined {
    const row = this.stmt(
      'SELECT id, name, description, kind, server_id, members FROM feature_sets WHERE space_id = ? AND id = ?',
    ).get(spaceId, setId) as SetRow | undefined;
    return row === undefined ? undefined : this.toSet(row);
  }

  /**
   * Checks the `featureSet` members that `members` adds to set `setId` of a Space: each must name a
   * set of this Space, and none may close a cycle. Members already stored are not re-checked.
   */
  private checkMembers(spaceId: string, setId: string, members: Member[], previous: Member[]): void {
    const before = new Set(previous.map((m) => stableStringify(m)));
    const sets = new Map(this.readSets(spaceId).map((s) => [s.id, s]));
    members.forEach((m, i) => {
      if (m.selector.type !== 'featureSet' || before.has(stableStringify(m))) return;
      const target = m.selector.id;
      if (target === setId || sets.has(target)) return;
      const elsewhere = this.stmt(
        'SELECT space_id AS s FROM feature_sets WHERE id = ? AND space_id != ? LIMIT 1',
      ).get(target, spaceId) as { s: string } | undefined;
      if (elsewhere !== undefined) {
        throw invalid(
          `members.${i}.selector.id`,
          `set "${target}" belongs to Space "${elsewhere.s}", not "${spaceId}"; a member may only name sets of its own Space`,
        );
      }
      throw new McpmuxError(
        'NOT_FOUND',
        `members.${i}.selector.id: FeatureSet "${target}" does not exist in Space "${spaceId}". Run \`mcpmux featureset list --space ${spaceId}\` to see the sets.`,
        { data: { entity: 'featureset', id: target, spaceId, field: `members.${i}.selector.id` } },
      );
    });
    const proposed = [...sets.values()].map((s) => (s.id === setId ? { ...s, members } : s));
    if (!sets.has(setId)) proposed.push({ id: setId, name: setId, kind: 'custom', members });
    const found = findCycle(proposed);
    // Every new cycle passes through the edited set (the stored graph is acyclic): start the path there.
    const cycle = found === undefined ? undefined : rotateCycle(found, setId);
    if (cycle !== undefined) {
      throw conflict(
        `FeatureSet "${setId}" would form a cycle: ${cycle.join(' -> ')}. Remove one of these set members.`,
        { entity: 'featureset', id: setId, spaceId, path: cycle },
      );
    }
  }

  async listFeatureSets(spaceId: string): Promise<FeatureSet[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(() => {
      this.requireSpace(sp);
      return this.readSets(sp);
    });
  }

  async getFeatureSet(spaceId: string, setId: string): Promise<FeatureSet | undefined> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    return this.read(() => this.readSet(sp, id));
  }

  async createFeatureSet(spaceId: string, input: FeatureSetInput): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const v = parseOrThrow(FeatureSetInputSchema, input, 'featureset');
    return this.write(() => {
      this.requireSpace(sp);
      if (this.readSet(sp, v.id) !== undefined) {
        throw conflict(`FeatureSet "${v.id}" already exists in Space "${sp}". Choose another id.`, {
          entity: 'featureset',
          id: v.id,
          spaceId: sp,
        });
      }
      const members = dedupeMembers(v.members);
      this.checkMembers(sp, v.id, members, []);
      const now = new Date(this.nowMs());
      this.db
        .insert(t.featureSets)
        .values({
          spaceId: sp,
          id: v.id,
          name: v.name ?? v.id,
          description: v.description ?? null,
          kind: 'custom',
          members,
          createdAt: now,
          updatedAt: now,
        })
        .run();
      this.change('featureset', sp);
      return this.readSet(sp, v.id)!;
    });
  }

  /** Loads an editable set or throws NOT_FOUND / FORBIDDEN. */
  private editableSet(spaceId: string, setId: string): FeatureSet {
    this.requireSpace(spaceId);
    const set = this.readSet(spaceId, setId);
    if (set === undefined) throw notFound('featureset', setId, spaceId);
    if (set.kind === 'all' || set.kind === 'server-all') {
      throw forbidden(
        `FeatureSet "${setId}" is built in and cannot be edited. Create a custom set (\`mcpmux featureset create ID\`) that includes it instead.`,
        { entity: 'featureset', id: setId, spaceId },
      );
    }
    return set;
  }

  private storeSet(
    spaceId: string,
    set: FeatureSet,
    patch: { name?: string; description?: string; members: Member[] },
  ) {
    this.db
      .update(t.featureSets)
      .set({
        ...opt('name', patch.name),
        ...opt('description', patch.description),
        members: patch.members,
        updatedAt: new Date(this.nowMs()),
      })
      .where(and(eq(t.featureSets.spaceId, spaceId), eq(t.featureSets.id, set.id)))
      .run();
    this.change('featureset', spaceId);
    return this.readSet(spaceId, set.id)!;
  }

  async updateFeatureSet(spaceId: string, setId: string, patch: FeatureSetPatch): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    const p = parseOrThrow(FeatureSetPatchSchema, patch, 'featureset');
    return this.write(() => {
      const set = this.editableSet(sp, id);
      const members = p.members === undefined ? set.members : dedupeMembers(p.members);
      this.checkMembers(sp, id, members, set.members);
      return this.storeSet(sp, set, {
        ...opt('name', p.name),
        ...opt('description', p.description),
        members,
      });
    });
  }

  async addMember(spaceId: string, setId: string, member: Member): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    const m = parseOrThrow(MemberSchema, member, 'member');
    return this.write(() => {
      const set = this.editableSet(sp, id);
      const key = stableStringify(m);
      if (set.members.some((x) => stableStringify(x) === key)) return set;
      const members = [...set.members, m];
      this.checkMembers(sp, id, members, set.members);
      return this.storeSet(sp, set, { members });
    });
  }

  async removeMember(spaceId: string, setId: string, member: Member): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    const m = parseOrThrow(MemberSchema, member, 'member');
    return this.write(() => {
      const set = this.editableSet(sp, id);
      const key = stableStringify(m);
      const members = set.members.filter((x) => stableStringify(x) !== key);
      if (members.length === set.members.length) return set;
      return this.storeSet(sp, set, { members });
    });
  }

  async deleteFeatureSet(spaceId: string, setId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(() => {
      this.requireSpace(sp);
      const set = this.readSet(sp, id);
      if (set === undefined) throw notFound('featureset', id, sp);
      if (set.kind !== 'custom') {
        throw forbidden(`FeatureSet "${id}" is built in and cannot be deleted.`, {
          entity: 'featureset',
          id,
          spaceId: sp,
        });
      }
      const users = this.readSets(sp)
        .filter(
          (s) =>
            s.id !== id && s.members.some((m) => m.selector.type === 'featureSet' && m.selector.id === id),
        )
        .map((s) => s.id);
      if (users.length > 0) {
        throw conflict(
          `FeatureSet "${id}" is a member of ${users.map((u) => `"${u}"`).join(', ')}. Remove it from them first (\`mcpmux featureset remove ${users[0]} set:${id}\`).`,
          { entity: 'featureset', id, spaceId: sp, usedBy: users },
        );
      }
      this.stmt('DELETE FROM feature_sets WHERE space_id = ? AND id = ?').run(sp, id);
      this.change('featureset', sp);
      this.change('grant', sp);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Clients and access keys

  private toClient(row: typeof t.clients.$inferSelect): Client {
    return {
      id: row.id,
      name: row.name,
      mode: row.mode,
      ...opt('pinnedSpaceId', row.pinnedSpaceId),
      lean: row.lean,
      pinnedTools: JSON.parse(row.pinnedTools) as string[],
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Creates a key row and returns the key (shown once). */
  private issueKey(clientId: string, expiresAt: Date | undefined): string {
    const bytes = this.random(32);
    if (bytes.length !== 32)
      throw new McpmuxError('INTERNAL', 'The random source returned the wrong number of bytes.');
    const key = `${KEY_PREFIX}${Buffer.from(bytes).toString('base64url')}`;
    this.db
      .insert(t.accessKeys)
      .values({
        clientId,
        hash: sha256Hex(key),
        prefix: key.slice(0, 12),
        createdAt: new Date(this.nowMs()),
        expiresAt: expiresAt ?? null,
      })
      .run();
    return key;
  }

  async createClient(input: ClientInput): Promise<{ client: Client; accessKey: string }> {
    const v = parseOrThrow(ClientInputSchema, input, 'client');
    const mode = v.mode ?? (v.pinnedSpaceId === undefined ? 'follow-active' : 'pinned');
    if (mode === 'pinned' && v.pinnedSpaceId === undefined) {
      throw invalid('client.pinnedSpaceId', 'a pinned client needs the Space to pin (`--pinned SPACE`)');
    }
    if (mode === 'follow-active' && v.pinnedSpaceId !== undefined) {
      throw invalid(
        'client.pinnedSpaceId',
        'only a pinned client has a pinned Space; drop it or use mode "pinned"',
      );
    }
    return this.write(() => {
      this.refuseTakenId('client', v.id);
      if (v.pinnedSpaceId !== undefined) this.requireSpace(v.pinnedSpaceId);
      const now = new Date(this.nowMs());
      this.db
        .insert(t.clients)
        .values({
          id: v.id,
          name: v.name ?? v.id,
          mode,
          pinnedSpaceId: v.pinnedSpaceId ?? null,
          lean: v.lean ?? false,
          pinnedTools: JSON.stringify([...new Set(v.pinnedTools ?? [])]),
          createdAt: now,
          updatedAt: now,
        })
        .run();
      const accessKey = this.issueKey(v.id, v.keyExpiresAt);
      this.change('client');
      return { client: this.requireClient(v.id), accessKey };
    });
  }

  async getClient(id: string): Promise<Client | undefined> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    return this.read(() => this.findClient(cid));
  }

  async listClients(): Promise<Client[]> {
    return this.read(() =>
      this.db
        .select()
        .from(t.clients)
        .orderBy(asc(t.clients.id))
        .all()
        .map((r) => this.toClient(r)),
    );
  }

  async updateClient(id: string, patch: ClientPatch): Promise<Client> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    const p = parseOrThrow(ClientPatchSchema, patch, 'client');
    return this.write(() => {
      const current = this.requireClient(cid);
      const mode = p.mode ?? (p.pinnedSpaceId !== undefined ? 'pinned' : current.mode);
      let pinned: string | null = null;
      if (mode === 'pinned') {
        pinned = p.pinnedSpaceId ?? current.pinnedSpaceId ?? null;
        if (pinned === null) throw invalid('client.pinnedSpaceId', 'a pinned client needs the Space to pin');
        this.requireSpace(pinned);
      } else if (p.pinnedSpaceId !== undefined) {
        throw invalid('client.pinnedSpaceId', 'only a pinned client has a pinned Space; use mode "pinned"');
      }
      this.db
        .update(t.clients)
        .set({
          ...opt('name', p.name),
          ...opt('lean', p.lean),
          ...(p.pinnedTools === undefined
            ? {}
            : { pinnedTools: JSON.stringify([...new Set(p.pinnedTools)]) }),
          mode,
          pinnedSpaceId: pinned,
          updatedAt: new Date(this.nowMs()),
        })
        .where(eq(t.clients.id, cid))
        .run();
      this.change('client');
      return this.requireClient(cid);
    });
  }

  async deleteClient(id: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    await this.write(() => {
      this.requireClient(cid);
      this.stmt('DELETE FROM clients WHERE id = ?').run(cid);
      this.change('client');
      this.change('grant');
    });
  }

  async listAccessKeys(clientId: string): Promise<AccessKeyInfo[]> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    return this.read(() => {
      this.requireClient(cid);
      return this.db
        .select()
        .from(t.accessKeys)
        .where(eq(t.accessKeys.clientId, cid))
        .orderBy(desc(t.accessKeys.id))
        .all()
        .map((r) => ({
          clientId: r.clientId,
          prefix: r.prefix,
          createdAt: r.createdAt,
          ...opt('lastUsedAt', r.lastUsedAt),
          ...opt('revokedAt', r.revokedAt),
          ...opt('expiresAt', r.expiresAt),
        }));
    });
  }

  private revokeAll(clientId: string): void {
    this.stmt('UPDATE access_keys SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(
      this.nowMs(),
      clientId,
    );
  }

  async rotateAccessKey(clientId: string, opts: RotateKeyOptions = {}): Promise<string> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const o = parseOrThrow(RotateKeyOptionsSchema, opts, 'rotate');
    return this.write(() => {
      this.requireClient(cid);
      this.revokeAll(cid);
      const key = this.issueKey(cid, o.expiresAt);
      this.change('client');
      return key;
    });
  }

  async revokeAccessKeys(clientId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    await this.write(() => {
      this.requireClient(cid);
      this.revokeAll(cid);
      this.oauth.revokeForClient(cid);
      this.change('client');
    });
  }

  async authenticate(accessKey: string): Promise<Client | undefined> {
    if (typeof accessKey === 'string' && accessKey.startsWith(ACCESS_TOKEN_PREFIX)) {
      return this.read(() => {
        const clientId = this.oauth.accessTokenClient(accessKey);
        return clientId === undefined ? undefined : this.findClient(clientId);
      });
    }
    if (
      typeof accessKey !== 'string' ||
      accessKey.length !== KEY_LENGTH ||
      !accessKey.startsWith(KEY_PREFIX)
    ) {
      return undefined;
    }
    const hash = sha256Hex(accessKey);
    const now = this.nowMs();
    const found = await this.read(() => {
      const row = this.stmt(
        'SELECT id, client_id, hash, revoked_at, expires_at, last_used_at FROM access_keys WHERE hash = ?',
      ).get(hash) as
        | {
            id: number;
            client_id: string;
            hash: string;
            revoked_at: number | null;
            expires_at: number | null;
            last_used_at: number | null;
          }
        | undefined;
      if (row === undefined) return undefined;
      if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
      if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
      const client = this.findClient(row.client_id);
      return client === undefined ? undefined : { row, client };
    });
    if (found === undefined) return undefined;
    if (found.row.last_used_at === null || now - found.row.last_used_at >= LAST_USED_GRANULARITY_MS) {
      try {
        this.stmt('UPDATE access_keys SET last_used_at = ? WHERE id = ?').run(now, found.row.id);
      } catch (e) {
        // Recording last use is best effort: a busy database must not fail authentication.
        if (!isBusy(e)) throw e;
      }
    }
    return found.client;
  }

  // ---------------------------------------------------------------------------------------------
  // OAuth (DESIGN §11)

  async registerOAuthClient(input: OAuthClientInput): Promise<OAuthClient> {
    const v = parseOrThrow(OAuthClientInputSchema, input, 'oauth client');
    return this.write(() => this.oauth.register(v.kind, v.id, v.name, v.redirectUris));
  }

  async getOAuthClient(id: string): Promise<OAuthClient | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 2000) return undefined;
    return this.read(() => this.oauth.findClient(id));
  }

  async createAuthorizationCode(input: AuthorizationCodeInput): Promise<string> {
    const v = parseOrThrow(AuthorizationCodeInputSchema, input, 'authorization');
    return this.write(() => {
      const app = this.oauth.findClient(v.oauthClientId);
      if (app === undefined) {
        throw new McpmuxError(
          'NOT_FOUND',
          `OAuth client "${v.oauthClientId}" is not registered. Start the sign-in again from the app.`,
          {
            data: { entity: 'oauth-client', id: v.oauthClientId },
          },
        );
      }
      if (!app.redirectUris.includes(v.redirectUri)) {
        throw invalid('authorization.redirectUri', 'is not one of the redirect URIs the app registered');
      }
      this.requireClient(v.clientId);
      return this.oauth.createCode(v);
    });
  }

  /** Runs a grant in a write transaction, then throws its refusal AFTER the commit (revocations stick). */
  private async grantTokens(fn: () => GrantOutcome): Promise<OAuthTokenSet> {
    const outcome = await this.write(fn);
    if (!outcome.ok) throw invalidGrant(outcome.message);
    return outcome.tokens;
  }

  async exchangeAuthorizationCode(input: CodeExchangeInput): Promise<OAuthTokenSet> {
    const r = CodeExchangeInputSchema.safeParse(input);
    if (!r.success) {
      throw invalidGrant(
        `${r.error.issues[0]?.path.join('.') ?? 'input'}: ${r.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return this.grantTokens(() => this.oauth.exchangeCode(r.data));
  }

  async refreshOAuthTokens(refreshToken: string, oauthClientId: string): Promise<OAuthTokenSet> {
    if (typeof refreshToken !== 'string' || typeof oauthClientId !== 'string') {
      throw invalidGrant('refresh_token and client_id are required.');
    }
    return this.grantTokens(() => this.oauth.refresh(refreshToken, oauthClientId));
  }

  async revokeOAuthToken(token: string, oauthClientId?: string): Promise<void> {
    if (typeof token !== 'string') return;
    await this.write(() => this.oauth.revoke(token, oauthClientId));
  }

  // ---------------------------------------------------------------------------------------------
  // Grants

  async grant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(() => {
      this.requireClient(cid);
      this.requireSpace(sp);
      if (this.readSet(sp, id) === undefined) throw notFound('featureset', id, sp);
      const r = this.stmt(
        'INSERT OR IGNORE INTO grants (client_id, space_id, set_id, created_at) VALUES (?, ?, ?, ?)',
      ).run(cid, sp, id, this.nowMs());
      if (r.changes > 0) this.change('grant', sp);
    });
  }

  async ungrant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(() => {
      this.requireClient(cid);
      this.requireSpace(sp);
      const r = this.stmt('DELETE FROM grants WHERE client_id = ? AND space_id = ? AND set_id = ?').run(
        cid,
        sp,
        id,
      );
      if (r.changes > 0) this.change('grant', sp);
    });
  }

  async listGrants(clientId: string, spaceId?: string): Promise<Grant[]> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = spaceId === undefined ? undefined : parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(() => {
      this.requireClient(cid);
      const where =
        sp === undefined
          ? eq(t.grants.clientId, cid)
          : and(eq(t.grants.clientId, cid), eq(t.grants.spaceId, sp));
      return this.db
        .select()
        .from(t.grants)
        .where(where)
        .orderBy(asc(t.grants.spaceId), asc(t.grants.setId))
        .all();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Discovered features

  private requirePresent(spaceId: string, serverId: string): void {
    this.requireSpace(spaceId);
    this.requireServer(serverId);
    const present = this.stmt(
      `SELECT 1 FROM servers s WHERE s.id = ? AND (s.default_enabled = 1
         OR EXISTS (SELECT 1 FROM installations i WHERE i.space_id = ? AND i.server_id = s.id))`,
    ).get(serverId, spaceId);
    if (present === undefined) throw notFound('installation', serverId, spaceId);
  }

  async replaceDiscovered(
    spaceId: string,
    serverId: string,
    features: DiscoveredFeature[],
  ): Promise<DiscoveryDiff> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const incoming = this.discoveredFor(sv, features, 'features');
    return this.write(() => {
      this.requirePresent(sp, sv);
      return this.writeDiscovered(sp, sv, incoming);
    });
  }

  /** Parses discovered features of server `sv`, keyed by kind and name. */
  private discoveredFor(
    sv: string,
    features: DiscoveredFeature[],
    field: string,
  ): Map<string, ParsedFeature> {
    const list = parseOrThrow(FeaturesSchema, features, field);
    list.forEach((f, i) => {
      if (f.server !== sv)
        throw invalid(`${field}.${i}.server`, `must be "${sv}" (the server being discovered)`);
    });
    return new Map(list.map((f) => [`${f.kind}\0${f.name}`, f]));
  }

  /** Replaces the cached features of (Space, server); runs inside a write transaction. */
  private writeDiscovered(sp: string, sv: string, incoming: Map<string, ParsedFeature>): DiscoveryDiff {
    const now = this.nowMs();
    const rows = this.stmt(
      `SELECT id, kind, name, description, annotations, definition, definition_hash, available
       FROM discovered_features WHERE space_id = ? AND server_id = ?`,
    ).all(sp, sv) as {
      id: number;
      kind: string;
      name: string;
      description: string | null;
      annotations: string | null;
      definition: string | null;
      definition_hash: string;
      available: number;
    }[];
    const diff = { added: 0, removed: 0, changed: 0 };
    const seen = new Set<string>();
    const update = this.stmt(
      `UPDATE discovered_features SET description = ?, annotations = ?, definition = ?, definition_hash = ?,
       available = 1, last_seen_at = ? WHERE id = ?`,
    );
    for (const row of rows) {
      const key = `${row.kind}\0${row.name}`;
      const f = incoming.get(key);
      if (f === undefined) {
        if (row.available === 1) {
          this.stmt('UPDATE discovered_features SET available = 0 WHERE id = ?').run(row.id);
          diff.removed++;
        }
        continue;
      }
      seen.add(key);
      const annotations = f.annotations === undefined ? null : JSON.stringify(f.annotations);
      const definition = f.definition === undefined ? null : JSON.stringify(f.definition);
      const description = f.description ?? null;
      if (row.available === 0) diff.added++;
      else if (
        row.definition_hash !== f.definitionHash ||
        row.description !== description ||
        row.annotations !== annotations
      ) {
        diff.changed++;
      }
      update.run(description, annotations, definition, f.definitionHash, now, row.id);
    }
    const insert = this.stmt(
      `INSERT INTO discovered_features (space_id, server_id, kind, name, description, annotations, definition,
       definition_hash, available, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    );
    for (const [key, f] of incoming) {
      if (seen.has(key)) continue;
      insert.run(
        sp,
        sv,
        f.kind,
        f.name,
        f.description ?? null,
        f.annotations === undefined ? null : JSON.stringify(f.annotations),
        f.definition === undefined ? null : JSON.stringify(f.definition),
        f.definitionHash,
        now,
        now,
      );
      diff.added++;
    }
    if (diff.added + diff.removed + diff.changed > 0) this.change('discovered', sp);
    return diff;
  }

  async recordSecretChange(spaceId?: string): Promise<void> {
    const sp = spaceId === undefined ? null : parseOrThrow(IdSchema, spaceId, 'space id');
    await this.write(() => {
      if (sp !== null) this.requireSpace(sp);
      this.change('secret', sp);
    });
  }

  async markServerUnavailable(spaceId: string, serverId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    await this.write(() => {
      this.requireSpace(sp);
      this.requireServer(sv);
      const r = this.stmt(
        'UPDATE discovered_features SET available = 0 WHERE space_id = ? AND server_id = ? AND available = 1',
      ).run(sp, sv);
      if (r.changes > 0) this.change('discovered', sp);
    });
  }

  async listDiscovered(spaceId: string, opts: ListDiscoveredOptions = {}): Promise<StoredFeature[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const o = parseOrThrow(ListDiscoveredOptionsSchema, opts, 'options');
    return this.read(() => {
      this.requireSpace(sp);
      const conds: SQL[] = [eq(t.discovered.spaceId, sp)];
      if (o.serverId !== undefined) conds.push(eq(t.discovered.serverId, o.serverId));
      if (o.availableOnly === true) conds.push(eq(t.discovered.available, true));
      return this.db
        .select()
        .from(t.discovered)
        .where(and(...conds))
        .orderBy(asc(t.discovered.serverId), asc(t.discovered.kind), asc(t.discovered.name))
        .all()
        .map((r) => ({
          id: r.id,
          spaceId: r.spaceId,
          kind: r.kind,
          server: r.serverId,
          name: r.name,
          ...opt('description', r.description),
          ...opt(
            'annotations',
            r.annotations === null ? null : (JSON.parse(r.annotations) as Feature['annotations']),
          ),
          definitionHash: r.definitionHash,
          ...opt(
            'definition',
            r.definition === null ? null : (JSON.parse(r.definition) as Record<string, unknown>),
          ),
          available: r.available,
          firstSeenAt: r.firstSeenAt,
          lastSeenAt: r.lastSeenAt,
        }));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The per-request query

  private cacheStamp(): string {
    return `${this.database.pragma('data_version', { simple: true }) as number}:${this.localRevision}`;
  }

  async loadPolicyContext(clientId: string, spaceId?: string): Promise<PolicyContext | undefined> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = spaceId === undefined ? undefined : parseOrThrow(IdSchema, spaceId, 'space id');
    this.assertOpen();
    if (!this.policyCacheEnabled) return this.read(() => this.readPolicyContext(cid, sp, undefined));
    // The stamp is read before the snapshot: a write racing in only makes the next call recompute.
    const stamp = this.cacheStamp();
    const key = `${cid}\0${sp ?? ''}`;
    const hit = this.policyCache.get(key);
    if (hit !== undefined && hit.stamp === stamp) return hit.value;
    const value = await this.read(() => this.readPolicyContext(cid, sp, stamp));
    if (this.policyCache.size >= 1024) this.policyCache.clear();
    this.policyCache.set(key, { stamp, value });
    return value;
  }

  private readPolicyContext(
    clientId: string,
    spaceId: string | undefined,
    stamp: string | undefined,
  ): PolicyContext | undefined {
    const client = this.findClient(clientId);
    if (client === undefined) return undefined;
    let space: Space | undefined;
    if (spaceId !== undefined) {
      space = this.readSpace(spaceId);
      if (space === undefined) throw notFound('space', spaceId);
    } else if (client.mode === 'pinned' && client.pinnedSpaceId !== undefined) {
      space = this.readSpace(client.pinnedSpaceId);
    } else {
      const row = this.db.select().from(t.spaces).where(eq(t.spaces.active, true)).get();
      space = row === undefined ? undefined : this.toSpace(row);
    }
    if (space === undefined) return undefined;
    const grants = this.stmt('SELECT set_id FROM grants WHERE client_id = ? AND space_id = ? ORDER BY set_id')
      .pluck()
      .all(clientId, space.id) as string[];
    const { servers, featureSets, catalog } = this.readSpaceParts(space.id, stamp !== undefined);
    return { client, space, servers, featureSets, grants, catalog, revision: this.currentRevision() };
  }

  /**
   * The newest change of `kind` (or a Space deletion/re-creation) touching a Space: parsed sets and
   * catalog rows stay valid while it does not move. Pruning old change rows only ever changes it.
   */
  private partKey(kind: 'featureset' | 'discovered', spaceId: string): number | null {
    return this.stmt(
      `SELECT max(id) FROM changes WHERE kind IN (?, 'space') AND (space_id = ? OR space_id IS NULL)`,
    )
      .pluck()
      .get(kind, spaceId) as number | null;
  }

  /** The client-independent part of a policy context, shared by every client of the Space. */
  private readSpaceParts(
    spaceId: string,
    useCache: boolean,
  ): Pick<PolicyContext, 'servers' | 'featureSets' | 'catalog'> {
    const servers = this.readEffective(spaceId);
    const cached = useCache ? this.spaceCache.get(spaceId) : undefined;
    const setsKey = this.partKey('featureset', spaceId);
    const featuresKey = this.partKey('discovered', spaceId);
    const featureSets =
      cached !== undefined && cached.setsKey === setsKey ? cached.featureSets : this.readSets(spaceId);
    const features =
      cached !== undefined && cached.featuresKey === featuresKey
        ? cached.features
        : this.readCatalog(spaceId);
    if (useCache) {
      if (this.spaceCache.size >= 64) this.spaceCache.clear();
      this.spaceCache.set(spaceId, { setsKey, featureSets, featuresKey, features });
    }
    const effective = new Set(servers.map((s) => s.serverId));
    const catalog = features.every((f) => effective.has(f.server))
      ? features
      : features.filter((f) => effective.has(f.server));
    return { servers, featureSets, catalog };
  }

  /** Available cached features of a Space (of any server; the caller keeps the effective ones). */
  private readCatalog(spaceId: string): Feature[] {
    const rows = this.stmt(
      'SELECT kind, server_id, name, annotations FROM discovered_features WHERE space_id = ? AND available = 1',
    )
      .raw()
      .all(spaceId) as [Feature['kind'], string, string, string | null][];
    // Few distinct annotation objects exist: parse each once and share it (read-only).
    const parsed = new Map<string, NonNullable<Feature['annotations']>>();
    const features: Feature[] = [];
    for (const [kind, server, name, annotations] of rows) {
      if (annotations === null) {
        features.push({ kind, server, name });
        continue;
      }
      let a = parsed.get(annotations);
      if (a === undefined) {
        a = JSON.parse(annotations) as NonNullable<Feature['annotations']>;
        parsed.set(annotations, a);
      }
      features.push({ kind, server, name, annotations: a });
    }
    return features;
  }

  // ---------------------------------------------------------------------------------------------
  // Audit

  async appendAudit(events: AuditEventInput[]): Promise<void> {
    const list = parseOrThrow(AuditEventsSchema, events, 'events');
    if (list.length === 0) return;
    await this.write(() => {
      const insert = this.stmt(
        `INSERT INTO audit_events (at, action, client_id, space_id, feature_kind, feature_server, feature_name,
         decision, outcome, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const now = this.nowMs();
      for (const e of list) {
        insert.run(
          e.at?.getTime() ?? now,
          e.action,
          e.clientId ?? null,
          e.spaceId ?? null,
          e.feature?.kind ?? null,
          e.feature?.server ?? null,
          e.feature?.name ?? null,
          e.decision ?? null,
          e.outcome ?? null,
          e.durationMs ?? null,
          e.detail === undefined ? null : JSON.stringify(e.detail),
        );
      }
    });
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const f = parseOrThrow(AuditFilterSchema, filter, 'filter');
    return this.read(() => {
      const a = t.auditEvents;
      const conds: SQL[] = [];
      if (f.clientId !== undefined) conds.push(eq(a.clientId, f.clientId));
      if (f.spaceId !== undefined) conds.push(eq(a.spaceId, f.spaceId));
      if (f.action !== undefined) conds.push(eq(a.action, f.action));
      if (f.since !== undefined) conds.push(gte(a.at, f.since));
      if (f.until !== undefined) conds.push(lte(a.at, f.until));
      return this.db
        .select()
        .from(a)
        .where(conds.length === 0 ? undefined : and(...conds))
        .orderBy(desc(a.id))
        .limit(f.limit ?? 100)
        .all()
        .map(
          (r): AuditEvent => ({
            id: r.id,
            at: r.at,
            action: r.action,
            ...opt('clientId', r.clientId),
            ...opt('spaceId', r.spaceId),
            ...opt(
              'feature',
              r.featureKind === null || r.featureServer === null || r.featureName === null
                ? null
                : { kind: r.featureKind as Feature['kind'], server: r.featureServer, name: r.featureName },
            ),
            ...opt('decision', r.decision as AuditEvent['decision']),
            ...opt('outcome', r.outcome as AuditEvent['outcome']),
            ...opt('durationMs', r.durationMs),
            ...opt('detail', r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>)),
          }),
        );
    });
  }

  async pruneAudit(opts: AuditRetention): Promise<number> {
    const o = parseOrThrow(AuditRetentionSchema, opts, 'retention');
    return this.write(() => {
      if ('before' in o)
        return this.db.delete(t.auditEvents).where(lt(t.auditEvents.at, o.before)).run().changes;
      const cutoff = this.stmt('SELECT id FROM audit_events ORDER BY id DESC LIMIT 1 OFFSET ?')
        .pluck()
        .get(Math.max(0, o.keep - 1)) as number | undefined;
      if (o.keep === 0) return this.db.delete(t.auditEvents).run().changes;
      if (cutoff === undefined) return 0;
      return this.db.delete(t.auditEvents).where(lt(t.auditEvents.id, cutoff)).run().changes;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Changes

  async revision(): Promise<number> {
    return this.read(() => this.currentRevision());
  }

  /** Reads change rows past the cursor and tells the listeners. */
  private pollChanges(): void {
    if (this.closed || this.listeners.size === 0) return;
    let rows: { id: number; kind: string; space_id: string | null }[];
    try {
      this.lastDataVersion = this.database.pragma('data_version', { simple: true }) as number;
      rows = this.stmt('SELECT id, kind, space_id FROM changes WHERE id > ? ORDER BY id').all(
        this.cursor,
      ) as typeof rows;
    } catch (e) {
      if (isBusy(e)) return;
      throw e;
    }
    if (rows.length === 0) return;
    const behind = rows[0]!.id > this.cursor + 1;
    this.cursor = rows[rows.length - 1]!.id;
    this.policyCache.clear();
    const kinds = new Set<ChangeKind>(behind ? CHANGE_KINDS : rows.map((r) => r.kind as ChangeKind));
    const spaceIds =
      rows.every((r) => r.space_id !== null) && !behind
        ? [...new Set(rows.map((r) => r.space_id!))]
        : undefined;
    const change: StoreChange = { revision: this.cursor, kinds, ...opt('spaceIds', spaceIds) };
    for (const listener of [...this.listeners.keys()]) {
      try {
        listener(change);
      } catch {
        // A failing listener must not stop the others or the writer.
      }
    }
  }

  private restartTimer(): void {
    const interval = Math.min(...this.listeners.values());
    if (this.timer !== undefined && interval === this.timerInterval) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timerInterval = interval;
    this.timer = setInterval(() => {
      let version: number;
      try {
        version = this.database.pragma('data_version', { simple: true }) as number;
      } catch {
        return;
      }
      if (version !== this.lastDataVersion) this.pollChanges();
    }, interval);
    this.timer.unref();
  }

  watch(listener: (change: StoreChange) => void, opts: WatchOptions = {}): () => void {
    this.assertOpen();
    const interval = opts.intervalMs ?? 50;
    if (!Number.isFinite(interval) || interval < 1)
      throw invalid('intervalMs', 'must be a positive number of ms');
    if (this.listeners.size === 0) {
      this.cursor = this.currentRevision();
      this.lastDataVersion = this.database.pragma('data_version', { simple: true }) as number;
    }
    this.listeners.set(listener, interval);
    this.restartTimer();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        if (this.timer !== undefined) clearInterval(this.timer);
        this.timer = undefined;
      } else {
        this.restartTimer();
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
    this.policyCache.clear();
    this.spaceCache.clear();
    if (this.ownsDatabase) this.database.close();
  }
}

/** `['b', 'a', 'b']` rotated to start at `start`: `['a', 'b', 'a']` (unchanged when `start` is not on it). */
function rotateCycle(path: string[], start: string): string[] {
  const ring = path.slice(0, -1);
  const at = ring.indexOf(start);
  if (at <= 0) return path;
  const rotated = [...ring.slice(at), ...ring.slice(0, at)];
  return [...rotated, start];
}

/** Members without exact duplicates, in first-seen order. */
function dedupeMembers(members: Member[]): Member[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    const key = stableStringify(m);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
