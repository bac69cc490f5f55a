import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// The PostgreSQL schema: the SQLite schema (./schema.ts) table for table and column for column, in
// the types both dialects read the same way through SqlDatabase. Millisecond timestamps and ids are
// bigint (read back as numbers), flags integer 0/1, JSON text, autoincrement ids identity columns
// (BY DEFAULT, so a copied home keeps its ids). Migrations in ../../drizzle-pg are generated from
// this file by drizzle-kit (`pnpm --filter @mcpmux/space-store db:generate:pg <name>`); never edit a
// shipped migration. A change to schema.ts needs the same change here.

const ms = (name: string) => bigint(name, { mode: 'number' });
const flag = (name: string) => integer(name);
const id = (name: string) => bigint(name, { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();

export const spaces = pgTable(
  'spaces',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    icon: text('icon'),
    description: text('description'),
    active: flag('active').notNull().default(0),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [uniqueIndex('spaces_one_active').on(t.active).where(sql`active = 1`)],
);

export const servers = pgTable('servers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  /** JSON: ServerTransport. */
  transport: text('transport').notNull(),
  /** JSON: ServerInput[]. */
  inputs: text('inputs').notNull(),
  defaultEnabled: flag('default_enabled').notNull().default(0),
  timeoutSeconds: integer('timeout_seconds'),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const installations = pgTable(
  'installations',
  {
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    alias: text('alias').notNull(),
    prefix: flag('prefix').notNull().default(1),
    enabled: flag('enabled').notNull().default(1),
    /** JSON: InstallationOverrides. */
    overrides: text('overrides').notNull(),
    installedAt: ms('installed_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.spaceId, t.serverId] }),
    uniqueIndex('installations_alias').on(t.spaceId, t.alias),
    index('installations_server').on(t.serverId),
  ],
);

export const featureSets = pgTable(
  'feature_sets',
  {
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    kind: text('kind').notNull(),
    serverId: text('server_id').references(() => servers.id, { onDelete: 'cascade' }),
    /** JSON: FeatureSet['members']. */
    members: text('members').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.spaceId, t.id] }),
    check('feature_sets_kind', sql`kind in ('all', 'default', 'server-all', 'custom')`),
    index('feature_sets_server').on(t.serverId),
  ],
);

export const clients = pgTable('clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  mode: text('mode').notNull(),
  pinnedSpaceId: text('pinned_space_id').references(() => spaces.id, { onDelete: 'restrict' }),
  lean: flag('lean').notNull().default(0),
  /** JSON array of exposed tool names. */
  pinnedTools: text('pinned_tools').notNull().default('[]'),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const accessKeys = pgTable(
  'access_keys',
  {
    id: id('id'),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    hash: text('hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAt: ms('created_at').notNull(),
    lastUsedAt: ms('last_used_at'),
    revokedAt: ms('revoked_at'),
    expiresAt: ms('expires_at'),
  },
  (t) => [uniqueIndex('access_keys_hash').on(t.hash), index('access_keys_client').on(t.clientId)],
);

export const grants = pgTable(
  'grants',
  {
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    spaceId: text('space_id').notNull(),
    setId: text('set_id').notNull(),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.clientId, t.spaceId, t.setId] }),
    foreignKey({
      columns: [t.spaceId, t.setId],
      foreignColumns: [featureSets.spaceId, featureSets.id],
    }).onDelete('cascade'),
    index('grants_set').on(t.spaceId, t.setId),
  ],
);

export const discovered = pgTable(
  'discovered_features',
  {
    id: id('id'),
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    annotations: text('annotations'),
    definition: text('definition'),
    definitionHash: text('definition_hash').notNull(),
    available: flag('available').notNull().default(1),
    firstSeenAt: ms('first_seen_at').notNull(),
    lastSeenAt: ms('last_seen_at').notNull(),
  },
  (t) => [
    uniqueIndex('discovered_identity').on(t.spaceId, t.serverId, t.kind, t.name),
    // Covers the per-request catalog query (no table lookups for 10,000 features).
    index('discovered_catalog').on(t.spaceId, t.available, t.serverId, t.kind, t.name, t.annotations),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: id('id'),
    at: ms('at').notNull(),
    action: text('action').notNull(),
    clientId: text('client_id'),
    spaceId: text('space_id'),
    featureKind: text('feature_kind'),
    featureServer: text('feature_server'),
    featureName: text('feature_name'),
    decision: text('decision'),
    outcome: text('outcome'),
    durationMs: doublePrecision('duration_ms'),
    detail: text('detail'),
  },
  (t) => [
    index('audit_at').on(t.at),
    index('audit_space').on(t.spaceId),
    index('audit_client').on(t.clientId),
  ],
);

export const changes = pgTable('changes', {
  id: id('id'),
  kind: text('kind').notNull(),
  spaceId: text('space_id'),
  at: ms('at').notNull(),
});

// OAuth: apps that sign in to mcpmux (DESIGN §11). Codes and tokens are stored as SHA-256 only.

export const oauthClients = pgTable('oauth_clients', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  /** JSON: string[]. */
  redirectUris: text('redirect_uris').notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const oauthCodes = pgTable(
  'oauth_codes',
  {
    hash: text('hash').primaryKey(),
    oauthClientId: text('oauth_client_id')
      .notNull()
      .references(() => oauthClients.id, { onDelete: 'cascade' }),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    redirectUri: text('redirect_uri').notNull(),
    codeChallenge: text('code_challenge').notNull(),
    resource: text('resource'),
    scope: text('scope'),
    familyId: text('family_id').notNull(),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    usedAt: ms('used_at'),
  },
  (t) => [index('oauth_codes_client').on(t.clientId), index('oauth_codes_expires').on(t.expiresAt)],
);

export const oauthTokens = pgTable(
  'oauth_tokens',
  {
    id: id('id'),
    hash: text('hash').notNull(),
    kind: text('kind').notNull(),
    oauthClientId: text('oauth_client_id')
      .notNull()
      .references(() => oauthClients.id, { onDelete: 'cascade' }),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    familyId: text('family_id').notNull(),
    scope: text('scope'),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at').notNull(),
    rotatedAt: ms('rotated_at'),
    revokedAt: ms('revoked_at'),
  },
  (t) => [
    uniqueIndex('oauth_tokens_hash').on(t.hash),
    check('oauth_tokens_kind', sql`kind in ('access', 'refresh')`),
    index('oauth_tokens_client').on(t.clientId),
    index('oauth_tokens_family').on(t.familyId),
  ],
);
