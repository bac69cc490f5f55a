import type { z } from 'zod';
import type {
  DiscoveredFeature,
  DiscoveryDiff,
  EffectiveServer,
  Installation,
  InstallationPatch,
  InstalledServer,
  InstallOptions,
  InstallOptionsSchema,
  InstallServerInput,
  ListDiscoveredOptions,
  ServerDefinition,
  ServerDefinitionInput,
  ServerDefinitionPatch,
  StoredFeature,
} from '../types.js';
import { refuseSecretInArgv } from './argv-secrets.js';
import { EngineCore, type WriteScope } from './engine-core.js';
import { conflict, notFound } from './errors.js';
import type { StoreTx } from './repo.js';
import { aliasOwner, checkDefaultAlias, defaultAlias } from './rules/aliases.js';
import { type ParsedFeature, parseDiscovered, planDiscovery } from './rules/discovery.js';
import { checkBool, checkId, checkListDiscoveredOptions } from './rules/input.js';
import { applyOverridesPatch, checkOverrides } from './rules/overrides.js';
import { type Presence, planPresence, serverAllSet } from './rules/presence.js';
import {
  checkSecretInputs,
  type ParsedDefinition,
  parseDefinition,
  transportMaps,
} from './rules/secret-inputs.js';
import { opt, stableStringify } from './util.js';
import { parseInput } from './validation.js';

type ParsedInstallOptions = z.output<typeof InstallOptionsSchema>;

/**
 * Server definitions, installations (with `server-all` sets following presence) and the
 * discovered-feature cache, over any Repo. Part of {@link StoreEngine}; not used alone.
 */
export class ServerEngine extends EngineCore {
  // -- Server definitions -----------------------------------------------------------------------

  protected async requireServer(tx: StoreTx, id: string): Promise<ServerDefinition> {
    const server = await tx.getServer(id);
    if (server === undefined) throw notFound('server', id);
    return server;
  }

  /** Throws CONFLICT when a server or client with this id exists already. */
  protected refuseTakenId(entity: 'server' | 'client', id: string, existing: unknown): void {
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
    const v = await parseDefinition(def, 'server');
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
    const sid = checkId(id, 'server id');
    return this.read((tx) => tx.getServer(sid));
  }

  async listServers(): Promise<ServerDefinition[]> {
    return this.read((tx) => tx.listServers());
  }

  async updateServer(id: string, patch: ServerDefinitionPatch): Promise<ServerDefinition> {
    const sid = checkId(id, 'server id');
    const p = await parseInput('ServerDefinitionPatchSchema', patch, 'server');
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
    const sid = checkId(id, 'server id');
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
  protected async syncPresence(
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
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    const o = await parseInput('InstallOptionsSchema', opts, 'install');
    return this.write((w) => this.insertInstallation(w, sp, sv, o));
  }

  async installServer(input: InstallServerInput): Promise<InstalledServer> {
    const v = await parseInput('InstallServerInputSchema', input, 'install');
    const definition = await parseDefinition(input.definition, 'install.definition');
    const features =
      v.discovered === undefined
        ? undefined
        : await parseDiscovered(definition.id, v.discovered, 'install.discovered');
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
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      if (!(await w.tx.deleteInstallation(sp, sv))) throw notFound('installation', sv, sp);
      await w.change('installation', sp);
      await this.syncPresence(w, { serverId: sv });
    });
  }

  async setEnabled(spaceId: string, serverId: string, enabled: boolean): Promise<void> {
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    const on = checkBool(enabled, 'enabled');
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
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    const p = await parseInput('InstallationPatchSchema', patch, 'patch');
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
    const sp = checkId(spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return tx.listInstallations({ spaceId: sp });
    });
  }

  async effectiveServers(spaceId: string): Promise<EffectiveServer[]> {
    const sp = checkId(spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return this.readEffective(tx, sp);
    });
  }

  // -- Discovered features ----------------------------------------------------------------------

  async replaceDiscovered(
    spaceId: string,
    serverId: string,
    features: DiscoveredFeature[],
  ): Promise<DiscoveryDiff> {
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    const incoming = await parseDiscovered(sv, features, 'features');
    return this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      const server = await this.requireServer(w.tx, sv);
      if (!server.defaultEnabled && (await w.tx.getInstallation(sp, sv)) === undefined)
        throw notFound('installation', sv, sp);
      return this.writeDiscovered(w, sp, sv, incoming);
    });
  }

  protected async writeDiscovered(
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
    const sp = spaceId === undefined ? null : checkId(spaceId, 'space id');
    await this.write(async (w) => {
      if (sp !== null) await this.requireSpace(w.tx, sp);
      await w.change('secret', sp);
    });
  }

  async markServerUnavailable(spaceId: string, serverId: string): Promise<void> {
    const sp = checkId(spaceId, 'space id');
    const sv = checkId(serverId, 'server id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sp);
      await this.requireServer(w.tx, sv);
      if ((await w.tx.markUnavailable(sp, sv)) > 0) await w.change('discovered', sp);
    });
  }

  async listDiscovered(spaceId: string, opts: ListDiscoveredOptions = {}): Promise<StoredFeature[]> {
    const sp = checkId(spaceId, 'space id');
    const o = checkListDiscoveredOptions(opts, 'options');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return tx.listDiscovered(sp, {
        ...opt('serverId', o.serverId),
        ...opt('availableOnly', o.availableOnly),
      });
    });
  }
}
