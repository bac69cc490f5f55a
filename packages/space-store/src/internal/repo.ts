import type { SqlConnection } from '@mcpmux/core';
import type { OAuthClientKind } from '../oauth-types.js';
import type {
  AuditEvent,
  AuditFilter,
  ChangeKind,
  Client,
  DiscoveredFeature,
  Feature,
  FeatureSet,
  Grant,
  Installation,
  ServerDefinition,
  Space,
  StoredFeature,
} from '../types.js';

/*
 * The row-level storage the store engine (`StoreEngine`) runs on. The engine owns every rule
 * (validation, aliases, built-in sets, change kinds, caches, watching); a `Repo` only reads and
 * writes rows, inside transactions, exactly as asked. Implementations: `SqlRepo` (SQLite and
 * PostgreSQL, over `SqlDatabase`) and the in-memory repo.
 *
 * Conventions every implementation keeps:
 * - Rows come back as the domain types of `types.ts`, with optional fields absent (never `null`)
 *   and timestamps as `Date`. Lists are ordered as each method says.
 * - A method never validates or refuses input beyond what it documents: the engine has checked
 *   already. Unique and foreign-key violations are engine bugs, not user errors.
 * - Deletes cascade as documented (SQL: foreign keys `ON DELETE CASCADE`).
 * - Writes happen only inside `Repo.write`; a write transaction that throws leaves nothing behind.
 */

/** One row of the `changes` table: the log watchers read. Ids grow with every appended change. */
export interface ChangeRow {
  id: number;
  kind: ChangeKind;
  spaceId: string | null;
}

/**
 * A server present in a Space's effective list: the definition, and the Space's installation row
 * when one exists (absent for a default-enabled server without local customisation).
 */
export interface EffectiveRow {
  server: ServerDefinition;
  installation?: Installation;
  /**
   * A string equal for equal (transport, overrides, definition timeout) triples and different
   * otherwise, cheap to produce (SQL: the stored JSON texts joined). The engine memoises config
   * hashes by it.
   */
  configKey: string;
}

/** A cached feature as `replaceDiscovered` compares it (no definition body). */
export interface DiscoveredState {
  id: number;
  kind: StoredFeature['kind'];
  name: string;
  description: string | null;
  /** `JSON.stringify` of the stored annotations, or `null`. */
  annotations: string | null;
  definitionHash: string;
  available: boolean;
}

/** The writes that bring one (Space, server)'s cached features in line with a discovery. */
export interface DiscoveredWrites {
  /** Rows no longer offered: set `available` false. */
  markUnavailable: number[];
  /** Rows offered again or still: new description, annotations, definition, hash; available, seen now. */
  update: { id: number; feature: DiscoveredFeature }[];
  /** Features seen for the first time: insert, available, first and last seen now. */
  insert: DiscoveredFeature[];
}

/** An access key row (the key itself is never stored, only its SHA-256). */
export interface AccessKeyRow {
  id: number;
  clientId: string;
  /** SHA-256 hex of the key. */
  hash: string;
  /** The first 12 characters of the key, for display. */
  prefix: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
  expiresAt?: Date;
}

/** A FeatureSet row with the Space it belongs to. */
export interface FeatureSetRow extends FeatureSet {
  spaceId: string;
}

/** Which FeatureSet rows `listFeatureSets` returns (every given field must match). */
export interface FeatureSetQuery {
  spaceId?: string;
  kind?: FeatureSet['kind'];
  serverId?: string;
  /** Sets with this id (in any Space, when `spaceId` is absent). */
  id?: string;
}

/** Which installation rows `listInstallations` returns (every given field must match). */
export interface InstallationQuery {
  spaceId?: string;
  serverId?: string;
  alias?: string;
}

/** An audit event to append, its time resolved. */
export type AuditRow = Omit<AuditEvent, 'id'>;

/** A registered OAuth app. */
export interface OAuthClientRow {
  id: string;
  kind: OAuthClientKind;
  name: string;
  redirectUris: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A single-use authorization code (stored as its SHA-256 only). */
export interface OAuthCodeRow {
  hash: string;
  oauthClientId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string | null;
  scope: string | null;
  familyId: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

/** An OAuth access or refresh token (stored as its SHA-256 only). */
export interface OAuthTokenRow {
  id: number;
  hash: string;
  kind: 'access' | 'refresh';
  oauthClientId: string;
  clientId: string;
  familyId: string;
  scope: string | null;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

/** Which OAuth tokens `revokeOAuthTokens` revokes (those not revoked yet). */
export type OAuthTokenSelector = { id: number } | { familyId: string } | { clientId: string };

/** The row operations of one transaction. Methods of a read transaction must not write. */
export interface StoreTx {
  /**
   * The SQL connection of this transaction, for deletion hooks that write their own tables in it
   * (the vault); `undefined` for a repo without SQL (the in-memory one).
   */
  readonly connection: SqlConnection | undefined;

