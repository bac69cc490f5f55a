import { checkSlug, McpmuxError } from '@mcpmux/core';
import type { Client, SpaceStore } from '@mcpmux/space-store';
import { type Ctx, requireClient, requireSpace, shortDate, targetSpace } from '../context.js';
import { loadHome } from '../deps.js';

const clientJson = (c: Client) => ({
  id: c.id,
  name: c.name,
  mode: c.mode,
  pinnedSpaceId: c.pinnedSpaceId ?? null,
  lean: c.lean,
  pinnedTools: c.pinnedTools,
});

const modeText = (c: Client) =>
  `${c.mode === 'pinned' ? `pinned ${c.pinnedSpaceId ?? ''}` : 'follow-active'}${c.lean ? ', lean' : ''}`;

/** Prints an access key: JSON `{ accessKey, ... }`, or human text with the key alone on the last line. */
function printKey(ctx: Ctx, client: Client, accessKey: string, intro: string): void {
  if (ctx.json) {
    ctx.out.data({ ...clientJson(client), accessKey });
    return;
  }
  ctx.out.line(intro);
  ctx.out.line('Copy the access key now; it is shown only once (send it as `Authorization: Bearer KEY`):');
  ctx.out.line(accessKey);
}

/** `client add ID [--name N] [--pinned SPACE]` */
export async function add(ctx: Ctx, id: string, opts: { name?: string; pinned?: string }): Promise<number> {
  checkSlug(id, 'client id');
  return ctx.withStore(async ({ store }) => {
    if (opts.pinned !== undefined) await requireSpace(store, opts.pinned);
    const { client, accessKey } = await store.createClient({
      id,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.pinned !== undefined ? { mode: 'pinned' as const, pinnedSpaceId: opts.pinned } : {}),
    });
    printKey(
      ctx,
      client,
      accessKey,
      `Added client ${client.id} (${modeText(client)}). Grant it features with \`mcpmux client grant ${client.id} SET\`.`,
    );
    return 0;
  });
}

/** `client list` */
export async function list(ctx: Ctx): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const clients = await store.listClients();
    if (ctx.json) {
      ctx.out.data(clients.map(clientJson));
      return 0;
    }
    ctx.out.table(
      ['ID', 'NAME', 'MODE'],
      clients.map((c) => [c.id, c.name, modeText(c)]),
      'No clients. Add one with `mcpmux client add ID`.',
    );
    return 0;
  });
}

/** `client show ID` */
export async function show(ctx: Ctx, id: string): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const client = await requireClient(store, id);
    const [keys, grants] = await Promise.all([store.listAccessKeys(id), store.listGrants(id)]);
    if (ctx.json) {
      ctx.out.data({
        ...clientJson(client),
        keys: keys.map((k) => ({
          prefix: k.prefix,
          createdAt: k.createdAt,
          lastUsedAt: k.lastUsedAt ?? null,
          revokedAt: k.revokedAt ?? null,
          expiresAt: k.expiresAt ?? null,
        })),
        grants: grants.map((g) => ({ space: g.spaceId, set: g.setId })),
      });
      return 0;
    }
    const o = ctx.out;
    o.line(`${o.color.bold(client.name)} (${client.id}), ${modeText(client)}`);
    if (client.lean) {
      o.line(
        `Lean mode: lists mcpmux_search_tools, mcpmux_describe_tool, mcpmux_call_tool${client.pinnedTools.length > 0 ? ` and ${client.pinnedTools.length} pinned tool${client.pinnedTools.length === 1 ? '' : 's'}` : ''} instead of every tool.`,
      );
    }
    if (client.pinnedTools.length > 0) o.line(`Pinned tools: ${client.pinnedTools.join(', ')}`);
    o.line();
    o.line(o.color.bold('Access keys'));
    o.table(
      ['PREFIX', 'CREATED', 'LAST USED', 'STATE'],
      keys.map((k) => [
        `${k.prefix}...`,
        shortDate(k.createdAt),
        shortDate(k.lastUsedAt),
        k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt.getTime() < Date.now() ? 'expired' : 'active',
      ]),
    );
    o.line();
    o.line(o.color.bold('Grants'));
    o.table(
      ['SPACE', 'SET'],
      grants.map((g) => [g.spaceId, g.setId]),
      `No grants: the client sees only each Space's default set. Grant with \`mcpmux client grant ${id} SET --space S\`.`,
    );
    return 0;
  });
}

