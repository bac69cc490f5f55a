import type { DeleteSpaceOptions, SpaceStore } from '../space-store.js';
import type {
  AuditEvent,
  AuditEventInput,
  AuditFilter,
  AuditRetention,
  FeatureSet,
  FeatureSetInput,
  FeatureSetPatch,
  Grant,
  Member,
  Space,
  SpaceInput,
  SpacePatch,
} from '../types.js';
import { ClientEngine } from './engine-clients.js';
import type { WriteScope } from './engine-core.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';
import type { FeatureSetRow, StoreTx } from './repo.js';
import { checkId, checkSetId } from './rules/input.js';
import { checkMembers, dedupeMembers, setsUsing } from './rules/members.js';
import { opt, stableStringify } from './util.js';
import { parseInput } from './validation.js';

/**
 * The {@link SpaceStore} over any {@link Repo}: every rule of the store, once (validation, built-in
 * sets, aliases, secret inputs, overrides, the change log, watching, the policy cache). Backends
 * supply only the rows: `SqlRepo` (SQLite, PostgreSQL) or the in-memory repo.
 */
export class StoreEngine extends ClientEngine implements SpaceStore {
  // -- Spaces ---------------------------------------------------------------------------------

  async createSpace(input: SpaceInput): Promise<Space> {
    const v = await parseInput('SpaceInputSchema', input, 'space');
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
    const sid = checkId(id, 'space id');
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
    const sid = checkId(id, 'space id');
    await this.write(async (w) => {
      await this.requireSpace(w.tx, sid);
      await this.activate(w, sid);
    });
  }

  async updateSpace(id: string, patch: SpacePatch): Promise<Space> {
    const sid = checkId(id, 'space id');
    const p = await parseInput('SpacePatchSchema', patch, 'space');
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
    const sid = checkId(id, 'space id');
    const next =
      opts.newActiveSpaceId === undefined ? undefined : checkId(opts.newActiveSpaceId, 'newActiveSpaceId');
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
    const sp = checkId(spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireSpace(tx, sp);
      return (await tx.listFeatureSets({ spaceId: sp })).map(publicSet);
    });
  }

  async getFeatureSet(spaceId: string, setId: string): Promise<FeatureSet | undefined> {
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    return this.read(async (tx) => {
      const set = await tx.getFeatureSet(sp, id);
      return set === undefined ? undefined : publicSet(set);
    });
  }

  async createFeatureSet(spaceId: string, input: FeatureSetInput): Promise<FeatureSet> {
    const sp = checkId(spaceId, 'space id');
    const v = await parseInput('FeatureSetInputSchema', input, 'featureset');
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
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    const p = await parseInput('FeatureSetPatchSchema', patch, 'featureset');
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
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    const m = await parseInput('MemberSchema', member, 'member');
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
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    const m = await parseInput('MemberSchema', member, 'member');
    return this.write(async (w) => {
      const set = await this.editableSet(w.tx, sp, id);
      const key = stableStringify(m);
      const members = set.members.filter((x) => stableStringify(x) !== key);
      if (members.length === set.members.length) return publicSet(set);
      return this.storeSet(w, { ...set, members });
    });
  }

  async deleteFeatureSet(spaceId: string, setId: string): Promise<void> {
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
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

  // -- Grants -----------------------------------------------------------------------------------

  async grant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = checkId(clientId, 'client id');
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await this.requireSpace(w.tx, sp);
      if ((await w.tx.getFeatureSet(sp, id)) === undefined) throw notFound('featureset', id, sp);
      if (await w.tx.insertGrant({ clientId: cid, spaceId: sp, setId: id, createdAt: this.now() }))
        await w.change('grant', sp);
    });
  }

  async ungrant(clientId: string, spaceId: string, setId: string): Promise<void> {
    const cid = checkId(clientId, 'client id');
    const sp = checkId(spaceId, 'space id');
    const id = checkSetId(setId, 'set id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await this.requireSpace(w.tx, sp);
      if (await w.tx.deleteGrant(cid, sp, id)) await w.change('grant', sp);
    });
  }

  async listGrants(clientId: string, spaceId?: string): Promise<Grant[]> {
    const cid = checkId(clientId, 'client id');
    const sp = spaceId === undefined ? undefined : checkId(spaceId, 'space id');
    return this.read(async (tx) => {
      await this.requireClient(tx, cid);
      return tx.listGrants(cid, sp);
    });
  }

  // -- Audit ------------------------------------------------------------------------------------

  async appendAudit(events: AuditEventInput[]): Promise<void> {
    const list = await parseInput('AuditEventsSchema', events, 'events');
    if (list.length === 0) return;
    await this.write(async (w) => {
      const now = this.now();
      await w.tx.appendAudit(list.map((e) => ({ ...e, at: e.at ?? now })));
    });
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const f = await parseInput('AuditFilterSchema', filter, 'filter');
    return this.read((tx) => tx.listAudit(f));
  }

  async pruneAudit(opts: AuditRetention): Promise<number> {
    const o = await parseInput('AuditRetentionSchema', opts, 'retention');
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