  // -- Spaces
  getSpace(id: string): Promise<Space | undefined>;
  /** Every Space, ordered by id. */
  listSpaces(): Promise<Space[]>;
  getActiveSpace(): Promise<Space | undefined>;
  countSpaces(): Promise<number>;
  insertSpace(space: Space): Promise<void>;
  /** Replaces the stored Space with `space` (same id; the active flag is left as stored). */
  updateSpace(space: Space): Promise<void>;
  /** Makes `id` the only active Space (clears the flag elsewhere first). */
  setActiveSpace(id: string): Promise<void>;
  /**
   * Deletes the Space with its installations, sets, grants of its sets, discovered features and
   * audit events naming it. Clients pinned to it must be gone or re-pinned first.
   */
  deleteSpace(id: string): Promise<void>;

  // -- Server definitions
  getServer(id: string): Promise<ServerDefinition | undefined>;
  /** Every definition, ordered by id. */
  listServers(): Promise<ServerDefinition[]>;
  /** Default-enabled definitions, ordered by id. */
  listDefaultEnabledServers(): Promise<ServerDefinition[]>;
  insertServer(server: ServerDefinition): Promise<void>;
  /** Replaces the stored definition with `server` (same id). */
  updateServer(server: ServerDefinition): Promise<void>;
  /** Deletes the definition with its installations, `server-all` sets (and their grants) and discovered features. */
  deleteServer(id: string): Promise<void>;

  // -- Installations
  getInstallation(spaceId: string, serverId: string): Promise<Installation | undefined>;
  /** Matching installations, ordered by `installedAt` then server id. */
  listInstallations(query: InstallationQuery): Promise<Installation[]>;
  insertInstallation(installation: Installation): Promise<void>;
  /** Replaces the stored row with `installation` (same Space and server). */
  updateInstallation(installation: Installation): Promise<void>;
  /** Deletes one installation; returns whether it existed. */
  deleteInstallation(spaceId: string, serverId: string): Promise<boolean>;
  /**
   * The Space's effective servers: enabled installations, plus default-enabled servers without an
   * installation row in the Space; ordered by (`installedAt`, else the definition's `createdAt`), then id.
   */
  listEffective(spaceId: string): Promise<EffectiveRow[]>;

  // -- FeatureSets
  getFeatureSet(spaceId: string, id: string): Promise<FeatureSetRow | undefined>;
  /** Matching sets, ordered by Space id then set id. */
  listFeatureSets(query: FeatureSetQuery): Promise<FeatureSetRow[]>;
  insertFeatureSet(set: FeatureSetRow, now: Date): Promise<void>;
  /** Replaces the stored name, description and members of the set (same Space and id). */
  updateFeatureSet(set: FeatureSetRow, updatedAt: Date): Promise<void>;
  /** Deletes a set with its grants. */
  deleteFeatureSet(spaceId: string, id: string): Promise<void>;

  // -- Clients and access keys
  getClient(id: string): Promise<Client | undefined>;
  /** Every client, ordered by id. */
  listClients(): Promise<Client[]>;
  /** Ids of the clients pinned to the Space, ordered. */
  listClientsPinnedTo(spaceId: string): Promise<string[]>;
  insertClient(client: Client): Promise<void>;
  /** Replaces the stored client with `client` (same id). */
  updateClient(client: Client): Promise<void>;
  /** Deletes a client with its access keys, grants, OAuth codes and tokens. */
  deleteClient(id: string): Promise<void>;
  insertAccessKey(key: Omit<AccessKeyRow, 'id'>): Promise<void>;
  /** The client's keys, newest first. */
  listAccessKeys(clientId: string): Promise<AccessKeyRow[]>;
  getAccessKeyByHash(hash: string): Promise<AccessKeyRow | undefined>;
  /** Sets `revokedAt` on every unrevoked key of the client. */
  revokeAccessKeys(clientId: string, at: Date): Promise<void>;
  setAccessKeyLastUsed(id: number, at: Date): Promise<void>;

  // -- Grants
  /** Inserts a grant unless present; returns whether it inserted. */
  insertGrant(grant: Grant): Promise<boolean>;
  /** Deletes a grant; returns whether it existed. */
  deleteGrant(clientId: string, spaceId: string, setId: string): Promise<boolean>;
  /** The client's grants (in one Space, or all), ordered by Space id then set id. */
  listGrants(clientId: string, spaceId?: string): Promise<Grant[]>;