/** `client remove ID` */
export async function remove(ctx: Ctx, id: string): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    await requireClient(store, id);
    await store.deleteClient(id);
    if (ctx.json) ctx.out.data({ id, deleted: true });
    else ctx.out.line(`Removed client ${id}; its access keys no longer work.`);
    return 0;
  });
}

/** `client key rotate ID` */
export async function rotate(ctx: Ctx, id: string): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const client = await requireClient(store, id);
    const accessKey = await store.rotateAccessKey(id);
    printKey(ctx, client, accessKey, `Issued a new access key for ${id}; the previous keys are revoked.`);
    return 0;
  });
}

/** `client mode ID [follow-active | pinned SPACE] [--lean | --no-lean]` */
export async function mode(
  ctx: Ctx,
  id: string,
  m: 'follow-active' | 'pinned' | undefined,
  space: string | undefined,
  opts: { lean?: boolean } = {},
): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    let client = await requireClient(store, id);
    if (m === undefined && opts.lean === undefined) {
      throw new McpmuxError(
        'INVALID_INPUT',
        `Say what to change: \`mcpmux client mode ${id} follow-active\`, \`mcpmux client mode ${id} pinned SPACE\`, or \`--lean\` / \`--no-lean\`.`,
        { data: { field: 'mode' } },
      );
    }
    if (m === undefined) {
      if (space !== undefined) {
        throw new McpmuxError(
          'INVALID_INPUT',
          `Name the mode before the Space: \`mcpmux client mode ${id} pinned ${space}\`.`,
          {
            data: { field: 'mode' },
          },
        );
      }
    } else if (m === 'pinned') {
      if (space === undefined) {
        throw new McpmuxError('INVALID_INPUT', `Name the Space: \`mcpmux client mode ${id} pinned SPACE\`.`, {
          data: { field: 'space' },
        });
      }
      await requireSpace(store, space);
      client = await store.updateClient(id, { mode: 'pinned', pinnedSpaceId: space });
    } else {
      if (space !== undefined) {
        throw new McpmuxError('INVALID_INPUT', 'follow-active takes no Space.', { data: { field: 'space' } });
      }
      client = await store.updateClient(id, { mode: 'follow-active' });
    }
    if (opts.lean !== undefined) client = await store.updateClient(id, { lean: opts.lean });
    if (ctx.json) ctx.out.data(clientJson(client));
    else {
      ctx.out.line(`Client ${id} is now ${modeText(client)}.`);
      if (opts.lean === true) {
        ctx.out.line(
          `Its apps list mcpmux_search_tools, mcpmux_describe_tool and mcpmux_call_tool${client.pinnedTools.length > 0 ? ' plus its pinned tools' : ''}; keep a tool listed with \`mcpmux client pin ${id} TOOL\`.`,
        );
      }
    }
    return 0;
  });
}

/** The exposed tool names a client may use in its Space now (from the discovery cache), or undefined. */
async function knownTools(store: SpaceStore, id: string): Promise<Set<string> | undefined> {
  try {
    const { resolveClientPolicy, effectiveFeatures } = await loadHome();
    const { context, resolution } = await resolveClientPolicy(store, id, undefined);
    return new Set(
      effectiveFeatures(context, resolution)
        .filter((f) => f.kind === 'tool')
        .map((f) => f.exposedName),
    );
  } catch {
    return undefined; // no Space to look in: nothing to check against
  }
}

