import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import type { FeatureSet, InstallationOverrides, ServerInput, ServerTransport } from '../types.js';

// The SQLite schema. Migrations in ../../drizzle are generated from this file by drizzle-kit
// (`pnpm --filter @mcpmux/space-store db:generate`); never edit a shipped migration.

const ms = (name: string) => integer(name, { mode: 'timestamp_ms' });
const bool = (name: string) => integer(name, { mode: 'boolean' });

export const spaces = sqliteTable(
  'spaces',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    icon: text('icon'),
    description: text('description'),
    active: bool('active').notNull().default(false),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [uniqueIndex('spaces_one_active').on(t.active).where(sql`active = 1`)],
);

export const servers = sqliteTable('servers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  transport: text('transport', { mode: 'json' }).$type<ServerTransport>().notNull(),
  inputs: text('inputs', { mode: 'json' }).$type<ServerInput[]>().notNull(),
  defaultEnabled: bool('default_enabled').notNull().default(false),
  timeoutSeconds: integer('timeout_seconds'),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const installations = sqliteTable(
  'installations',
  {
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    alias: text('alias').notNull(),
    prefix: bool('prefix').notNull().default(true),
    enabled: bool('enabled').notNull().default(true),
    overrides: text('overrides', { mode: 'json' }).$type<InstallationOverrides>().notNull(),
    installedAt: ms('installed_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.spaceId, t.serverId] }),
    uniqueIndex('installations_alias').on(t.spaceId, t.alias),
    index('installations_server').on(t.serverId),
  ],
);

export const featureSets = sqliteTable(
  'feature_sets',
  {
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    kind: text('kind').$type<FeatureSet['kind']>().notNull(),
    serverId: text('server_id').references(() => servers.id, { onDelete: 'cascade' }),
    members: text('members', { mode: 'json' }).$type<FeatureSet['members']>().notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.spaceId, t.id] }),
    check('feature_sets_kind', sql`kind in ('all', 'default', 'server-all', 'custom')`),
    index('feature_sets_server').on(t.serverId),
  ],
);

export const clients = sqliteTable('clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  mode: text('mode').$type<'follow-active' | 'pinned'>().notNull(),
  pinnedSpaceId: text('pinned_space_id').references(() => spaces.id, { onDelete: 'restrict' }),
  lean: integer('lean', { mode: 'boolean' }).notNull().default(false),
  /** JSON array of exposed tool names. */
  pinnedTools: text('pinned_tools').notNull().default('[]'),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const accessKeys = sqliteTable(
  'access_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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

export const grants = sqliteTable(
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

export const discovered = sqliteTable(
  'discovered_features',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    spaceId: text('space_id')
      .notNull()
      .references(() => spaces.id, { onDelete: 'cascade' }),
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<'tool' | 'prompt' | 'resource'>().notNull(),
    name: text('name').notNull(),
    description: text('description'),
    annotations: text('annotations'),
    definition: text('definition'),
    definitionHash: text('definition_hash').notNull(),
    available: bool('available').notNull().default(true),
    firstSeenAt: ms('first_seen_at').notNull(),
    lastSeenAt: ms('last_seen_at').notNull(),
  },
  (t) => [
    uniqueIndex('discovered_identity').on(t.spaceId, t.serverId, t.kind, t.name),
    // Covers the per-request catalog query (no table lookups for 10,000 features).
    index('discovered_catalog').on(t.spaceId, t.available, t.serverId, t.kind, t.name, t.annotations),
  ],
);

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: ms('at').notNull(),
    action: text('action').notNull(),
    clientId: text('client_id'),
    spaceId: text('space_id'),
    featureKind: text('feature_kind'),
    featureServer: text('feature_server'),
    featureName: text('feature_name'),
    decision: text('decision'),
    outcome: text('outcome'),
    durationMs: real('duration_ms'),
    detail: text('detail'),
  },
  (t) => [
    index('audit_at').on(t.at),
    index('audit_space').on(t.spaceId),
    index('audit_client').on(t.clientId),
  ],
);

export const changes = sqliteTable('changes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  kind: text('kind').notNull(),
  spaceId: text('space_id'),
  at: ms('at').notNull(),
});

// OAuth: apps that sign in to mcpmux (DESIGN §11). Codes and tokens are stored as SHA-256 only.

export const oauthClients = sqliteTable('oauth_clients', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<'dcr' | 'cimd'>().notNull(),
  name: text('name').notNull(),
  redirectUris: text('redirect_uris', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: ms('created_at').notNull(),
  updatedAt: ms('updated_at').notNull(),
});

export const oauthCodes = sqliteTable(
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

export const oauthTokens = sqliteTable(
  'oauth_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    hash: text('hash').notNull(),
    kind: text('kind').$type<'access' | 'refresh'>().notNull(),
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
