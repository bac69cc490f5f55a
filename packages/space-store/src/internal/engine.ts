import { McpmuxError, parseOrThrow } from '@mcpmux/core';
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
  type AuditFilter,
  AuditFilterSchema,
  type AuditRetention,
  AuditRetentionSchema,
  type Client,
  type ClientInput,
  ClientInputSchema,
  type ClientPatch,
  ClientPatchSchema,
  type DiscoveredFeature,
  type DiscoveryDiff,
  type EffectiveServer,
  type FeatureSet,
  type FeatureSetInput,
  FeatureSetInputSchema,
  type FeatureSetPatch,
  FeatureSetPatchSchema,
  type Grant,
  type Installation,
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
  type ServerDefinitionPatch,
  ServerDefinitionPatchSchema,
  type Space,
  type SpaceInput,
  SpaceInputSchema,
  type SpacePatch,
  SpacePatchSchema,
  type StoredFeature,
} from '../types.js';
import { refuseSecretInArgv } from './argv-secrets.js';
import { EngineCore, type WriteScope } from './engine-core.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';
import { MemberSchema } from './featureset-shapes.js';
import type { FeatureSetRow, StoreTx } from './repo.js';
import { aliasOwner, checkDefaultAlias, defaultAlias } from './rules/aliases.js';
import { type ParsedFeature, parseDiscovered, planDiscovery } from './rules/discovery.js';
import { AuditEventsSchema, BoolSchema, IdSchema, SetIdSchema } from './rules/input.js';
import {
  KEY_DISPLAY_PREFIX,
  KEY_PREFIX,
  LAST_USED_GRANULARITY_MS,
  looksLikeAccessKey,
  randomSecret,
  sameHash,
  sha256Hex,
} from './rules/keys.js';
import { checkMembers, dedupeMembers, setsUsing } from './rules/members.js';
import * as oauth from './rules/oauth.js';
import { applyOverridesPatch, checkOverrides } from './rules/overrides.js';
import { type Presence, planPresence, serverAllSet } from './rules/presence.js';
import {
  checkSecretInputs,
  type ParsedDefinition,
  parseDefinition,
  transportMaps,
} from './rules/secret-inputs.js';
import { opt, stableStringify } from './util.js';

type ParsedInstallOptions = ReturnType<typeof InstallOptionsSchema.parse>;

/**
 * The {@link SpaceStore} over any {@link Repo}: every rule of the store, once (validation, built-in
 * sets, aliases, secret inputs, overrides, the change log, watching, the policy cache). Backends
 * supply only the rows: `SqlRepo` (SQLite, PostgreSQL) or the in-memory repo.
 */
export class StoreEngine extends EngineCore implements SpaceStore {
  // -- Spaces ---------------------------------------------------------------------------------

  async createSpace(input: SpaceInput): Promise<Space> {
    const v = parseOrThrow(SpaceInputSchema, input, 'space');
    return this.write(async (w) => {
      if ((await w.tx.getSpace(v.id)) !== undefined) {
        throw conflict(
          `Space "${v.id}" already exists. Choose another id or run \`mcpmux space show ${v.id}\`.`,
          {
            entity: 'space',
            id: v.id,
          },
        );
      }
      const now = this.now();
      const first = (await w.tx.getActiveSpace()) === undefined;
      await w.tx.insertSpace({
        id: v.id,
        name: v.name ?? v.id,
        ...opt('icon', v.icon),
        ...opt('description', v.description),
        active: first,
        createdAt: now,
        updatedAt: now,
      });
      for (const [id, kind, name, description] of [
        ['all', 'all', 'All', 'Every feature of every server available in this Space.'],
        ['default', 'default', 'Default', 'Granted to every client in this Space. Starts empty.'],
      ] as const) {
        await w.tx.insertFeatureSet({ spaceId: v.id, id, name, description, kind, members: [] }, now);
      }
      await this.syncPresence(w, { spaceId: v.id });
      await w.change('space', v.id);
      if (first) await w.change('active-space', v.id);
      return (await w.tx.getSpace(v.id))!;
    });
  }

