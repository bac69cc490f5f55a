import { checkSlug, McpmuxError } from '@mcpmux/core';
import type { FeatureSet, Member } from '@mcpmux/space-store';
import { type Ctx, targetSpace } from '../context.js';
import { loadFeaturesets } from '../deps.js';

interface SpaceOption {
  space?: string;
}

async function requireSet(
  store: {
    getFeatureSet(s: string, id: string): Promise<FeatureSet | undefined>;
    listFeatureSets(s: string): Promise<FeatureSet[]>;
  },
  spaceId: string,
  id: string,
): Promise<FeatureSet> {
  const set = await store.getFeatureSet(spaceId, id);
  if (set) return set;
  const ids = (await store.listFeatureSets(spaceId)).map((s) => s.id);
  throw new McpmuxError(
    'NOT_FOUND',
    `FeatureSet "${id}" does not exist in Space "${spaceId}". Sets: ${ids.join(', ')}. Create it with \`mcpmux featureset create ${id} --space ${spaceId}\`.`,
    { data: { entity: 'featureset', id } },
  );
}

/** `featureset create ID [--name N] [--description D] [--space S]` */
export async function create(
  ctx: Ctx,
  id: string,
  opts: SpaceOption & { name?: string; description?: string },
): Promise<number> {
  checkSlug(id, 'set id');
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    const set = await store.createFeatureSet(space.id, {
      id,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
    });
    if (ctx.json) ctx.out.data({ ...set, space: space.id });
    else
      ctx.out.line(
        `Created FeatureSet ${set.id} in Space ${space.id}. Add members with \`mcpmux featureset include ${set.id} SELECTOR\`.`,
      );
    return 0;
  });
}

/** `featureset list [--space S]` */
export async function list(ctx: Ctx, opts: SpaceOption): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    const sets = await store.listFeatureSets(space.id);
    if (ctx.json) {
      ctx.out.data(sets);
      return 0;
    }
    ctx.out.line(`FeatureSets in Space ${space.id}:`);
    ctx.out.table(
      ['ID', 'KIND', 'MEMBERS', 'NAME'],
      sets.map((s) => [
        s.id,
        s.kind,
        s.kind === 'default' || s.kind === 'custom' ? String(s.members.length) : '-',
        s.name,
      ]),
    );
    return 0;
  });
}

/** `featureset show ID [--space S]` */
export async function show(ctx: Ctx, id: string, opts: SpaceOption): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    const set = await requireSet(store, space.id, id);
    const { formatSelector } = await loadFeaturesets();
    if (ctx.json) {
      ctx.out.data({ ...set, space: space.id });
      return 0;
    }
    const o = ctx.out;
    o.line(
      `${o.color.bold(set.name)} (${set.id}, ${set.kind}${set.server ? ` of ${set.server}` : ''}) in Space ${space.id}`,
    );
    if (set.description) o.line(set.description);
    if (set.kind === 'all') o.line('Includes every feature of the Space.');
    else if (set.kind === 'server-all') o.line(`Includes every feature of server ${set.server ?? ''}.`);
    else
      o.table(
        ['MODE', 'SELECTOR'],
        set.members.map((m) => [m.mode, formatSelector(m.selector)]),
        set.kind === 'default'
          ? 'No members: clients see nothing here until something is granted or included in default.'
          : 'No members yet.',
      );
    return 0;
  });
}

/** `featureset delete ID [--space S]` */
export async function remove(ctx: Ctx, id: string, opts: SpaceOption): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    await requireSet(store, space.id, id);
    await store.deleteFeatureSet(space.id, id);
    if (ctx.json) ctx.out.data({ id, space: space.id, deleted: true });
    else ctx.out.line(`Deleted FeatureSet ${id} from Space ${space.id}.`);
    return 0;
  });
}

/** `featureset include|exclude|remove SET SELECTOR [--space S]` */
export async function member(
  ctx: Ctx,
  verb: 'include' | 'exclude' | 'remove',
  setId: string,
  text: string,
  opts: SpaceOption,
): Promise<number> {
  const { parseSelector, formatSelector } = await loadFeaturesets();
  const selector = parseSelector(text);
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    const set = await requireSet(store, space.id, setId);
    const shown = formatSelector(selector);
    let updated: FeatureSet;
    if (verb === 'remove') {
      const found = set.members.find((m) => formatSelector(m.selector) === shown);
      if (!found) {
        throw new McpmuxError(
          'NOT_FOUND',
          `FeatureSet "${setId}" has no member ${shown}. See \`mcpmux featureset show ${setId} --space ${space.id}\`.`,
          { data: { entity: 'member', id: shown } },
        );
      }
      updated = await store.removeMember(space.id, setId, found);
    } else {
      const m: Member = { mode: verb, selector };
      updated = await store.addMember(space.id, setId, m);
    }
    if (ctx.json) ctx.out.data({ ...updated, space: space.id });
    else {
      const did = verb === 'remove' ? 'Removed' : verb === 'include' ? 'Included' : 'Excluded';
      ctx.out.line(
        `${did} ${shown} ${verb === 'remove' ? 'from' : 'in'} FeatureSet ${setId} (Space ${space.id}).`,
      );
    }
    return 0;
  });
}
