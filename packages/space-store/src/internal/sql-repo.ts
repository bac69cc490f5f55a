import type { SqlConnection, SqlDatabase, SqlParams } from '@mcpmux/core';
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
import type {
  AccessKeyRow,
  AuditRow,
  ChangeRow,
  DiscoveredState,
  DiscoveredWrites,
  EffectiveRow,
  FeatureSetQuery,
  FeatureSetRow,
  InstallationQuery,
  OAuthClientRow,
  OAuthCodeRow,
  OAuthTokenRow,
  OAuthTokenSelector,
  Repo,
  RepoWatchOptions,
  StoreTx,
} from './repo.js';
import { opt } from './util.js';

// The Repo over a SqlDatabase: one implementation for SQLite and PostgreSQL. Only SQL both dialects
// share (see @mcpmux/core's sql.ts); flags and timestamps are integers, JSON is text.

/**
 * An optional capability of a {@link SqlConnection}: rows as arrays of column values, in select
 * order (cheaper than objects for large results). `SqlRepo` uses it where the driver offers it.
 */
export interface SqlRowValues {
  values<T extends unknown[]>(sql: string, params?: SqlParams): Promise<T[]>;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const date = (v: unknown): Date => new Date(num(v));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const bool = (v: unknown): boolean => v === true || num(v) === 1;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;
const jsonOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function toSpace(r: Row): Space {
  return {
    id: r.id as string,
    name: r.name as string,
    ...opt('icon', r.icon as string | null),
    ...opt('description', r.description as string | null),
    active: bool(r.active),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toServer(r: Row): ServerDefinition {
  return {
    id: r.id as string,
    name: r.name as string,
    ...opt('description', r.description as string | null),
    transport: json(r.transport),
    inputs: json(r.inputs),
    defaultEnabled: bool(r.default_enabled),
    ...opt('timeoutSeconds', r.timeout_seconds === null ? null : num(r.timeout_seconds)),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toInstallation(r: Row): Installation {
  return {
    spaceId: r.space_id as string,
    serverId: r.server_id as string,
    alias: r.alias as string,
    prefix: bool(r.prefix),
    enabled: bool(r.enabled),
    overrides: json(r.overrides),
    installedAt: date(r.installed_at),
  };
}

function toSet(r: Row): FeatureSetRow {
  return {
    spaceId: r.space_id as string,
    id: r.id as string,
    name: r.name as string,
    ...opt('description', r.description as string | null),
    kind: r.kind as FeatureSet['kind'],
    ...opt('server', r.server_id as string | null),
    members: json(r.members),
  };
}

function toClient(r: Row): Client {
  return {
    id: r.id as string,
    name: r.name as string,
    mode: r.mode as Client['mode'],
    ...opt('pinnedSpaceId', r.pinned_space_id as string | null),
    lean: bool(r.lean),
    pinnedTools: json(r.pinned_tools),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toAccessKey(r: Row): AccessKeyRow {
  return {
    id: num(r.id),
    clientId: r.client_id as string,
    hash: r.hash as string,
    prefix: r.prefix as string,
    createdAt: date(r.created_at),
    ...opt('lastUsedAt', dateOrNull(r.last_used_at)),
    ...opt('revokedAt', dateOrNull(r.revoked_at)),
    ...opt('expiresAt', dateOrNull(r.expires_at)),
  };
}

function toStoredFeature(r: Row): StoredFeature {
  return {
    id: num(r.id),
    spaceId: r.space_id as string,
    kind: r.kind as StoredFeature['kind'],
    server: r.server_id as string,
    name: r.name as string,
    ...opt('description', r.description as string | null),
    ...opt('annotations', r.annotations === null ? null : json<Feature['annotations']>(r.annotations)),
    definitionHash: r.definition_hash as string,
    ...opt('definition', r.definition === null ? null : json<Record<string, unknown>>(r.definition)),
    available: bool(r.available),
    firstSeenAt: date(r.first_seen_at),
    lastSeenAt: date(r.last_seen_at),
  };
}

function toAudit(r: Row): AuditEvent {
  const feature =
    r.feature_kind === null || r.feature_server === null || r.feature_name === null
      ? null
      : {
          kind: r.feature_kind as Feature['kind'],
          server: r.feature_server as string,
          name: r.feature_name as string,
        };
  return {
    id: num(r.id),
    at: date(r.at),
    action: r.action as string,
    ...opt('clientId', r.client_id as string | null),
    ...opt('spaceId', r.space_id as string | null),
    ...opt('feature', feature),
    ...opt('decision', r.decision as AuditEvent['decision'] | null),
    ...opt('outcome', r.outcome as AuditEvent['outcome'] | null),
    ...opt('durationMs', r.duration_ms === null ? null : num(r.duration_ms)),
    ...opt('detail', r.detail === null ? null : json<Record<string, unknown>>(r.detail)),
  };
}

function toOAuthCode(r: Row): OAuthCodeRow {
  return {
    hash: r.hash as string,
    oauthClientId: r.oauth_client_id as string,
    clientId: r.client_id as string,
    redirectUri: r.redirect_uri as string,
    codeChallenge: r.code_challenge as string,
    resource: str(r.resource),
    scope: str(r.scope),
    familyId: r.family_id as string,
    createdAt: date(r.created_at),
    expiresAt: date(r.expires_at),
    usedAt: dateOrNull(r.used_at),
  };
}

function toOAuthToken(r: Row): OAuthTokenRow {
  return {
    id: num(r.id),
    hash: r.hash as string,
    kind: r.kind as OAuthTokenRow['kind'],
    oauthClientId: r.oauth_client_id as string,
    clientId: r.client_id as string,
    familyId: r.family_id as string,
    scope: str(r.scope),
    createdAt: date(r.created_at),
    expiresAt: date(r.expires_at),
    rotatedAt: dateOrNull(r.rotated_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

/** `WHERE` clauses and their parameters from optional equality filters. */
function where(filters: [column: string, value: unknown][]): { sql: string; params: unknown[] } {
  const given = filters.filter(([, v]) => v !== undefined);
  return {
    sql: given.length === 0 ? '' : ` WHERE ${given.map(([c]) => `${c} = ?`).join(' AND ')}`,
    params: given.map(([, v]) => v),
  };
}

const SET_COLUMNS = 'space_id, id, name, description, kind, server_id, members';

/** {@link StoreTx} on one SQL connection. */
class SqlStoreTx implements StoreTx {
  constructor(readonly connection: SqlConnection) {}

  private get c(): SqlConnection {
    return this.connection;
  }

  // -- Spaces

  async getSpace(id: string): Promise<Space | undefined> {
    const r = await this.c.get('SELECT * FROM spaces WHERE id = ?', [id]);
    return r === undefined ? undefined : toSpace(r);
  }

  async listSpaces(): Promise<Space[]> {
    return (await this.c.all('SELECT * FROM spaces ORDER BY id')).map(toSpace);
  }

  async getActiveSpace(): Promise<Space | undefined> {
    const r = await this.c.get('SELECT * FROM spaces WHERE active = 1');
    return r === undefined ? undefined : toSpace(r);
  }

  async countSpaces(): Promise<number> {
    return num((await this.c.get<{ n: unknown }>('SELECT count(*) AS n FROM spaces'))?.n ?? 0);
  }

  async insertSpace(s: Space): Promise<void> {
    await this.c.run(
      'INSERT INTO spaces (id, name, icon, description, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [s.id, s.name, s.icon ?? null, s.description ?? null, s.active, s.createdAt, s.updatedAt],
    );
  }

  async updateSpace(s: Space): Promise<void> {
    await this.c.run('UPDATE spaces SET name = ?, icon = ?, description = ?, updated_at = ? WHERE id = ?', [
      s.name,
      s.icon ?? null,
      s.description ?? null,
      s.updatedAt,
      s.id,
    ]);
  }

  async setActiveSpace(id: string): Promise<void> {
    await this.c.run('UPDATE spaces SET active = 0 WHERE active = 1 AND id != ?', [id]);
    await this.c.run('UPDATE spaces SET active = 1 WHERE id = ?', [id]);
  }

  async deleteSpace(id: string): Promise<void> {
    await this.c.run('DELETE FROM audit_events WHERE space_id = ?', [id]);
    await this.c.run('DELETE FROM grants WHERE space_id = ?', [id]);
    await this.c.run('DELETE FROM discovered_features WHERE space_id = ?', [id]);
    await this.c.run('DELETE FROM feature_sets WHERE space_id = ?', [id]);
    await this.c.run('DELETE FROM installations WHERE space_id = ?', [id]);
    await this.c.run('DELETE FROM spaces WHERE id = ?', [id]);
  }

  // -- Servers

  async getServer(id: string): Promise<ServerDefinition | undefined> {
    const r = await this.c.get('SELECT * FROM servers WHERE id = ?', [id]);
    return r === undefined ? undefined : toServer(r);
  }

  async listServers(): Promise<ServerDefinition[]> {
    return (await this.c.all('SELECT * FROM servers ORDER BY id')).map(toServer);
  }

  async listDefaultEnabledServers(): Promise<ServerDefinition[]> {
    return (await this.c.all('SELECT * FROM servers WHERE default_enabled = 1 ORDER BY id')).map(toServer);
  }

  async insertServer(s: ServerDefinition): Promise<void> {
    await this.c.run(
      `INSERT INTO servers (id, name, description, transport, inputs, default_enabled, timeout_seconds, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        s.id,
        s.name,
        s.description ?? null,
        JSON.stringify(s.transport),
        JSON.stringify(s.inputs),
        s.defaultEnabled,
        s.timeoutSeconds ?? null,
        s.createdAt,
        s.updatedAt,
      ],
    );
  }

  async updateServer(s: ServerDefinition): Promise<void> {
    await this.c.run(
      `UPDATE servers SET name = ?, description = ?, transport = ?, inputs = ?, default_enabled = ?,
       timeout_seconds = ?, updated_at = ? WHERE id = ?`,
      [
        s.name,
        s.description ?? null,
        JSON.stringify(s.transport),
        JSON.stringify(s.inputs),
        s.defaultEnabled,
        s.timeoutSeconds ?? null,
        s.updatedAt,
        s.id,
      ],
    );
  }

  async deleteServer(id: string): Promise<void> {
    // Explicit rather than by cascade alone, so that the order does not depend on the schema.
    await this.c.run(
      "DELETE FROM grants WHERE EXISTS (SELECT 1 FROM feature_sets f WHERE f.space_id = grants.space_id AND f.id = grants.set_id AND f.kind = 'server-all' AND f.server_id = ?)",
      [id],
    );
    await this.c.run('DELETE FROM feature_sets WHERE server_id = ?', [id]);
    await this.c.run('DELETE FROM discovered_features WHERE server_id = ?', [id]);
    await this.c.run('DELETE FROM installations WHERE server_id = ?', [id]);
    await this.c.run('DELETE FROM servers WHERE id = ?', [id]);
  }

  // -- Installations

  async getInstallation(spaceId: string, serverId: string): Promise<Installation | undefined> {
    const r = await this.c.get('SELECT * FROM installations WHERE space_id = ? AND server_id = ?', [
      spaceId,
      serverId,
    ]);
    return r === undefined ? undefined : toInstallation(r);
  }

  async listInstallations(q: InstallationQuery): Promise<Installation[]> {
    const w = where([
      ['space_id', q.spaceId],
      ['server_id', q.serverId],
      ['alias', q.alias],
    ]);
    return (
      await this.c.all(
        `SELECT * FROM installations${w.sql} ORDER BY installed_at, server_id, space_id`,
        w.params,
      )
    ).map(toInstallation);
  }

  async insertInstallation(i: Installation): Promise<void> {
    await this.c.run(
      `INSERT INTO installations (space_id, server_id, alias, prefix, enabled, overrides, installed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [i.spaceId, i.serverId, i.alias, i.prefix, i.enabled, JSON.stringify(i.overrides), i.installedAt],
    );
  }

  async updateInstallation(i: Installation): Promise<void> {
    await this.c.run(
      `UPDATE installations SET alias = ?, prefix = ?, enabled = ?, overrides = ?, installed_at = ?
       WHERE space_id = ? AND server_id = ?`,
      [i.alias, i.prefix, i.enabled, JSON.stringify(i.overrides), i.installedAt, i.spaceId, i.serverId],
    );
  }

  async deleteInstallation(spaceId: string, serverId: string): Promise<boolean> {
    return (
      (await this.c.run('DELETE FROM installations WHERE space_id = ? AND server_id = ?', [
        spaceId,
        serverId,
      ])) > 0
    );
  }

  async listEffective(spaceId: string): Promise<EffectiveRow[]> {
    const rows = await this.c.all(
      `SELECT s.id, s.name, s.description, s.transport, s.inputs, s.default_enabled, s.timeout_seconds,
              s.created_at, s.updated_at, i.space_id, i.server_id, i.alias, i.prefix, i.enabled,
              i.overrides, i.installed_at
       FROM servers s LEFT JOIN installations i ON i.server_id = s.id AND i.space_id = ?
       WHERE (i.space_id IS NOT NULL AND i.enabled = 1) OR (i.space_id IS NULL AND s.default_enabled = 1)
       ORDER BY coalesce(i.installed_at, s.created_at), s.id`,
      [spaceId],
    );
    return rows.map((r) => {
      const installed = r.space_id !== null && r.space_id !== undefined;
      return {
        server: toServer(r),
        ...(installed ? { installation: toInstallation(r) } : {}),
        configKey: `${r.transport as string}\0${(r.overrides as string | null) ?? ''}\0${r.timeout_seconds ?? ''}`,
      };
    });
  }

  // -- FeatureSets

  async getFeatureSet(spaceId: string, id: string): Promise<FeatureSetRow | undefined> {
    const r = await this.c.get(`SELECT ${SET_COLUMNS} FROM feature_sets WHERE space_id = ? AND id = ?`, [
      spaceId,
      id,
    ]);
    return r === undefined ? undefined : toSet(r);
  }

  async listFeatureSets(q: FeatureSetQuery): Promise<FeatureSetRow[]> {
    const w = where([
      ['space_id', q.spaceId],
      ['kind', q.kind],
      ['server_id', q.serverId],
      ['id', q.id],
    ]);
    return (
      await this.c.all(`SELECT ${SET_COLUMNS} FROM feature_sets${w.sql} ORDER BY space_id, id`, w.params)
    ).map(toSet);
  }

  async insertFeatureSet(s: FeatureSetRow, now: Date): Promise<void> {
    await this.c.run(
      `INSERT INTO feature_sets (space_id, id, name, description, kind, server_id, members, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        s.spaceId,
        s.id,
        s.name,
        s.description ?? null,
        s.kind,
        s.server ?? null,
        JSON.stringify(s.members),
        now,
        now,
      ],
    );
  }

  async updateFeatureSet(s: FeatureSetRow, updatedAt: Date): Promise<void> {
    await this.c.run(
      'UPDATE feature_sets SET name = ?, description = ?, members = ?, updated_at = ? WHERE space_id = ? AND id = ?',
      [s.name, s.description ?? null, JSON.stringify(s.members), updatedAt, s.spaceId, s.id],
    );
  }

  async deleteFeatureSet(spaceId: string, id: string): Promise<void> {
    await this.c.run('DELETE FROM grants WHERE space_id = ? AND set_id = ?', [spaceId, id]);
    await this.c.run('DELETE FROM feature_sets WHERE space_id = ? AND id = ?', [spaceId, id]);
  }

  // -- Clients and keys

  async getClient(id: string): Promise<Client | undefined> {
    const r = await this.c.get('SELECT * FROM clients WHERE id = ?', [id]);
    return r === undefined ? undefined : toClient(r);
  }

  async listClients(): Promise<Client[]> {
    return (await this.c.all('SELECT * FROM clients ORDER BY id')).map(toClient);
  }

  async listClientsPinnedTo(spaceId: string): Promise<string[]> {
    const rows = await this.c.all<{ id: string }>(
      'SELECT id FROM clients WHERE pinned_space_id = ? ORDER BY id',
      [spaceId],
    );
    return rows.map((r) => r.id);
  }

  async insertClient(cl: Client): Promise<void> {
    await this.c.run(
      `INSERT INTO clients (id, name, mode, pinned_space_id, lean, pinned_tools, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        cl.id,
        cl.name,
        cl.mode,
        cl.pinnedSpaceId ?? null,
        cl.lean,
        JSON.stringify(cl.pinnedTools),
        cl.createdAt,
        cl.updatedAt,
      ],
    );
  }

  async updateClient(cl: Client): Promise<void> {
    await this.c.run(
      'UPDATE clients SET name = ?, mode = ?, pinned_space_id = ?, lean = ?, pinned_tools = ?, updated_at = ? WHERE id = ?',
      [
        cl.name,
        cl.mode,
        cl.pinnedSpaceId ?? null,
        cl.lean,
        JSON.stringify(cl.pinnedTools),
        cl.updatedAt,
        cl.id,
      ],
    );
  }

  async deleteClient(id: string): Promise<void> {
    await this.c.run('DELETE FROM oauth_tokens WHERE client_id = ?', [id]);
    await this.c.run('DELETE FROM oauth_codes WHERE client_id = ?', [id]);
    await this.c.run('DELETE FROM grants WHERE client_id = ?', [id]);
    await this.c.run('DELETE FROM access_keys WHERE client_id = ?', [id]);
    await this.c.run('DELETE FROM clients WHERE id = ?', [id]);
  }

  async insertAccessKey(k: Omit<AccessKeyRow, 'id'>): Promise<void> {
    await this.c.run(
      `INSERT INTO access_keys (client_id, hash, prefix, created_at, last_used_at, revoked_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        k.clientId,
        k.hash,
        k.prefix,
        k.createdAt,
        k.lastUsedAt ?? null,
        k.revokedAt ?? null,
        k.expiresAt ?? null,
      ],
    );
  }

  async listAccessKeys(clientId: string): Promise<AccessKeyRow[]> {
    return (
      await this.c.all('SELECT * FROM access_keys WHERE client_id = ? ORDER BY id DESC', [clientId])
    ).map(toAccessKey);
  }

  async getAccessKeyByHash(hash: string): Promise<AccessKeyRow | undefined> {
    const r = await this.c.get('SELECT * FROM access_keys WHERE hash = ?', [hash]);
    return r === undefined ? undefined : toAccessKey(r);
  }

  async revokeAccessKeys(clientId: string, at: Date): Promise<void> {
    await this.c.run('UPDATE access_keys SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL', [
      at,
      clientId,
    ]);
  }

  async setAccessKeyLastUsed(id: number, at: Date): Promise<void> {
    await this.c.run('UPDATE access_keys SET last_used_at = ? WHERE id = ?', [at, id]);
  }

  // -- Grants

  async insertGrant(g: Grant): Promise<boolean> {
    const n = await this.c.run(
      `INSERT INTO grants (client_id, space_id, set_id, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id, space_id, set_id) DO NOTHING`,
      [g.clientId, g.spaceId, g.setId, g.createdAt],
    );
    return n > 0;
  }

  async deleteGrant(clientId: string, spaceId: string, setId: string): Promise<boolean> {
    const n = await this.c.run('DELETE FROM grants WHERE client_id = ? AND space_id = ? AND set_id = ?', [
      clientId,
      spaceId,
      setId,
    ]);
    return n > 0;
  }

  async listGrants(clientId: string, spaceId?: string): Promise<Grant[]> {
    const w = where([
      ['client_id', clientId],
      ['space_id', spaceId],
    ]);
    const rows = await this.c.all(
      `SELECT client_id, space_id, set_id, created_at FROM grants${w.sql} ORDER BY space_id, set_id`,
      w.params,
    );
    return rows.map((r) => ({
      clientId: r.client_id as string,
      spaceId: r.space_id as string,
      setId: r.set_id as string,
      createdAt: date(r.created_at),
    }));
  }

  // -- Discovered features

  async listDiscoveredState(spaceId: string, serverId: string): Promise<DiscoveredState[]> {
    const rows = await this.c.all(
      `SELECT id, kind, name, description, annotations, definition_hash, available
       FROM discovered_features WHERE space_id = ? AND server_id = ?`,
      [spaceId, serverId],
    );
    return rows.map((r) => ({
      id: num(r.id),
      kind: r.kind as DiscoveredState['kind'],
      name: r.name as string,
      description: str(r.description),
      annotations: str(r.annotations),
      definitionHash: r.definition_hash as string,
      available: bool(r.available),
    }));
  }

  async applyDiscovered(spaceId: string, serverId: string, w: DiscoveredWrites, now: Date): Promise<void> {
    for (const id of w.markUnavailable) {
      await this.c.run('UPDATE discovered_features SET available = 0 WHERE id = ?', [id]);
    }
    for (const { id, feature: f } of w.update) {
      await this.c.run(
        `UPDATE discovered_features SET description = ?, annotations = ?, definition = ?, definition_hash = ?,
         available = 1, last_seen_at = ? WHERE id = ?`,
        [
          f.description ?? null,
          jsonOrNull(f.annotations),
          jsonOrNull(f.definition),
          f.definitionHash,
          now,
          id,
        ],
      );
    }
    for (const f of w.insert) await this.insertDiscovered(spaceId, serverId, f, now);
  }

  private async insertDiscovered(
    spaceId: string,
    serverId: string,
    f: DiscoveredFeature,
    now: Date,
  ): Promise<void> {
    await this.c.run(
      `INSERT INTO discovered_features (space_id, server_id, kind, name, description, annotations, definition,
       definition_hash, available, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      [
        spaceId,
        serverId,
        f.kind,
        f.name,
        f.description ?? null,
        jsonOrNull(f.annotations),
        jsonOrNull(f.definition),
        f.definitionHash,
        now,
        now,
      ],
    );
  }

  async markUnavailable(spaceId: string, serverId: string): Promise<number> {
    return this.c.run(
      'UPDATE discovered_features SET available = 0 WHERE space_id = ? AND server_id = ? AND available = 1',
      [spaceId, serverId],
    );
  }

  async deleteDiscovered(spaceId: string, serverId: string): Promise<number> {
    return this.c.run('DELETE FROM discovered_features WHERE space_id = ? AND server_id = ?', [
      spaceId,
      serverId,
    ]);
  }

  async listDiscoveredOwners(q: { spaceId: string } | { serverId: string }): Promise<string[]> {
    const rows =
      'spaceId' in q
        ? await this.c.all<{ o: string }>(
            'SELECT DISTINCT server_id AS o FROM discovered_features WHERE space_id = ? ORDER BY o',
            [q.spaceId],
          )
        : await this.c.all<{ o: string }>(
            'SELECT DISTINCT space_id AS o FROM discovered_features WHERE server_id = ? ORDER BY o',
            [q.serverId],
          );
    return rows.map((r) => r.o);
  }

  async listDiscovered(
    spaceId: string,
    opts: { serverId?: string; availableOnly?: boolean },
  ): Promise<StoredFeature[]> {
    const w = where([
      ['space_id', spaceId],
      ['server_id', opts.serverId],
      ['available', opts.availableOnly === true ? 1 : undefined],
    ]);
    return (
      await this.c.all(`SELECT * FROM discovered_features${w.sql} ORDER BY server_id, kind, name`, w.params)
    ).map(toStoredFeature);
  }

  async listCatalog(spaceId: string): Promise<Feature[]> {
    type CatalogRow = [kind: Feature['kind'], server: string, name: string, annotations: string | null];
    const sql =
      'SELECT kind, server_id, name, annotations FROM discovered_features WHERE space_id = ? AND available = 1';
    // The hot query (10,000 rows in a big Space): rows as arrays where the driver can.
    const values = (this.c as Partial<SqlRowValues>).values;
    const rows =
      values === undefined
        ? (
            await this.c.all<{
              kind: Feature['kind'];
              server_id: string;
              name: string;
              annotations: string | null;
            }>(sql, [spaceId])
          ).map((r): CatalogRow => [r.kind, r.server_id, r.name, r.annotations])
        : ((await values.call(this.c, sql, [spaceId])) as CatalogRow[]);
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

  // -- Audit

  async appendAudit(events: AuditRow[]): Promise<void> {
    for (const e of events) {
      await this.c.run(
        `INSERT INTO audit_events (at, action, client_id, space_id, feature_kind, feature_server, feature_name,
         decision, outcome, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.at,
          e.action,
          e.clientId ?? null,
          e.spaceId ?? null,
          e.feature?.kind ?? null,
          e.feature?.server ?? null,
          e.feature?.name ?? null,
          e.decision ?? null,
          e.outcome ?? null,
          e.durationMs ?? null,
          jsonOrNull(e.detail),
        ],
      );
    }
  }

  async listAudit(f: AuditFilter): Promise<AuditEvent[]> {
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      if (value === undefined) return;
      conds.push(sql);
      params.push(value);
    };
    add('client_id = ?', f.clientId);
    add('space_id = ?', f.spaceId);
    add('action = ?', f.action);
    add('at >= ?', f.since);
    add('at <= ?', f.until);
    const rows = await this.c.all(
      `SELECT * FROM audit_events${conds.length === 0 ? '' : ` WHERE ${conds.join(' AND ')}`} ORDER BY id DESC LIMIT ?`,
      [...params, f.limit ?? 100],
    );
    return rows.map(toAudit);
  }

  async pruneAudit(r: { before: Date } | { keep: number }): Promise<number> {
    if ('before' in r) return this.c.run('DELETE FROM audit_events WHERE at < ?', [r.before]);
    if (r.keep === 0) return this.c.run('DELETE FROM audit_events');
    const cutoff = await this.c.get<{ id: unknown }>(
      'SELECT id FROM audit_events ORDER BY id DESC LIMIT 1 OFFSET ?',
      [r.keep - 1],
    );
    if (cutoff === undefined) return 0;
    return this.c.run('DELETE FROM audit_events WHERE id < ?', [num(cutoff.id)]);
  }

  // -- Changes

  async appendChange(kind: ChangeKind, spaceId: string | null, at: Date): Promise<void> {
    await this.c.run('INSERT INTO changes (kind, space_id, at) VALUES (?, ?, ?)', [kind, spaceId, at]);
    await this.c.notify();
  }

  async changesSince(cursor: number): Promise<ChangeRow[]> {
    const rows = await this.c.all('SELECT id, kind, space_id FROM changes WHERE id > ? ORDER BY id', [
      cursor,
    ]);
    return rows.map((r) => ({ id: num(r.id), kind: r.kind as ChangeKind, spaceId: str(r.space_id) }));
  }

  async revision(): Promise<number> {
    const r = await this.c.get<{ n: unknown }>('SELECT max(id) AS n FROM changes');
    return r?.n === null || r?.n === undefined ? 0 : num(r.n);
  }

  async latestChange(kinds: readonly ChangeKind[], spaceId: string): Promise<number | null> {
    const r = await this.c.get<{ n: unknown }>(
      `SELECT max(id) AS n FROM changes WHERE kind IN (${kinds.map(() => '?').join(', ')}) AND (space_id = ? OR space_id IS NULL)`,
      [...kinds, spaceId],
    );
    return r?.n === null || r?.n === undefined ? null : num(r.n);
  }

  async pruneChanges(keep: number): Promise<void> {
    await this.c.run('DELETE FROM changes WHERE id <= (SELECT max(id) FROM changes) - ?', [keep]);
  }

  // -- OAuth

  async getOAuthClient(id: string): Promise<OAuthClientRow | undefined> {
    const r = await this.c.get('SELECT * FROM oauth_clients WHERE id = ?', [id]);
    if (r === undefined) return undefined;
    return {
      id: r.id as string,
      kind: r.kind as OAuthClientRow['kind'],
      name: r.name as string,
      redirectUris: json(r.redirect_uris),
      createdAt: date(r.created_at),
      updatedAt: date(r.updated_at),
    };
  }

  async upsertOAuthClient(o: OAuthClientRow): Promise<void> {
    await this.c.run(
      `INSERT INTO oauth_clients (id, kind, name, redirect_uris, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at`,
      [o.id, o.kind, o.name, JSON.stringify(o.redirectUris), o.createdAt, o.updatedAt],
    );
  }

  async insertOAuthCode(o: OAuthCodeRow): Promise<void> {
    await this.c.run(
      `INSERT INTO oauth_codes (hash, oauth_client_id, client_id, redirect_uri, code_challenge, resource, scope, family_id, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        o.hash,
        o.oauthClientId,
        o.clientId,
        o.redirectUri,
        o.codeChallenge,
        o.resource,
        o.scope,
        o.familyId,
        o.createdAt,
        o.expiresAt,
        o.usedAt,
      ],
    );
  }

  async getOAuthCode(hash: string): Promise<OAuthCodeRow | undefined> {
    const r = await this.c.get('SELECT * FROM oauth_codes WHERE hash = ?', [hash]);
    return r === undefined ? undefined : toOAuthCode(r);
  }

  async markOAuthCodeUsed(hash: string, at: Date): Promise<void> {
    await this.c.run('UPDATE oauth_codes SET used_at = ? WHERE hash = ?', [at, hash]);
  }

  async deleteExpiredOAuthCodes(before: Date): Promise<void> {
    await this.c.run('DELETE FROM oauth_codes WHERE expires_at < ?', [before]);
  }

  async deleteUnusedOAuthCodes(clientId: string): Promise<void> {
    await this.c.run('DELETE FROM oauth_codes WHERE client_id = ? AND used_at IS NULL', [clientId]);
  }

  async insertOAuthToken(o: Omit<OAuthTokenRow, 'id'>): Promise<void> {
    await this.c.run(
      `INSERT INTO oauth_tokens (hash, kind, oauth_client_id, client_id, family_id, scope, created_at, expires_at, rotated_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        o.hash,
        o.kind,
        o.oauthClientId,
        o.clientId,
        o.familyId,
        o.scope,
        o.createdAt,
        o.expiresAt,
        o.rotatedAt,
        o.revokedAt,
      ],
    );
  }

  async getOAuthToken(hash: string): Promise<OAuthTokenRow | undefined> {
    const r = await this.c.get('SELECT * FROM oauth_tokens WHERE hash = ?', [hash]);
    return r === undefined ? undefined : toOAuthToken(r);
  }

  async revokeOAuthTokens(s: OAuthTokenSelector, at: Date): Promise<number> {
    const [column, value] =
      'id' in s ? ['id', s.id] : 'familyId' in s ? ['family_id', s.familyId] : ['client_id', s.clientId];
    return this.c.run(`UPDATE oauth_tokens SET revoked_at = ? WHERE ${column} = ? AND revoked_at IS NULL`, [
      at,
      value,
    ]);
  }

  async markOAuthTokenRotated(id: number, at: Date): Promise<void> {
    await this.c.run('UPDATE oauth_tokens SET rotated_at = ? WHERE id = ?', [at, id]);
  }
}

/** Options of {@link SqlRepo}. */
export interface SqlRepoOptions {
  /**
   * A cheap synchronous value that moves when another connection commits (SQLite: `PRAGMA
   * data_version`). Default: a counter moved by `watchCommits` notifications (PostgreSQL: NOTIFY).
   */
  commitStamp?: () => number | string;
}

/**
 * {@link Repo} over a {@link SqlDatabase}: one implementation for SQLite and PostgreSQL. The
 * database's schema is the store's (SQLite: `drizzle/`; PostgreSQL: `pg-schema.ts`), migrated by
 * the caller.
 */
export class SqlRepo implements Repo {
  private readonly stamp: (() => number | string) | undefined;
  private commits = 0;
  private stopStampWatch: (() => void) | undefined;

  constructor(
    readonly db: SqlDatabase,
    options: SqlRepoOptions = {},
  ) {
    this.stamp = options.commitStamp;
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.read((c) => fn(new SqlStoreTx(c)));
  }

  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.write((c) => fn(new SqlStoreTx(c)));
  }

  watchCommits(listener: () => void, options: RepoWatchOptions = {}): () => void {
    return this.db.watchCommits(listener, options);
  }

  commitStamp(): number | string {
    if (this.stamp !== undefined) return this.stamp();
    this.stopStampWatch ??= this.db.watchCommits(() => {
      this.commits++;
    });
    // Other writers' commits only: the database does not tell this object of its own.
    return this.commits;
  }

  async close(): Promise<void> {
    this.stopStampWatch?.();
    this.stopStampWatch = undefined;
    await this.db.close();
  }
}