  async getSpace(id: string): Promise<Space | undefined> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    return this.read((tx) => tx.getSpace(sid));
  }

  async listSpaces(): Promise<Space[]> {
    return this.read((tx) => tx.listSpaces());
  }

  async getActiveSpace(): Promise<Space | undefined> {
    return this.read((tx) => tx.getActiveSpace());
  }

  private async activate(w: WriteScope, id: string): Promise<void> {
    if ((await w.tx.getActiveSpace())?.id === id) return;
    await w.tx.setActiveSpace(id);
    await w.change('active-space', id);
  }

  async setActiveSpace(id: string): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sid);
      await this.activate(w, sid);
    });
  }

  async updateSpace(id: string, patch: SpacePatch): Promise<Space> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    const p = parseOrThrow(SpacePatchSchema, patch, 'space');
    return this.write(async (w) => {
      const space = await this.requireSpace(w.tx, sid);
      const next: Space = {
        ...space,
        ...opt('name', p.name),
        ...opt('icon', p.icon),
        ...opt('description', p.description),
        updatedAt: this.now(),
      };
      await w.tx.updateSpace(next);
      await w.change('space', sid);
      return (await w.tx.getSpace(sid))!;
    });
  }

  async deleteSpace(id: string, opts: DeleteSpaceOptions = {}): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'space id');
    const next =
      opts.newActiveSpaceId === undefined
        ? undefined
        : parseOrThrow(IdSchema, opts.newActiveSpaceId, 'newActiveSpaceId');
    await this.write(async (w) => {
      const space = await this.requireSpace(w.tx, sid);
      if (next !== undefined) {
        if (next === sid)
          throw invalid('newActiveSpaceId', `must name another Space than "${sid}", the one being deleted`);
        await this.requireSpace(w.tx, next);
      }
      if (space.active && next === undefined) {
        const others = (await w.tx.countSpaces()) - 1;
        throw forbidden(
          others === 0
            ? `Space "${sid}" is the only Space and must stay active. Create another Space first (\`mcpmux space create ID\`).`
            : `Space "${sid}" is the active Space. Make another Space active first (\`mcpmux space use ID\`) or name the new active Space.`,
          { entity: 'space', id: sid },
        );
      }
      const pinned = await w.tx.listClientsPinnedTo(sid);
      if (pinned.length > 0) {
        throw conflict(
          `Space "${sid}" has clients pinned to it: ${pinned.join(', ')}. Re-pin them first (\`mcpmux client mode ${pinned[0]} follow-active\`).`,
          { entity: 'space', id: sid, clients: pinned },
        );
      }
      for (const hook of this.deletionHooks) await hook(sid, w.tx.connection);
      await w.tx.deleteSpace(sid);
      await w.change('space', sid);
      if (next !== undefined) await this.activate(w, next);
    });
  }

  // -- Server definitions -----------------------------------------------------------------------

  private async requireServer(tx: StoreTx, id: string): Promise<ServerDefinition> {
    const server = await tx.getServer(id);
    if (server === undefined) throw notFound('server', id);
    return server;
  }

  /** Throws CONFLICT when a server or client with this id exists already. */
  private refuseTakenId(entity: 'server' | 'client', id: string, existing: unknown): void {
    if (existing === undefined) return;
    const noun = entity === 'server' ? 'Server' : 'Client';
    throw conflict(
      `${noun} "${id}" already exists. Run \`mcpmux ${entity} show ${id}\` or choose another id.`,
      {
        entity,
        id,
      },
    );
  }

  /** Refuses to make `serverId` default-enabled where its default alias is taken. */
  private async checkDefaultAlias(tx: StoreTx, serverId: string): Promise<void> {
    const defaults = (await tx.listDefaultEnabledServers()).map((s) => s.id);
    const holders = await tx.listInstallations({ alias: defaultAlias(serverId) });
    const own = new Set((await tx.listInstallations({ serverId })).map((i) => i.spaceId));
    checkDefaultAlias(serverId, defaults, holders, own);
  }

  async createServer(def: ServerDefinitionInput): Promise<ServerDefinition> {
    const v = parseDefinition(def, 'server');
    return this.write((w) => this.insertServer(w, v));
  }

  private async insertServer(w: WriteScope, v: ParsedDefinition): Promise<ServerDefinition> {
    this.refuseTakenId('server', v.id, await w.tx.getServer(v.id));
    if (v.defaultEnabled) await this.checkDefaultAlias(w.tx, v.id);
    const now = this.now();
    await w.tx.insertServer({
      id: v.id,
      name: v.name ?? v.id,
      ...opt('description', v.description),
      transport: v.transport,
      inputs: v.inputs,
      defaultEnabled: v.defaultEnabled,
      ...opt('timeoutSeconds', v.timeoutSeconds),
      createdAt: now,
      updatedAt: now,
    });
    await w.change('server');
    if (v.defaultEnabled) await this.syncPresence(w, { serverId: v.id });
    return this.requireServer(w.tx, v.id);
  }

  async getServer(id: string): Promise<ServerDefinition | undefined> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    return this.read((tx) => tx.getServer(sid));
  }

  async listServers(): Promise<ServerDefinition[]> {
    return this.read((tx) => tx.listServers());
  }

  async updateServer(id: string, patch: ServerDefinitionPatch): Promise<ServerDefinition> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    const p = parseOrThrow(ServerDefinitionPatchSchema, patch, 'server');
    return this.write(async (w) => {
      const current = await this.requireServer(w.tx, sid);
      const next: ServerDefinition = {
        ...current,
        ...opt('name', p.name),
        ...opt('description', p.description),
        ...opt('transport', p.transport),
        ...opt('inputs', p.inputs),
        ...opt('defaultEnabled', p.defaultEnabled),
        ...opt('timeoutSeconds', p.timeoutSeconds),
        updatedAt: this.now(),
      };
      checkSecretInputs(next.inputs, transportMaps('server.transport', next.transport));
      if (p.transport?.type === 'stdio') refuseSecretInArgv('server.transport', p.transport);
      if (next.defaultEnabled && !current.defaultEnabled) await this.checkDefaultAlias(w.tx, sid);
      await w.tx.updateServer(next);
      await w.change('server');
      if (next.defaultEnabled !== current.defaultEnabled) await this.syncPresence(w, { serverId: sid });
      return this.requireServer(w.tx, sid);
    });
  }

  async deleteServer(id: string): Promise<void> {
    const sid = parseOrThrow(IdSchema, id, 'server id');
    await this.write(async (w) => {
      await this.requireServer(w.tx, sid);
      await w.tx.deleteServer(sid);
      await w.change('server');
      await w.change('installation');
      await w.change('featureset');
      await w.change('discovered');
    });
  }

  /**
   * Brings `server-all` sets and cached features in line with which servers are present
   * (installed, or default-enabled) in one Space, or of one server in every Space. Records the
   * changes it makes.
   */
  private async syncPresence(
    w: WriteScope,
    scope: { spaceId: string } | { serverId: string },
  ): Promise<void> {
    const { tx } = w;
    let present: Presence[];
    let names: Map<string, string>;
    if ('spaceId' in scope) {
      const { spaceId } = scope;
      const installed = await tx.listInstallations({ spaceId });
      const defaults = await tx.listDefaultEnabledServers();
      const ids = new Set([...installed.map((i) => i.serverId), ...defaults.map((s) => s.id)]);
      present = [...ids].map((serverId) => ({ spaceId, serverId }));
      names = new Map(defaults.map((s) => [s.id, s.name]));
    } else {
      const { serverId } = scope;
      const server = await tx.getServer(serverId);
      const spaces = server?.defaultEnabled
        ? (await tx.listSpaces()).map((s) => s.id)
        : (await tx.listInstallations({ serverId })).map((i) => i.spaceId);
      present = server === undefined ? [] : spaces.map((spaceId) => ({ spaceId, serverId }));
      names = new Map(server === undefined ? [] : [[serverId, server.name]]);
    }
    const sets = (
      await tx.listFeatureSets({
        kind: 'server-all',
        ...('spaceId' in scope ? { spaceId: scope.spaceId } : { serverId: scope.serverId }),
      })
    ).map((s) => ({ spaceId: s.spaceId, serverId: s.server ?? '' }));
    const discovered =
      'spaceId' in scope
        ? (await tx.listDiscoveredOwners(scope)).map((serverId) => ({ spaceId: scope.spaceId, serverId }))
        : (await tx.listDiscoveredOwners(scope)).map((spaceId) => ({ spaceId, serverId: scope.serverId }));
    const plan = planPresence(present, sets, discovered);
    const now = this.now();
    for (const p of plan.create) {
      let name = names.get(p.serverId);
      if (name === undefined) {
        name = (await this.requireServer(tx, p.serverId)).name;
        names.set(p.serverId, name);
      }
      await tx.insertFeatureSet(serverAllSet(p.spaceId, p.serverId, name), now);
    }
    for (const p of plan.remove) await tx.deleteFeatureSet(p.spaceId, `server-all:${p.serverId}`);
    for (const p of plan.drop) await tx.deleteDiscovered(p.spaceId, p.serverId);
    for (const s of new Set([...plan.create, ...plan.remove].map((p) => p.spaceId)))
      await w.change('featureset', s);
    for (const s of new Set(plan.drop.map((p) => p.spaceId))) await w.change('discovered', s);
  }

  // -- Installations ----------------------------------------------------------------------------

  async install(spaceId: string, serverId: string, opts: InstallOptions = {}): Promise<Installation> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const o = parseOrThrow(InstallOptionsSchema, opts, 'install');
    return this.write((w) => this.insertInstallation(w, sp, sv, o));
  }

  async installServer(input: InstallServerInput): Promise<InstalledServer> {
    const v = parseOrThrow(InstallServerInputSchema, input, 'install');
    const definition = parseDefinition(input.definition, 'install.definition');
    const features =
      v.discovered === undefined
        ? undefined
        : parseDiscovered(definition.id, v.discovered, 'install.discovered');
    return this.write(async (w) => {
      await this.requireSpace(w.tx, v.spaceId);
      const server = await this.insertServer(w, definition);
      const installation = await this.insertInstallation(w, v.spaceId, definition.id, v.installation ?? {});
      if (features !== undefined) await this.writeDiscovered(w, v.spaceId, definition.id, features);
      return { server, installation };
    });
  }

  private async insertInstallation(
    w: WriteScope,
    sp: string,
    sv: string,
    o: ParsedInstallOptions,
  ): Promise<Installation> {
    const { tx } = w;
    await this.requireSpace(tx, sp);
    const server = await this.requireServer(tx, sv);
    if ((await tx.getInstallation(sp, sv)) !== undefined) {
      throw conflict(
        `Server "${sv}" is already installed in Space "${sp}". Run \`mcpmux server show ${sv} --space ${sp}\`, or remove it first.`,
        { entity: 'installation', id: sv, spaceId: sp },
      );
    }
    const overrides = o.overrides ?? {};
    checkOverrides(server, overrides);
    const alias = o.alias ?? defaultAlias(sv);
    const owner = aliasOwner(
      alias,
      sv,
      await tx.listInstallations({ spaceId: sp }),
      (await tx.listDefaultEnabledServers()).map((s) => s.id),
    );
    if (owner !== undefined) {
      throw conflict(
        `Alias "${alias}" is already used by server "${owner}" in Space "${sp}". Choose another with \`--alias\`.`,
        { entity: 'installation', alias, serverId: owner, spaceId: sp, field: 'alias' },
      );
    }
    const installation: Installation = {
      spaceId: sp,
      serverId: sv,
      alias,
      prefix: o.prefix ?? true,
      enabled: o.enabled ?? true,
      overrides,
      installedAt: this.now(),
    };
    await tx.insertInstallation(installation);
    await w.change('installation', sp);
    await this.syncPresence(w, { serverId: sv });
    return (await tx.getInstallation(sp, sv))!;
  }

  async uninstall(spaceId: string, serverId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      if (!(await w.tx.deleteInstallation(sp, sv))) throw notFound('installation', sv, sp);
      await w.change('installation', sp);
      await this.syncPresence(w, { serverId: sv });
    });
  }

  async setEnabled(spaceId: string, serverId: string, enabled: boolean): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const on = parseOrThrow(BoolSchema, enabled, 'enabled');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      const server = await this.requireServer(w.tx, sv);
      const row = await w.tx.getInstallation(sp, sv);
      if (row !== undefined) {
        if (row.enabled === on) return;
        await w.tx.updateInstallation({ ...row, enabled: on });
        await w.change('installation', sp);
        return;
      }
      if (!server.defaultEnabled) throw notFound('installation', sv, sp);
      if (on) return;
      // Disabling a default-enabled server records a local row.
      await w.tx.insertInstallation({
        spaceId: sp,
        serverId: sv,
        alias: defaultAlias(sv),
        prefix: true,
        enabled: false,
        overrides: {},
        installedAt: server.createdAt,
      });
      await w.change('installation', sp);
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
    return this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      const server = await this.requireServer(w.tx, sv);
      const row = await w.tx.getInstallation(sp, sv);
      if (row === undefined && !server.defaultEnabled) throw notFound('installation', sv, sp);
      // A default-enabled server without a local row runs as defined: a row records the overrides.
      const current: Installation = row ?? {
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
      checkOverrides(server, overrides);
      if (stableStringify(overrides) === stableStringify(current.overrides)) return current;
      const next = { ...current, overrides };
      if (row === undefined) await w.tx.insertInstallation(next);
      else await w.tx.updateInstallation(next);
      await w.change('installation', sp);
      return next;
    });
  }

  async listInstallations(spaceId: string): Promise<Installation[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return tx.listInstallations({ spaceId: sp });
    });
  }

  async effectiveServers(spaceId: string): Promise<EffectiveServer[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return this.readEffective(tx, sp);
    });
  }

  // -- FeatureSets ------------------------------------------------------------------------------

  private async checkMembers(
    tx: StoreTx,
    spaceId: string,
    setId: string,
    members: Member[],
    previous: Member[],
  ): Promise<void> {
    await checkMembers(spaceId, setId, members, previous, {
      sets: await tx.listFeatureSets({ spaceId }),
      spaceOfSet: async (id) =>
        (await tx.listFeatureSets({ id })).find((s) => s.spaceId !== spaceId)?.spaceId,
    });
  }

  async listFeatureSets(spaceId: string): Promise<FeatureSet[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return (await tx.listFeatureSets({ spaceId: sp })).map(publicSet);
    });
  }

  async getFeatureSet(spaceId: string, setId: string): Promise<FeatureSet | undefined> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    return this.read(async (tx) => {
      const set = await tx.getFeatureSet(sp, id);
      return set === undefined ? undefined : publicSet(set);
    });
  }

  async createFeatureSet(spaceId: string, input: FeatureSetInput): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const v = parseOrThrow(FeatureSetInputSchema, input, 'featureset');
    return this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      if ((await w.tx.getFeatureSet(sp, v.id)) !== undefined) {
        throw conflict(`FeatureSet "${v.id}" already exists in Space "${sp}". Choose another id.`, {
          entity: 'featureset',
          id: v.id,
          spaceId: sp,
        });
      }
      const members = dedupeMembers(v.members);
      await this.checkMembers(w.tx, sp, v.id, members, []);
      const set: FeatureSetRow = {
        spaceId: sp,
        id: v.id,
        name: v.name ?? v.id,
        ...opt('description', v.description),
        kind: 'custom',
        members,
      };
      await w.tx.insertFeatureSet(set, this.now());
      await w.change('featureset', sp);
      return publicSet((await w.tx.getFeatureSet(sp, v.id))!);
    });
  }

  /** Loads an editable set or throws NOT_FOUND / FORBIDDEN. */
  private async editableSet(tx: StoreTx, spaceId: string, setId: string): Promise<FeatureSetRow> {
    await this.requireSpace(tx, spaceId);
    const set = await tx.getFeatureSet(spaceId, setId);
    if (set === undefined) throw notFound('featureset', setId, spaceId);
    if (set.kind === 'all' || set.kind === 'server-all') {
      throw forbidden(
        `FeatureSet "${setId}" is built in and cannot be edited. Create a custom set (\`mcpmux featureset create ID\`) that includes it instead.`,
        { entity: 'featureset', id: setId, spaceId },
      );
    }
    return set;
  }

  private async storeSet(w: WriteScope, set: FeatureSetRow): Promise<FeatureSet> {
    await w.tx.updateFeatureSet(set, this.now());
    await w.change('featureset', set.spaceId);
    return publicSet((await w.tx.getFeatureSet(set.spaceId, set.id))!);
  }

  async updateFeatureSet(spaceId: string, setId: string, patch: FeatureSetPatch): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    const p = parseOrThrow(FeatureSetPatchSchema, patch, 'featureset');
    return this.write(async (w) => {
      const set = await this.editableSet(w.tx, sp, id);
      const members = p.members === undefined ? set.members : dedupeMembers(p.members);
      await this.checkMembers(w.tx, sp, id, members, set.members);
      return this.storeSet(w, {
        ...set,
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
    return this.write(async (w) => {
      const set = await this.editableSet(w.tx, sp, id);
      const key = stableStringify(m);
      if (set.members.some((x) => stableStringify(x) === key)) return publicSet(set);
      const members = [...set.members, m];
      await this.checkMembers(w.tx, sp, id, members, set.members);
      return this.storeSet(w, { ...set, members });
    });
  }

  async removeMember(spaceId: string, setId: string, member: Member): Promise<FeatureSet> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    const m = parseOrThrow(MemberSchema, member, 'member');
    return this.write(async (w) => {
      const set = await this.editableSet(w.tx, sp, id);
      const key = stableStringify(m);
      const members = set.members.filter((x) => stableStringify(x) !== key);
      if (members.length === set.members.length) return publicSet(set);
      return this.storeSet(w, { ...set, members });
    });
  }

  async deleteFeatureSet(spaceId: string, setId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      const set = await w.tx.getFeatureSet(sp, id);
      if (set === undefined) throw notFound('featureset', id, sp);
      if (set.kind !== 'custom') {
        throw forbidden(`FeatureSet "${id}" is built in and cannot be deleted.`, {
          entity: 'featureset',
          id,
          spaceId: sp,
        });
      }
      const users = setsUsing(id, await w.tx.listFeatureSets({ spaceId: sp }));
      if (users.length > 0) {
        throw conflict(
          `FeatureSet "${id}" is a member of ${users.map((u) => `"${u}"`).join(', ')}. Remove it from them first (\`mcpmux featureset remove ${users[0]} set:${id}\`).`,
          { entity: 'featureset', id, spaceId: sp, usedBy: users },
        );
      }
      await w.tx.deleteFeatureSet(sp, id);
      await w.change('featureset', sp);
      await w.change('grant', sp);
    });
  }

  // -- Clients and access keys ------------------------------------------------------------------

  private async requireClient(tx: StoreTx, id: string): Promise<Client> {
    const client = await tx.getClient(id);
    if (client === undefined) throw notFound('client', id);
    return client;
  }

  /** Creates a key row and returns the key (shown once). */
  private async issueKey(tx: StoreTx, clientId: string, expiresAt: Date | undefined): Promise<string> {
    const key = randomSecret(KEY_PREFIX, this.random);
    await tx.insertAccessKey({
      clientId,
      hash: sha256Hex(key),
      prefix: key.slice(0, KEY_DISPLAY_PREFIX),
      createdAt: this.now(),
      ...opt('expiresAt', expiresAt),
    });
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
    return this.write(async (w) => {
      this.refuseTakenId('client', v.id, await w.tx.getClient(v.id));
      if (v.pinnedSpaceId !== undefined) await this.requireSpace(w.tx, v.pinnedSpaceId);
      const now = this.now();
      await w.tx.insertClient({
        id: v.id,
        name: v.name ?? v.id,
        mode,
        ...opt('pinnedSpaceId', v.pinnedSpaceId),
        lean: v.lean ?? false,
        pinnedTools: [...new Set(v.pinnedTools ?? [])],
        createdAt: now,
        updatedAt: now,
      });
      const accessKey = await this.issueKey(w.tx, v.id, v.keyExpiresAt);
      await w.change('client');
      return { client: await this.requireClient(w.tx, v.id), accessKey };
    });
  }

  async getClient(id: string): Promise<Client | undefined> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    return this.read((tx) => tx.getClient(cid));
  }

  async listClients(): Promise<Client[]> {
    return this.read((tx) => tx.listClients());
  }

  async updateClient(id: string, patch: ClientPatch): Promise<Client> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    const p = parseOrThrow(ClientPatchSchema, patch, 'client');
    return this.write(async (w) => {
      const current = await this.requireClient(w.tx, cid);
      const mode = p.mode ?? (p.pinnedSpaceId !== undefined ? 'pinned' : current.mode);
      let pinned: string | undefined;
      if (mode === 'pinned') {
        pinned = p.pinnedSpaceId ?? current.pinnedSpaceId;
        if (pinned === undefined)
          throw invalid('client.pinnedSpaceId', 'a pinned client needs the Space to pin');
        await this.requireSpace(w.tx, pinned);
      } else if (p.pinnedSpaceId !== undefined) {
        throw invalid('client.pinnedSpaceId', 'only a pinned client has a pinned Space; use mode "pinned"');
      }
      const { pinnedSpaceId: _, ...rest } = current;
      await w.tx.updateClient({
        ...rest,
        ...opt('name', p.name),
        ...opt('lean', p.lean),
        ...(p.pinnedTools === undefined ? {} : { pinnedTools: [...new Set(p.pinnedTools)] }),
        mode,
        ...opt('pinnedSpaceId', pinned),
        updatedAt: this.now(),
      });
      await w.change('client');
      return this.requireClient(w.tx, cid);
    });
  }

  async deleteClient(id: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, id, 'client id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.deleteClient(cid);
      await w.change('client');
      await w.change('grant');
    });
  }

  async listAccessKeys(clientId: string): Promise<AccessKeyInfo[]> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    return this.read(async (tx) => {
      await this.requireClient(tx, cid);
      return (await tx.listAccessKeys(cid)).map(({ id: _, hash: __, ...info }) => info);
    });
  }

  async rotateAccessKey(clientId: string, opts: RotateKeyOptions = {}): Promise<string> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const o = parseOrThrow(RotateKeyOptionsSchema, opts, 'rotate');
    return this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.revokeAccessKeys(cid, this.now());
      const key = await this.issueKey(w.tx, cid, o.expiresAt);
      await w.change('client');
      return key;
    });
  }

  async revokeAccessKeys(clientId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.revokeAccessKeys(cid, this.now());
      await oauth.revokeForClient(w.tx, this.oauthEnv(w), cid);
      await w.change('client');
    });
  }

  async authenticate(accessKey: string): Promise<Client | undefined> {
    if (typeof accessKey === 'string' && accessKey.startsWith(oauth.ACCESS_TOKEN_PREFIX)) {
      const now = this.clock().getTime();
      return this.read(async (tx) => {
        const clientId = await oauth.accessTokenClient(tx, accessKey, now);
        return clientId === undefined ? undefined : tx.getClient(clientId);
      });
    }
    if (!looksLikeAccessKey(accessKey)) return undefined;
    const hash = sha256Hex(accessKey);
    const now = this.clock().getTime();
    const found = await this.read(async (tx) => {
      const row = await tx.getAccessKeyByHash(hash);
      if (row === undefined || !sameHash(row.hash, hash)) return undefined;
      if (row.revokedAt !== undefined || (row.expiresAt !== undefined && row.expiresAt.getTime() <= now))
        return undefined;
      const client = await tx.getClient(row.clientId);
      return client === undefined ? undefined : { row, client };
    });
    if (found === undefined) return undefined;
    const last = found.row.lastUsedAt?.getTime();
    if (last === undefined || now - last >= LAST_USED_GRANULARITY_MS) {
      try {
        await this.repo.write((tx) => tx.setAccessKeyLastUsed(found.row.id, new Date(now)));
      } catch {
        // Recording last use is best effort: a busy database must not fail authentication.
      }
    }
    return found.client;
  }

  // -- OAuth (DESIGN §11) -----------------------------------------------------------------------

  private oauthEnv(w: WriteScope): oauth.OAuthEnv {
    return {
      now: () => this.clock().getTime(),
      random: this.random,
      revoked: () => w.change('client'),
    };
  }

  async registerOAuthClient(input: OAuthClientInput): Promise<OAuthClient> {
    const v = parseOrThrow(OAuthClientInputSchema, input, 'oauth client');
    return this.write((w) => oauth.registerOAuthClient(w.tx, this.oauthEnv(w), v));
  }

  async getOAuthClient(id: string): Promise<OAuthClient | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 2000) return undefined;
    return this.read(async (tx) => {
      const row = await tx.getOAuthClient(id);
      return row === undefined ? undefined : oauth.toOAuthClient(row);
    });
  }

  async createAuthorizationCode(input: AuthorizationCodeInput): Promise<string> {
    const v = parseOrThrow(AuthorizationCodeInputSchema, input, 'authorization');
    return this.write(async (w) => {
      const app = await w.tx.getOAuthClient(v.oauthClientId);
      if (app === undefined) {
        throw new McpmuxError(
          'NOT_FOUND',
          `OAuth client "${v.oauthClientId}" is not registered. Start the sign-in again from the app.`,
          { data: { entity: 'oauth-client', id: v.oauthClientId } },
        );
      }
      if (!app.redirectUris.includes(v.redirectUri)) {
        throw invalid('authorization.redirectUri', 'is not one of the redirect URIs the app registered');
      }
      await this.requireClient(w.tx, v.clientId);
      return oauth.createCode(w.tx, this.oauthEnv(w), v);
    });
  }

  /** Runs a grant in a write transaction, then throws its refusal AFTER the commit (revocations stick). */
  private async grantTokens(fn: (w: WriteScope) => Promise<oauth.GrantOutcome>): Promise<OAuthTokenSet> {
    const outcome = await this.write(fn);
    if (!outcome.ok) throw oauth.invalidGrant(outcome.message);
    return outcome.tokens;
  }

  async exchangeAuthorizationCode(input: CodeExchangeInput): Promise<OAuthTokenSet> {
    const r = CodeExchangeInputSchema.safeParse(input);
    if (!r.success) {
      throw oauth.invalidGrant(
        `${r.error.issues[0]?.path.join('.') ?? 'input'}: ${r.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return this.grantTokens((w) => oauth.exchangeCode(w.tx, this.oauthEnv(w), r.data));
  }

  async refreshOAuthTokens(refreshToken: string, oauthClientId: string): Promise<OAuthTokenSet> {
    if (typeof refreshToken !== 'string' || typeof oauthClientId !== 'string') {
      throw oauth.invalidGrant('refresh_token and client_id are required.');
    }
    return this.grantTokens((w) => oauth.refresh(w.tx, this.oauthEnv(w), refreshToken, oauthClientId));
  }

  async revokeOAuthToken(token: string, oauthClientId?: string): Promise<void> {
    if (typeof token !== 'string') return;
    await this.write((w) => oauth.revoke(w.tx, this.oauthEnv(w), token, oauthClientId));
  }

  // -- Grants -----------------------------------------------------------------------------------

  async grant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await this.requireSpace(w.tx, sp);
      if ((await w.tx.getFeatureSet(sp, id)) === undefined) throw notFound('featureset', id, sp);
      if (await w.tx.insertGrant({ clientId: cid, spaceId: sp, setId: id, createdAt: this.now() }))
        await w.change('grant', sp);
    });
  }

  async ungrant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const id = parseOrThrow(SetIdSchema, setId, 'set id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await this.requireSpace(w.tx, sp);
      if (await w.tx.deleteGrant(cid, sp, id)) await w.change('grant', sp);
    });
  }

  async listGrants(clientId: string, spaceId?: string): Promise<Grant[]> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = spaceId === undefined ? undefined : parseOrThrow(IdSchema, spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireClient(tx, cid);
      return tx.listGrants(cid, sp);
    });
  }

  // -- Discovered features ----------------------------------------------------------------------

  async replaceDiscovered(
    spaceId: string,
    serverId: string,
    features: DiscoveredFeature[],
  ): Promise<DiscoveryDiff> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    const incoming = parseDiscovered(sv, features, 'features');
    return this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      const server = await this.requireServer(w.tx, sv);
      if (!server.defaultEnabled && (await w.tx.getInstallation(sp, sv)) === undefined)
        throw notFound('installation', sv, sp);
      return this.writeDiscovered(w, sp, sv, incoming);
    });
  }

  private async writeDiscovered(
    w: WriteScope,
    sp: string,
    sv: string,
    incoming: Map<string, ParsedFeature>,
  ): Promise<DiscoveryDiff> {
    const { writes, diff } = planDiscovery(await w.tx.listDiscoveredState(sp, sv), incoming);
    await w.tx.applyDiscovered(sp, sv, writes, this.now());
    if (diff.added + diff.removed + diff.changed > 0) await w.change('discovered', sp);
    return diff;
  }

  async recordSecretChange(spaceId?: string): Promise<void> {
    const sp = spaceId === undefined ? null : parseOrThrow(IdSchema, spaceId, 'space id');
    await this.write(async (w) => {
      if (sp !== null) await this.requireSpace(w.tx, sp);
      await w.change('secret', sp);
    });
  }

  async markServerUnavailable(spaceId: string, serverId: string): Promise<void> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const sv = parseOrThrow(IdSchema, serverId, 'server id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      await this.requireServer(w.tx, sv);
      if ((await w.tx.markUnavailable(sp, sv)) > 0) await w.change('discovered', sp);
    });
  }

  async listDiscovered(spaceId: string, opts: ListDiscoveredOptions = {}): Promise<StoredFeature[]> {
    const sp = parseOrThrow(IdSchema, spaceId, 'space id');
    const o = parseOrThrow(ListDiscoveredOptionsSchema, opts, 'options');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return tx.listDiscovered(sp, {
        ...opt('serverId', o.serverId),
        ...opt('availableOnly', o.availableOnly),
      });
    });
  }

  // -- The per-request query --------------------------------------------------------------------

  async loadPolicyContext(clientId: string, spaceId?: string): Promise<PolicyContext | undefined> {
    const cid = parseOrThrow(IdSchema, clientId, 'client id');
    const sp = spaceId === undefined ? undefined : parseOrThrow(IdSchema, spaceId, 'space id');
    return this.cachedPolicyContext(cid, sp);
  }

  // -- Audit ------------------------------------------------------------------------------------

  async appendAudit(events: AuditEventInput[]): Promise<void> {
    const list = parseOrThrow(AuditEventsSchema, events, 'events');
    if (list.length === 0) return;
    await this.write(async (w) => {
      const now = this.now();
      await w.tx.appendAudit(list.map((e) => ({ ...e, at: e.at ?? now })));
    });
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const f = parseOrThrow(AuditFilterSchema, filter, 'filter');
    return this.read((tx) => tx.listAudit(f));
  }

  async pruneAudit(opts: AuditRetention): Promise<number> {
    const o = parseOrThrow(AuditRetentionSchema, opts, 'retention');
    return this.write((w) => w.tx.pruneAudit(o));
  }

  // -- Changes ----------------------------------------------------------------------------------

  async revision(): Promise<number> {
    return this.read((tx) => tx.revision());
  }
}

/** A set row without its Space id: the public {@link FeatureSet}. */
function publicSet({ spaceId: _, ...set }: FeatureSetRow): FeatureSet {
  return set;
}
