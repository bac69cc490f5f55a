import { AsyncLocalStorage } from 'node:async_hooks';
import { McpmuxError } from '@mcpmux/core';
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
import { integrityError, MemoryTable, type UndoLog } from './memory-table.js';
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
  StoreTx,
} from './repo.js';
import { opt } from './util.js';

// The Repo over plain maps. Rows are stored as the SQL schema stores them (times as ms, JSON as
// text, absent values as null), so every read builds fresh objects (callers may mutate them) and
// behaves as the SQL repo's does: the same orderings, cascades and JSON round trips.

interface SpaceRec {
  id: string;
  name: string;
  icon: string | null;
  description: string | null;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

interface ServerRec {
  id: string;
  name: string;
  description: string | null;
  transport: string;
  inputs: string;
  defaultEnabled: boolean;
  timeoutSeconds: number | null;
  createdAt: number;
  updatedAt: number;
}

interface InstallationRec {
  spaceId: string;
  serverId: string;
  alias: string;
  prefix: boolean;
  enabled: boolean;
  overrides: string;
  installedAt: number;
}

interface SetRec {
  spaceId: string;
  id: string;
  name: string;
  description: string | null;
  kind: FeatureSet['kind'];
  serverId: string | null;
  members: string;
  createdAt: number;
  updatedAt: number;
}

interface ClientRec {
  id: string;
  name: string;
  mode: Client['mode'];
  pinnedSpaceId: string | null;
  lean: boolean;
  pinnedTools: string;
  createdAt: number;
  updatedAt: number;
}

interface AccessKeyRec {
  id: number;
  clientId: string;
  hash: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  expiresAt: number | null;
}

interface GrantRec {
  clientId: string;
  spaceId: string;
  setId: string;
  createdAt: number;
}

interface FeatureRec {
  id: number;
  spaceId: string;
  serverId: string;
  kind: StoredFeature['kind'];
  name: string;
  description: string | null;
  annotations: string | null;
  definition: string | null;
  definitionHash: string;
  available: boolean;
  firstSeenAt: number;
  lastSeenAt: number;
}

interface AuditRec {
  id: number;
  at: number;
  action: string;
  clientId: string | null;
  spaceId: string | null;
  featureKind: Feature['kind'] | null;
  featureServer: string | null;
  featureName: string | null;
  decision: AuditEvent['decision'] | null;
  outcome: AuditEvent['outcome'] | null;
  durationMs: number | null;
  detail: string | null;
}

interface ChangeRec {
  id: number;
  kind: ChangeKind;
  spaceId: string | null;
  at: number;
}

interface OAuthClientRec {
  id: string;
  kind: OAuthClientRow['kind'];
  name: string;
  redirectUris: string;
  createdAt: number;
  updatedAt: number;
}

interface OAuthCodeRec {
  hash: string;
  oauthClientId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string | null;
  scope: string | null;
  familyId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

interface OAuthTokenRec {
  id: number;
  hash: string;
  kind: OAuthTokenRow['kind'];
  oauthClientId: string;
  clientId: string;
  familyId: string;
  scope: string | null;
  createdAt: number;
  expiresAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

const pair = (a: string, b: string) => `${a}\0${b}`;
const ms = (d: Date): number => d.getTime();
const msOrNull = (d: Date | null | undefined): number | null =>
  d === null || d === undefined ? null : ms(d);
const dateOrNull = (v: number | null): Date | null => (v === null ? null : new Date(v));
const jsonOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const parse = <T>(text: string): T => JSON.parse(text) as T;
/** Code-unit order, as SQLite's default `BINARY` collation sorts the store's ASCII ids. */
const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every table of the store, and the autoincrement sequences (which roll back with a transaction). */
class MemoryTables {
  readonly spaces = new MemoryTable<SpaceRec>('space', (r) => r.id);
  readonly servers = new MemoryTable<ServerRec>('server', (r) => r.id);
  readonly installations = new MemoryTable<InstallationRec>(
    'installation',
    (r) => pair(r.spaceId, r.serverId),
    [(r) => pair(r.spaceId, r.alias)],
  );
  readonly featureSets = new MemoryTable<SetRec>('feature set', (r) => pair(r.spaceId, r.id));
  readonly clients = new MemoryTable<ClientRec>('client', (r) => r.id);
  readonly accessKeys = new MemoryTable<AccessKeyRec>('access key', (r) => r.id, [(r) => r.hash]);
  readonly grants = new MemoryTable<GrantRec>('grant', (r) => `${r.clientId}\0${r.spaceId}\0${r.setId}`);
  readonly discovered = new MemoryTable<FeatureRec>('discovered feature', (r) => r.id, [
    (r) => `${r.spaceId}\0${r.serverId}\0${r.kind}\0${r.name}`,
  ]);
  readonly audit = new MemoryTable<AuditRec>('audit event', (r) => r.id);
  readonly changes = new MemoryTable<ChangeRec>('change', (r) => r.id);
  readonly oauthClients = new MemoryTable<OAuthClientRec>('oauth client', (r) => r.id);
  readonly oauthCodes = new MemoryTable<OAuthCodeRec>('oauth code', (r) => r.hash);
  readonly oauthTokens = new MemoryTable<OAuthTokenRec>('oauth token', (r) => r.id, [(r) => r.hash]);
  /** The last id handed out per autoincremented table. */
  seq = { accessKeys: 0, discovered: 0, audit: 0, changes: 0, oauthTokens: 0 };
}

function toSpace(r: SpaceRec): Space {
  return {
    id: r.id,
    name: r.name,
    ...opt('icon', r.icon),
    ...opt('description', r.description),
    active: r.active,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

function toServer(r: ServerRec): ServerDefinition {
  return {
    id: r.id,
    name: r.name,
    ...opt('description', r.description),
    transport: parse(r.transport),
    inputs: parse(r.inputs),
    defaultEnabled: r.defaultEnabled,
    ...opt('timeoutSeconds', r.timeoutSeconds),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

function toInstallation(r: InstallationRec): Installation {
  return {
    spaceId: r.spaceId,
    serverId: r.serverId,
    alias: r.alias,
    prefix: r.prefix,
    enabled: r.enabled,
    overrides: parse(r.overrides),
    installedAt: new Date(r.installedAt),
  };
}

function toSet(r: SetRec): FeatureSetRow {
  return {
    spaceId: r.spaceId,
    id: r.id,
    name: r.name,
    ...opt('description', r.description),
    kind: r.kind,
    ...opt('server', r.serverId),
    members: parse(r.members),
  };
}

function toClient(r: ClientRec): Client {
  return {
    id: r.id,
    name: r.name,
    mode: r.mode,
    ...opt('pinnedSpaceId', r.pinnedSpaceId),
    lean: r.lean,
    pinnedTools: parse(r.pinnedTools),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

function toAccessKey(r: AccessKeyRec): AccessKeyRow {
  return {
    id: r.id,
    clientId: r.clientId,
    hash: r.hash,
    prefix: r.prefix,
    createdAt: new Date(r.createdAt),
    ...opt('lastUsedAt', dateOrNull(r.lastUsedAt)),
    ...opt('revokedAt', dateOrNull(r.revokedAt)),
    ...opt('expiresAt', dateOrNull(r.expiresAt)),
  };
}

function toStoredFeature(r: FeatureRec): StoredFeature {
  return {
    id: r.id,
    spaceId: r.spaceId,
    kind: r.kind,
    server: r.serverId,
    name: r.name,
    ...opt('description', r.description),
    ...opt('annotations', r.annotations === null ? null : parse<Feature['annotations']>(r.annotations)),
    definitionHash: r.definitionHash,
    ...opt('definition', r.definition === null ? null : parse<Record<string, unknown>>(r.definition)),
    available: r.available,
    firstSeenAt: new Date(r.firstSeenAt),
    lastSeenAt: new Date(r.lastSeenAt),
  };
}

function toAudit(r: AuditRec): AuditEvent {
  const feature =
    r.featureKind === null || r.featureServer === null || r.featureName === null
      ? null
      : { kind: r.featureKind, server: r.featureServer, name: r.featureName };
  return {
    id: r.id,
    at: new Date(r.at),
    action: r.action,
    ...opt('clientId', r.clientId),
    ...opt('spaceId', r.spaceId),
    ...opt('feature', feature),
    ...opt('decision', r.decision),
    ...opt('outcome', r.outcome),
    ...opt('durationMs', r.durationMs),
    ...opt('detail', r.detail === null ? null : parse<Record<string, unknown>>(r.detail)),
  };
}

function toOAuthCode(r: OAuthCodeRec): OAuthCodeRow {
  return {
    ...r,
    createdAt: new Date(r.createdAt),
    expiresAt: new Date(r.expiresAt),
    usedAt: dateOrNull(r.usedAt),
  };
}

function toOAuthToken(r: OAuthTokenRec): OAuthTokenRow {
  return {
    ...r,
    createdAt: new Date(r.createdAt),
    expiresAt: new Date(r.expiresAt),
    rotatedAt: dateOrNull(r.rotatedAt),
    revokedAt: dateOrNull(r.revokedAt),
  };
}

function spaceRec(s: Space, active: boolean): SpaceRec {
  return {
    id: s.id,
    name: s.name,
    icon: s.icon ?? null,
    description: s.description ?? null,
    active,
    createdAt: ms(s.createdAt),
    updatedAt: ms(s.updatedAt),
  };
}

function serverRec(s: ServerDefinition, createdAt: number): ServerRec {
  return {
    id: s.id,
    name: s.name,
    description: s.description ?? null,
    transport: JSON.stringify(s.transport),
    inputs: JSON.stringify(s.inputs),
    defaultEnabled: s.defaultEnabled,
    timeoutSeconds: s.timeoutSeconds ?? null,
    createdAt,
    updatedAt: ms(s.updatedAt),
  };
}

function installationRec(i: Installation): InstallationRec {
  return {
    spaceId: i.spaceId,
    serverId: i.serverId,
    alias: i.alias,
    prefix: i.prefix,
    enabled: i.enabled,
    overrides: JSON.stringify(i.overrides),
    installedAt: ms(i.installedAt),
  };
}

function clientRec(c: Client, createdAt: number): ClientRec {
  return {
    id: c.id,
    name: c.name,
    mode: c.mode,
    pinnedSpaceId: c.pinnedSpaceId ?? null,
    lean: c.lean,
    pinnedTools: JSON.stringify(c.pinnedTools),
    createdAt,
    updatedAt: ms(c.updatedAt),
  };
}

/** The stored columns a discovery writes for a feature (as the SQL repo's `UPDATE`). */
function featureColumns(f: DiscoveredFeature) {
  return {
    description: f.description ?? null,
    annotations: jsonOrNull(f.annotations),
    definition: jsonOrNull(f.definition),
    definitionHash: f.definitionHash,
  };
}

/** {@link StoreTx} over {@link MemoryTables}; `undo` is `undefined` in a read transaction. */
class MemoryStoreTx implements StoreTx {
  readonly connection = undefined;
  /** False once the transaction ended: a late call is a bug that would otherwise go unnoticed. */
  open = true;

  constructor(
    private readonly t: MemoryTables,
    private readonly undo: UndoLog | undefined,
  ) {}

  /** The undo log, or a throw when this is a read transaction (or over). */
  private get u(): UndoLog {
    this.check();
    if (this.undo === undefined) {
      throw new McpmuxError('INTERNAL', 'A read transaction of the in-memory store tried to write.');
    }
    return this.undo;
  }

  private check(): void {
    if (!this.open) {
      throw new McpmuxError(
        'INTERNAL',
        'An in-memory store transaction was used after it ended; use the store again instead.',
      );
    }
  }

  /** Throws the error SQL would for a foreign key naming a missing row. */
  private requireRow<R>(table: MemoryTable<R>, key: string, what: string): void {
    if (table.get(key) === undefined) throw integrityError(`${what} names missing ${table.name} "${key}"`);
  }

  // -- Spaces

  async getSpace(id: string): Promise<Space | undefined> {
    this.check();
    const r = this.t.spaces.get(id);
    return r === undefined ? undefined : toSpace(r);
  }

  async listSpaces(): Promise<Space[]> {
    this.check();
    return [...this.t.spaces.values()].sort((a, b) => cmp(a.id, b.id)).map(toSpace);
  }

  async getActiveSpace(): Promise<Space | undefined> {
    this.check();
    for (const r of this.t.spaces.values()) if (r.active) return toSpace(r);
    return undefined;
  }

  async countSpaces(): Promise<number> {
    this.check();
    return this.t.spaces.size;
  }

  async insertSpace(s: Space): Promise<void> {
    const u = this.u;
    if (s.active && [...this.t.spaces.values()].some((r) => r.active)) {
      throw integrityError('a second active Space');
    }
    this.t.spaces.insert(spaceRec(s, s.active), u);
  }

  async updateSpace(s: Space): Promise<void> {
    const u = this.u;
    const old = this.t.spaces.get(s.id);
    if (old === undefined) return;
    this.t.spaces.replace(
      {
        ...old,
        name: s.name,
        icon: s.icon ?? null,
        description: s.description ?? null,
        updatedAt: ms(s.updatedAt),
      },
      u,
    );
  }

  async setActiveSpace(id: string): Promise<void> {
    const u = this.u;
    for (const r of [...this.t.spaces.values()]) {
      if (r.active && r.id !== id) this.t.spaces.replace({ ...r, active: false }, u);
    }
    const target = this.t.spaces.get(id);
    if (target !== undefined && !target.active) this.t.spaces.replace({ ...target, active: true }, u);
  }

  async deleteSpace(id: string): Promise<void> {
    const u = this.u;
    const pinned = [...this.t.clients.values()].filter((c) => c.pinnedSpaceId === id);
    if (pinned.length > 0) throw integrityError(`Space "${id}" deleted while clients are pinned to it`);
    this.t.audit.deleteWhere((r) => r.spaceId === id, u);
    this.t.grants.deleteWhere((r) => r.spaceId === id, u);
    this.t.discovered.deleteWhere((r) => r.spaceId === id, u);
    this.t.featureSets.deleteWhere((r) => r.spaceId === id, u);
    this.t.installations.deleteWhere((r) => r.spaceId === id, u);
    this.t.spaces.delete(id, u);
  }

  // -- Server definitions

  async getServer(id: string): Promise<ServerDefinition | undefined> {
    this.check();
    const r = this.t.servers.get(id);
    return r === undefined ? undefined : toServer(r);
  }

  async listServers(): Promise<ServerDefinition[]> {
    this.check();
    return [...this.t.servers.values()].sort((a, b) => cmp(a.id, b.id)).map(toServer);
  }

  async listDefaultEnabledServers(): Promise<ServerDefinition[]> {
    this.check();
    return [...this.t.servers.values()]
      .filter((r) => r.defaultEnabled)
      .sort((a, b) => cmp(a.id, b.id))
      .map(toServer);
  }

  async insertServer(s: ServerDefinition): Promise<void> {
    this.t.servers.insert(serverRec(s, ms(s.createdAt)), this.u);
  }

  async updateServer(s: ServerDefinition): Promise<void> {
    const u = this.u;
    const old = this.t.servers.get(s.id);
    if (old !== undefined) this.t.servers.replace(serverRec(s, old.createdAt), u);
  }

  async deleteServer(id: string): Promise<void> {
    const u = this.u;
    // Sets of the server go with their grants (SQL: `ON DELETE CASCADE` from sets to grants).
    const sets = new Set(
      [...this.t.featureSets.values()].filter((r) => r.serverId === id).map((r) => pair(r.spaceId, r.id)),
    );
    this.t.grants.deleteWhere((r) => sets.has(pair(r.spaceId, r.setId)), u);
    this.t.featureSets.deleteWhere((r) => r.serverId === id, u);
    this.t.discovered.deleteWhere((r) => r.serverId === id, u);
    this.t.installations.deleteWhere((r) => r.serverId === id, u);
    this.t.servers.delete(id, u);
  }

  // -- Installations

  async getInstallation(spaceId: string, serverId: string): Promise<Installation | undefined> {
    this.check();
    const r = this.t.installations.get(pair(spaceId, serverId));
    return r === undefined ? undefined : toInstallation(r);
  }

  async listInstallations(q: InstallationQuery): Promise<Installation[]> {
    this.check();
    return [...this.t.installations.values()]
      .filter(
        (r) =>
          (q.spaceId === undefined || r.spaceId === q.spaceId) &&
          (q.serverId === undefined || r.serverId === q.serverId) &&
          (q.alias === undefined || r.alias === q.alias),
      )
      .sort(
        (a, b) =>
          cmp(a.installedAt, b.installedAt) || cmp(a.serverId, b.serverId) || cmp(a.spaceId, b.spaceId),
      )
      .map(toInstallation);
  }

  async insertInstallation(i: Installation): Promise<void> {
    const u = this.u;
    this.requireRow(this.t.spaces, i.spaceId, 'an installation');
    this.requireRow(this.t.servers, i.serverId, 'an installation');
    this.t.installations.insert(installationRec(i), u);
  }

  async updateInstallation(i: Installation): Promise<void> {
    this.t.installations.replace(installationRec(i), this.u);
  }

  async deleteInstallation(spaceId: string, serverId: string): Promise<boolean> {
    return this.t.installations.delete(pair(spaceId, serverId), this.u);
  }

  async listEffective(spaceId: string): Promise<EffectiveRow[]> {
    this.check();
    const rows: { server: ServerRec; installation: InstallationRec | undefined; at: number }[] = [];
    for (const server of this.t.servers.values()) {
      const installation = this.t.installations.get(pair(spaceId, server.id));
      if (installation === undefined ? server.defaultEnabled : installation.enabled) {
        rows.push({ server, installation, at: installation?.installedAt ?? server.createdAt });
      }
    }
    rows.sort((a, b) => cmp(a.at, b.at) || cmp(a.server.id, b.server.id));
    return rows.map(({ server, installation }) => ({
      server: toServer(server),
      ...(installation === undefined ? {} : { installation: toInstallation(installation) }),
      configKey: `${server.transport}\0${installation?.overrides ?? ''}\0${server.timeoutSeconds ?? ''}`,
    }));
  }

  // -- FeatureSets

  async getFeatureSet(spaceId: string, id: string): Promise<FeatureSetRow | undefined> {
    this.check();
    const r = this.t.featureSets.get(pair(spaceId, id));
    return r === undefined ? undefined : toSet(r);
  }

  async listFeatureSets(q: FeatureSetQuery): Promise<FeatureSetRow[]> {
    this.check();
    return [...this.t.featureSets.values()]
      .filter(
        (r) =>
          (q.spaceId === undefined || r.spaceId === q.spaceId) &&
          (q.kind === undefined || r.kind === q.kind) &&
          (q.serverId === undefined || r.serverId === q.serverId) &&
          (q.id === undefined || r.id === q.id),
      )
      .sort((a, b) => cmp(a.spaceId, b.spaceId) || cmp(a.id, b.id))
      .map(toSet);
  }

  async insertFeatureSet(s: FeatureSetRow, now: Date): Promise<void> {
    const u = this.u;
    this.requireRow(this.t.spaces, s.spaceId, 'a feature set');
    if (s.server !== undefined) this.requireRow(this.t.servers, s.server, 'a feature set');
    this.t.featureSets.insert(
      {
        spaceId: s.spaceId,
        id: s.id,
        name: s.name,
        description: s.description ?? null,
        kind: s.kind,
        serverId: s.server ?? null,
        members: JSON.stringify(s.members),
        createdAt: ms(now),
        updatedAt: ms(now),
      },
      u,
    );
  }

  async updateFeatureSet(s: FeatureSetRow, updatedAt: Date): Promise<void> {
    const u = this.u;
    const old = this.t.featureSets.get(pair(s.spaceId, s.id));
    if (old === undefined) return;
    this.t.featureSets.replace(
      {
        ...old,
        name: s.name,
        description: s.description ?? null,
        members: JSON.stringify(s.members),
        updatedAt: ms(updatedAt),
      },
      u,
    );
  }

  async deleteFeatureSet(spaceId: string, id: string): Promise<void> {
    const u = this.u;
    this.t.grants.deleteWhere((r) => r.spaceId === spaceId && r.setId === id, u);
    this.t.featureSets.delete(pair(spaceId, id), u);
  }

  // -- Clients and access keys

  async getClient(id: string): Promise<Client | undefined> {
    this.check();
    const r = this.t.clients.get(id);
    return r === undefined ? undefined : toClient(r);
  }

  async listClients(): Promise<Client[]> {
    this.check();
    return [...this.t.clients.values()].sort((a, b) => cmp(a.id, b.id)).map(toClient);
  }

  async listClientsPinnedTo(spaceId: string): Promise<string[]> {
    this.check();
    return [...this.t.clients.values()]
      .filter((r) => r.pinnedSpaceId === spaceId)
      .map((r) => r.id)
      .sort(cmp);
  }

  async insertClient(c: Client): Promise<void> {
    const u = this.u;
    if (c.pinnedSpaceId !== undefined) this.requireRow(this.t.spaces, c.pinnedSpaceId, 'a client');
    this.t.clients.insert(clientRec(c, ms(c.createdAt)), u);
  }

  async updateClient(c: Client): Promise<void> {
    const u = this.u;
    const old = this.t.clients.get(c.id);
    if (old === undefined) return;
    if (c.pinnedSpaceId !== undefined) this.requireRow(this.t.spaces, c.pinnedSpaceId, 'a client');
    this.t.clients.replace(clientRec(c, old.createdAt), u);
  }

  async deleteClient(id: string): Promise<void> {
    const u = this.u;
    this.t.oauthTokens.deleteWhere((r) => r.clientId === id, u);
    this.t.oauthCodes.deleteWhere((r) => r.clientId === id, u);
    this.t.grants.deleteWhere((r) => r.clientId === id, u);
    this.t.accessKeys.deleteWhere((r) => r.clientId === id, u);
    this.t.clients.delete(id, u);
  }

  async insertAccessKey(k: Omit<AccessKeyRow, 'id'>): Promise<void> {
    const u = this.u;
    this.requireRow(this.t.clients, k.clientId, 'an access key');
    this.t.accessKeys.insert(
      {
        id: this.t.seq.accessKeys + 1,
        clientId: k.clientId,
        hash: k.hash,
        prefix: k.prefix,
        createdAt: ms(k.createdAt),
        lastUsedAt: msOrNull(k.lastUsedAt),
        revokedAt: msOrNull(k.revokedAt),
        expiresAt: msOrNull(k.expiresAt),
      },
      u,
    );
    this.t.seq.accessKeys++;
  }

  async listAccessKeys(clientId: string): Promise<AccessKeyRow[]> {
    this.check();
    return [...this.t.accessKeys.values()]
      .filter((r) => r.clientId === clientId)
      .reverse()
      .map(toAccessKey);
  }

  async getAccessKeyByHash(hash: string): Promise<AccessKeyRow | undefined> {
    this.check();
    const r = this.t.accessKeys.getUnique(0, hash);
    return r === undefined ? undefined : toAccessKey(r);
  }

  async revokeAccessKeys(clientId: string, at: Date): Promise<void> {
    const u = this.u;
    for (const r of [...this.t.accessKeys.values()]) {
      if (r.clientId === clientId && r.revokedAt === null) {
        this.t.accessKeys.replace({ ...r, revokedAt: ms(at) }, u);
      }
    }
  }

  async setAccessKeyLastUsed(id: number, at: Date): Promise<void> {
    const u = this.u;
    const r = this.t.accessKeys.get(id);
    if (r !== undefined) this.t.accessKeys.replace({ ...r, lastUsedAt: ms(at) }, u);
  }

  // -- Grants

  async insertGrant(g: Grant): Promise<boolean> {
    const u = this.u;
    const key = `${g.clientId}\0${g.spaceId}\0${g.setId}`;
    if (this.t.grants.get(key) !== undefined) return false;
    this.requireRow(this.t.clients, g.clientId, 'a grant');
    this.requireRow(this.t.featureSets, pair(g.spaceId, g.setId), 'a grant');
    this.t.grants.insert(
      { clientId: g.clientId, spaceId: g.spaceId, setId: g.setId, createdAt: ms(g.createdAt) },
      u,
    );
    return true;
  }

  async deleteGrant(clientId: string, spaceId: string, setId: string): Promise<boolean> {
    return this.t.grants.delete(`${clientId}\0${spaceId}\0${setId}`, this.u);
  }

  async listGrants(clientId: string, spaceId?: string): Promise<Grant[]> {
    this.check();
    return [...this.t.grants.values()]
      .filter((r) => r.clientId === clientId && (spaceId === undefined || r.spaceId === spaceId))
      .sort((a, b) => cmp(a.spaceId, b.spaceId) || cmp(a.setId, b.setId))
      .map((r) => ({ ...r, createdAt: new Date(r.createdAt) }));
  }

  // -- Discovered features

  private featuresOf(spaceId: string, serverId?: string): FeatureRec[] {
    const out: FeatureRec[] = [];
    for (const r of this.t.discovered.values()) {
      if (r.spaceId === spaceId && (serverId === undefined || r.serverId === serverId)) out.push(r);
    }
    return out;
  }

  async listDiscoveredState(spaceId: string, serverId: string): Promise<DiscoveredState[]> {
    this.check();
    return this.featuresOf(spaceId, serverId).map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      description: r.description,
      annotations: r.annotations,
      definitionHash: r.definitionHash,
      available: r.available,
    }));
  }

  async applyDiscovered(spaceId: string, serverId: string, w: DiscoveredWrites, now: Date): Promise<void> {
    const u = this.u;
    const at = ms(now);
    for (const id of w.markUnavailable) {
      const r = this.t.discovered.get(id);
      if (r !== undefined) this.t.discovered.replace({ ...r, available: false }, u);
    }
    for (const { id, feature } of w.update) {
      const r = this.t.discovered.get(id);
      if (r !== undefined) {
        this.t.discovered.replace({ ...r, ...featureColumns(feature), available: true, lastSeenAt: at }, u);
      }
    }
    if (w.insert.length === 0) return;
    this.requireRow(this.t.spaces, spaceId, 'a discovered feature');
    this.requireRow(this.t.servers, serverId, 'a discovered feature');
    for (const f of w.insert) {
      this.t.discovered.insert(
        {
          id: this.t.seq.discovered + 1,
          spaceId,
          serverId,
          kind: f.kind,
          name: f.name,
          ...featureColumns(f),
          available: true,
          firstSeenAt: at,
          lastSeenAt: at,
        },
        u,
      );
      this.t.seq.discovered++;
    }
  }

  async markUnavailable(spaceId: string, serverId: string): Promise<number> {
    const u = this.u;
    let n = 0;
    for (const r of this.featuresOf(spaceId, serverId)) {
      if (!r.available) continue;
      this.t.discovered.replace({ ...r, available: false }, u);
      n++;
    }
    return n;
  }

  async deleteDiscovered(spaceId: string, serverId: string): Promise<number> {
    return this.t.discovered.deleteWhere((r) => r.spaceId === spaceId && r.serverId === serverId, this.u);
  }

  async listDiscoveredOwners(q: { spaceId: string } | { serverId: string }): Promise<string[]> {
    this.check();
    const owners = new Set<string>();
    for (const r of this.t.discovered.values()) {
      if ('spaceId' in q) {
        if (r.spaceId === q.spaceId) owners.add(r.serverId);
      } else if (r.serverId === q.serverId) owners.add(r.spaceId);
    }
    return [...owners].sort(cmp);
  }

  async listDiscovered(
    spaceId: string,
    opts: { serverId?: string; availableOnly?: boolean },
  ): Promise<StoredFeature[]> {
    this.check();
    return this.featuresOf(spaceId, opts.serverId)
      .filter((r) => opts.availableOnly !== true || r.available)
      .sort((a, b) => cmp(a.serverId, b.serverId) || cmp(a.kind, b.kind) || cmp(a.name, b.name))
      .map(toStoredFeature);
  }

  async listCatalog(spaceId: string): Promise<Feature[]> {
    this.check();
    // As the SQL repo: each distinct annotation text parsed once per call and shared (read-only).
    const parsed = new Map<string, NonNullable<Feature['annotations']>>();
    const rows = this.featuresOf(spaceId)
      .filter((r) => r.available)
      .sort((a, b) => cmp(a.serverId, b.serverId) || cmp(a.kind, b.kind) || cmp(a.name, b.name));
    return rows.map(({ kind, serverId: server, name, annotations }) => {
      if (annotations === null) return { kind, server, name };
      let a = parsed.get(annotations);
      if (a === undefined) {
        a = parse<NonNullable<Feature['annotations']>>(annotations);
        parsed.set(annotations, a);
      }
      return { kind, server, name, annotations: a };
    });
  }

  // -- Audit

  async appendAudit(events: AuditRow[]): Promise<void> {
    const u = this.u;
    for (const e of events) {
      this.t.audit.insert(
        {
          id: this.t.seq.audit + 1,
          at: ms(e.at),
          action: e.action,
          clientId: e.clientId ?? null,
          spaceId: e.spaceId ?? null,
          featureKind: e.feature?.kind ?? null,
          featureServer: e.feature?.server ?? null,
          featureName: e.feature?.name ?? null,
          decision: e.decision ?? null,
          outcome: e.outcome ?? null,
          durationMs: e.durationMs ?? null,
          detail: jsonOrNull(e.detail),
        },
        u,
      );
      this.t.seq.audit++;
    }
  }

  async listAudit(f: AuditFilter): Promise<AuditEvent[]> {
    this.check();
    const limit = f.limit ?? 100;
    const since = f.since === undefined ? undefined : ms(f.since);
    const until = f.until === undefined ? undefined : ms(f.until);
    const rows = [...this.t.audit.values()];
    const out: AuditEvent[] = [];
    for (let i = rows.length - 1; i >= 0 && out.length < limit; i--) {
      const r = rows[i]!;
      if (f.clientId !== undefined && r.clientId !== f.clientId) continue;
      if (f.spaceId !== undefined && r.spaceId !== f.spaceId) continue;
      if (f.action !== undefined && r.action !== f.action) continue;
      if (since !== undefined && r.at < since) continue;
      if (until !== undefined && r.at > until) continue;
      out.push(toAudit(r));
    }
    return out;
  }

  async pruneAudit(retention: { before: Date } | { keep: number }): Promise<number> {
    const u = this.u;
    if ('before' in retention) {
      const before = ms(retention.before);
      return this.t.audit.deleteWhere((r) => r.at < before, u);
    }
    const ids = [...this.t.audit.values()].map((r) => r.id);
    const cutoff = retention.keep === 0 ? Number.POSITIVE_INFINITY : ids[ids.length - retention.keep];
    if (cutoff === undefined) return 0;
    return this.t.audit.deleteWhere((r) => r.id < cutoff, u);
  }

  // -- Changes

  async appendChange(kind: ChangeKind, spaceId: string | null, at: Date): Promise<void> {
    // No other process or replica shares this memory: the engine's own commit path tells watchers.
    this.t.changes.insert({ id: this.t.seq.changes + 1, kind, spaceId, at: ms(at) }, this.u);
    this.t.seq.changes++;
  }

  async changesSince(cursor: number): Promise<ChangeRow[]> {
    this.check();
    const out: ChangeRow[] = [];
    for (const r of this.t.changes.values()) {
      if (r.id > cursor) out.push({ id: r.id, kind: r.kind, spaceId: r.spaceId });
    }
    return out;
  }

  async revision(): Promise<number> {
    this.check();
    return this.t.seq.changes;
  }

  async latestChange(kinds: readonly ChangeKind[], spaceId: string): Promise<number | null> {
    this.check();
    let latest: number | null = null;
    for (const r of this.t.changes.values()) {
      if (kinds.includes(r.kind) && (r.spaceId === spaceId || r.spaceId === null)) latest = r.id;
    }
    return latest;
  }

  async pruneChanges(keep: number): Promise<void> {
    const u = this.u;
    let max = Number.NEGATIVE_INFINITY;
    for (const r of this.t.changes.values()) max = Math.max(max, r.id);
    this.t.changes.deleteWhere((r) => r.id <= max - keep, u);
  }

  // -- OAuth

  async getOAuthClient(id: string): Promise<OAuthClientRow | undefined> {
    this.check();
    const r = this.t.oauthClients.get(id);
    if (r === undefined) return undefined;
    return {
      ...r,
      redirectUris: parse(r.redirectUris),
      createdAt: new Date(r.createdAt),
      updatedAt: new Date(r.updatedAt),
    };
  }

  async upsertOAuthClient(o: OAuthClientRow): Promise<void> {
    const u = this.u;
    const old = this.t.oauthClients.get(o.id);
    const rec: OAuthClientRec = {
      id: o.id,
      kind: old?.kind ?? o.kind,
      name: o.name,
      redirectUris: JSON.stringify(o.redirectUris),
      createdAt: old?.createdAt ?? ms(o.createdAt),
      updatedAt: ms(o.updatedAt),
    };
    if (old === undefined) this.t.oauthClients.insert(rec, u);
    else this.t.oauthClients.replace(rec, u);
  }

  async insertOAuthCode(o: OAuthCodeRow): Promise<void> {
    const u = this.u;
    this.requireRow(this.t.oauthClients, o.oauthClientId, 'an OAuth code');
    this.requireRow(this.t.clients, o.clientId, 'an OAuth code');
    this.t.oauthCodes.insert(
      {
        hash: o.hash,
        oauthClientId: o.oauthClientId,
        clientId: o.clientId,
        redirectUri: o.redirectUri,
        codeChallenge: o.codeChallenge,
        resource: o.resource,
        scope: o.scope,
        familyId: o.familyId,
        createdAt: ms(o.createdAt),
        expiresAt: ms(o.expiresAt),
        usedAt: msOrNull(o.usedAt),
      },
      u,
    );
  }

  async getOAuthCode(hash: string): Promise<OAuthCodeRow | undefined> {
    this.check();
    const r = this.t.oauthCodes.get(hash);
    return r === undefined ? undefined : toOAuthCode(r);
  }

  async markOAuthCodeUsed(hash: string, at: Date): Promise<void> {
    const u = this.u;
    const r = this.t.oauthCodes.get(hash);
    if (r !== undefined) this.t.oauthCodes.replace({ ...r, usedAt: ms(at) }, u);
  }

  async deleteExpiredOAuthCodes(before: Date): Promise<void> {
    const b = ms(before);
    this.t.oauthCodes.deleteWhere((r) => r.expiresAt < b, this.u);
  }

  async deleteUnusedOAuthCodes(clientId: string): Promise<void> {
    this.t.oauthCodes.deleteWhere((r) => r.clientId === clientId && r.usedAt === null, this.u);
  }

  async insertOAuthToken(o: Omit<OAuthTokenRow, 'id'>): Promise<void> {
    const u = this.u;
    this.requireRow(this.t.oauthClients, o.oauthClientId, 'an OAuth token');
    this.requireRow(this.t.clients, o.clientId, 'an OAuth token');
    this.t.oauthTokens.insert(
      {
        id: this.t.seq.oauthTokens + 1,
        hash: o.hash,
        kind: o.kind,
        oauthClientId: o.oauthClientId,
        clientId: o.clientId,
        familyId: o.familyId,
        scope: o.scope,
        createdAt: ms(o.createdAt),
        expiresAt: ms(o.expiresAt),
        rotatedAt: msOrNull(o.rotatedAt),
        revokedAt: msOrNull(o.revokedAt),
      },
      u,
    );
    this.t.seq.oauthTokens++;
  }

  async getOAuthToken(hash: string): Promise<OAuthTokenRow | undefined> {
    this.check();
    const r = this.t.oauthTokens.getUnique(0, hash);
    return r === undefined ? undefined : toOAuthToken(r);
  }

  async revokeOAuthTokens(s: OAuthTokenSelector, at: Date): Promise<number> {
    const u = this.u;
    const selected =
      'id' in s
        ? (r: OAuthTokenRec) => r.id === s.id
        : 'familyId' in s
          ? (r: OAuthTokenRec) => r.familyId === s.familyId
          : (r: OAuthTokenRec) => r.clientId === s.clientId;
    let n = 0;
    for (const r of [...this.t.oauthTokens.values()]) {
      if (r.revokedAt !== null || !selected(r)) continue;
      this.t.oauthTokens.replace({ ...r, revokedAt: ms(at) }, u);
      n++;
    }
    return n;
  }

  async markOAuthTokenRotated(id: number, at: Date): Promise<void> {
    const u = this.u;
    const r = this.t.oauthTokens.get(id);
    if (r !== undefined) this.t.oauthTokens.replace({ ...r, rotatedAt: ms(at) }, u);
  }
}

/**
 * {@link Repo} over plain maps, for tests, embedding and demos: nothing is written to disk and
 * nothing crosses processes. Reads and writes run one at a time in call order (an async queue, as
 * on one SQLite connection), so a read never sees half of a write; a write whose `fn` throws is
 * undone from its undo log. Calling `read` or `write` from inside `fn` throws instead of deadlocking.
 */
export class MemoryRepo implements Repo {
  private readonly tables = new MemoryTables();
  private readonly inside = new AsyncLocalStorage<true>();
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const tx = new MemoryStoreTx(this.tables, undefined);
      try {
        return await fn(tx);
      } finally {
        tx.open = false;
      }
    });
  }

  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const undo: UndoLog = [];
      const seq = { ...this.tables.seq };
      const tx = new MemoryStoreTx(this.tables, undo);
      try {
        return await fn(tx);
      } catch (e) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        this.tables.seq = seq;
        throw e;
      } finally {
        tx.open = false;
      }
    });
  }

  /** Never calls `listener`: no other connection, process or replica writes this memory. */
  watchCommits(_listener: () => void): () => void {
    return () => {};
  }

  /** Constant: only this repo's own engine writes (its local writes move its policy cache). */
  commitStamp(): number {
    return 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
  }

  /** Runs `fn` alone: no other transaction of this repo interleaves with it. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore() === true) {
      throw new McpmuxError(
        'INTERNAL',
        'A transaction was opened inside another on the same in-memory store; use the transaction the outer one passed in.',
      );
    }
    if (this.closed) throw new McpmuxError('INTERNAL', 'The in-memory store is closed.');
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await this.inside.run(true, fn);
    } finally {
      release();
    }
  }
}