  // -- Discovered features
  /** The cached features of one (Space, server), for diffing. */
  listDiscoveredState(spaceId: string, serverId: string): Promise<DiscoveredState[]>;
  applyDiscovered(spaceId: string, serverId: string, writes: DiscoveredWrites, now: Date): Promise<void>;
  /** Marks every available cached feature of (Space, server) unavailable; returns how many. */
  markUnavailable(spaceId: string, serverId: string): Promise<number>;
  /** Deletes every cached feature of (Space, server); returns how many. */
  deleteDiscovered(spaceId: string, serverId: string): Promise<number>;
  /** Server ids with cached features in the Space, or Space ids with cached features of the server. */
  listDiscoveredOwners(query: { spaceId: string } | { serverId: string }): Promise<string[]>;
  /** Cached features of a Space, ordered by server, kind, name. */
  listDiscovered(
    spaceId: string,
    opts: { serverId?: string; availableOnly?: boolean },
  ): Promise<StoredFeature[]>;
  /**
   * The resolver's catalog: available cached features of a Space (any server), as `Feature`s.
   * Hot path: equal annotation objects may be shared between rows (callers treat them as read-only).
   */
  listCatalog(spaceId: string): Promise<Feature[]>;

  // -- Audit
  appendAudit(events: AuditRow[]): Promise<void>;
  /** Matching events, newest (highest id) first, at most `limit` (default 100). */
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Drops events older than `before`, or all but the newest `keep`; returns how many. */
  pruneAudit(retention: { before: Date } | { keep: number }): Promise<number>;

  // -- Changes
  /** Appends a change row and makes sure commit watchers (every process, every replica) hear of it. */
  appendChange(kind: ChangeKind, spaceId: string | null, at: Date): Promise<void>;
  /** Change rows with an id above `cursor`, ordered by id. */
  changesSince(cursor: number): Promise<ChangeRow[]>;
  /** The highest change id ever appended (0 when none); never decreases, pruning included. */
  revision(): Promise<number>;
  /**
   * The id of the newest change of one of `kinds` that names `spaceId` or no Space, or `null`.
   * The engine keys its per-Space memo on it.
   */
  latestChange(kinds: readonly ChangeKind[], spaceId: string): Promise<number | null>;
  /** Deletes change rows all but the newest `keep` ids. */
  pruneChanges(keep: number): Promise<void>;

  // -- OAuth (DESIGN §11)
  getOAuthClient(id: string): Promise<OAuthClientRow | undefined>;
  /** Inserts the app, or updates name, redirect URIs and `updatedAt` when the id exists. */
  upsertOAuthClient(row: OAuthClientRow): Promise<void>;
  insertOAuthCode(row: OAuthCodeRow): Promise<void>;
  getOAuthCode(hash: string): Promise<OAuthCodeRow | undefined>;
  markOAuthCodeUsed(hash: string, at: Date): Promise<void>;
  /** Deletes codes that expired before `before`. */
  deleteExpiredOAuthCodes(before: Date): Promise<void>;
  /** Deletes the client's codes that were never used. */
  deleteUnusedOAuthCodes(clientId: string): Promise<void>;
  insertOAuthToken(row: Omit<OAuthTokenRow, 'id'>): Promise<void>;
  getOAuthToken(hash: string): Promise<OAuthTokenRow | undefined>;
  /** Sets `revokedAt` on the selected unrevoked tokens; returns how many. */
  revokeOAuthTokens(selector: OAuthTokenSelector, at: Date): Promise<number>;
  markOAuthTokenRotated(id: number, at: Date): Promise<void>;
}

/** Options of {@link Repo.watchCommits}. */
export interface RepoWatchOptions {
  /** How often to poll where the backend cannot push. Default 50 ms. */
  intervalMs?: number;
}

/** A store backend: transactions over {@link StoreTx}, and notice of other writers' commits. */
export interface Repo {
  /** Runs `fn` in one consistent read snapshot. */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction, serialized with every other write to the same data. On a
   * transient conflict the whole of `fn` may run again: it must have no effects outside `tx`.
   */
  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` whenever another connection, process or replica may have committed a change
   * (one that called `appendChange`). Returns a function that stops it.
   */
  watchCommits(listener: () => void, options?: RepoWatchOptions): () => void;
  /**
   * A value, read synchronously and cheaply, that differs from its previous value whenever another
   * connection, process or replica may have committed since (SQLite: `PRAGMA data_version`). The
   * engine reuses cached policy contexts while it stays the same (and its own writes did not move).
   */
  commitStamp(): number | string;
  /** Releases what the repo opened (connections, timers). Idempotent. */
  close(): Promise<void>;
}