/** `client pin ID TOOL...`: tools a lean client keeps listed (exposed names). */
export async function pin(ctx: Ctx, id: string, tools: string[]): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const before = await requireClient(store, id);
    const client = await store.updateClient(id, { pinnedTools: [...before.pinnedTools, ...tools] });
    if (ctx.json) {
      ctx.out.data(clientJson(client));
      return 0;
    }
    ctx.out.line(`Pinned for ${id}: ${client.pinnedTools.join(', ')}.`);
    const known = await knownTools(store, id);
    const unknown = known === undefined ? [] : tools.filter((t) => !known.has(t));
    if (unknown.length > 0) {
      ctx.out.line(
        `note: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the tools ${id} may use in its Space now (see \`mcpmux tools --client ${id}\`); a pinned tool is listed only where the client may use it.`,
      );
    }
    if (!client.lean) {
      ctx.out.line(
        `note: ${id} is not in lean mode, so it lists every tool; turn it on with \`mcpmux client mode ${id} --lean\`.`,
      );
    }
    return 0;
  });
}

/** `client unpin ID TOOL...` */
export async function unpin(ctx: Ctx, id: string, tools: string[]): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const before = await requireClient(store, id);
    const missing = tools.filter((t) => !before.pinnedTools.includes(t));
    if (missing.length > 0) {
      throw new McpmuxError(
        'NOT_FOUND',
        `Client "${id}" has no pinned tool ${missing.join(', ')}. Pinned: ${before.pinnedTools.join(', ') || 'none'}.`,
        { data: { entity: 'pinned-tool', id: missing[0] } },
      );
    }
    const drop = new Set(tools);
    const client = await store.updateClient(id, {
      pinnedTools: before.pinnedTools.filter((t) => !drop.has(t)),
    });
    if (ctx.json) ctx.out.data(clientJson(client));
    else
      ctx.out.line(
        `Unpinned for ${id}: ${tools.join(', ')}. Pinned now: ${client.pinnedTools.join(', ') || 'none'}.`,
      );
    return 0;
  });
}

async function requireSetInSpace(store: SpaceStore, spaceId: string, setId: string): Promise<void> {
  if (await store.getFeatureSet(spaceId, setId)) return;
  const ids = (await store.listFeatureSets(spaceId)).map((s) => s.id);
  throw new McpmuxError(
    'NOT_FOUND',
    `FeatureSet "${setId}" does not exist in Space "${spaceId}". Sets: ${ids.join(', ')}.`,
    { data: { entity: 'featureset', id: setId } },
  );
}

/** `client grant ID SET [--space S]` */
export async function grant(ctx: Ctx, id: string, setId: string, opts: { space?: string }): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    await requireClient(store, id);
    const space = await targetSpace(store, opts.space);
    await requireSetInSpace(store, space.id, setId);
    await store.grant(id, space.id, setId);
    if (ctx.json) ctx.out.data({ client: id, space: space.id, set: setId, granted: true });
    else
      ctx.out.line(
        `Granted ${setId} to ${id} in Space ${space.id}. See the result with \`mcpmux tools --client ${id} --space ${space.id}\`.`,
      );
    return 0;
  });
}

/** `client ungrant ID SET [--space S]` */
export async function ungrant(
  ctx: Ctx,
  id: string,
  setId: string,
  opts: { space?: string },
): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    await requireClient(store, id);
    const space = await targetSpace(store, opts.space);
    const had = (await store.listGrants(id, space.id)).some((g) => g.setId === setId);
    if (!had) {
      throw new McpmuxError(
        'NOT_FOUND',
        `Client "${id}" has no grant of ${setId} in Space "${space.id}". See \`mcpmux client show ${id}\`.`,
        {
          data: { entity: 'grant', id: setId },
        },
      );
    }
    await store.ungrant(id, space.id, setId);
    if (ctx.json) ctx.out.data({ client: id, space: space.id, set: setId, granted: false });
    else ctx.out.line(`Revoked ${setId} from ${id} in Space ${space.id}.`);
    return 0;
  });
}
