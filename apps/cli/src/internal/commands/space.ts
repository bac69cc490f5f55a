import { checkSlug, McpmuxError } from '@mcpmux/core';
import { deleteSpace, describeDeletion, spaceDeletionPreview } from '@mcpmux/server/operations';
import { type Ctx, requireSpace, shortDate } from '../context.js';

/** `space create ID [--name N] [--icon I] [--description D]` */
export async function create(
  ctx: Ctx,
  id: string,
  opts: { name?: string; icon?: string; description?: string },
): Promise<number> {
  checkSlug(id, 'space id');
  return ctx.withStore(async ({ store }) => {
    const space = await store.createSpace({
      id,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.icon !== undefined ? { icon: opts.icon } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
    });
    if (ctx.json) ctx.out.data({ id: space.id, name: space.name, active: space.active });
    else
      ctx.out.line(
        `Created Space ${space.id}${space.active ? ' (active)' : ''}. Switch to it with \`mcpmux space use ${space.id}\`.`,
      );
    return 0;
  });
}

/** `space list` */
export async function list(ctx: Ctx): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const spaces = await store.listSpaces();
    if (ctx.json) {
      ctx.out.data(spaces.map((s) => ({ id: s.id, name: s.name, active: s.active })));
      return 0;
    }
    ctx.out.table(
      ['', 'ID', 'NAME', 'ICON', 'CREATED'],
      spaces.map((s) => [s.active ? '*' : '', s.id, s.name, s.icon ?? '', shortDate(s.createdAt)]),
      'No Spaces. Run `mcpmux init`.',
    );
    return 0;
  });
}

/** `space use ID` */
export async function use(ctx: Ctx, id: string): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    await requireSpace(store, id);
    await store.setActiveSpace(id);
    if (ctx.json) ctx.out.data({ id, active: true });
    else ctx.out.line(`Active Space: ${id}. Clients that follow the active Space now see ${id}.`);
    return 0;
  });
}

/** `space delete ID --yes` */
export async function remove(ctx: Ctx, id: string, opts: { yes?: boolean }): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    if (opts.yes !== true) {
      const preview = await spaceDeletionPreview(store, vault, id);
      throw new McpmuxError(
        'INVALID_INPUT',
        `Deleting Space "${id}" removes its installations, secrets, FeatureSets and grants (${describeDeletion(preview)}). Run again with --yes to confirm.`,
        { data: { field: 'yes' } },
      );
    }
    await deleteSpace(store, id);
    if (ctx.json) ctx.out.data({ id, deleted: true });
    else ctx.out.line(`Deleted Space ${id}.`);
    return 0;
  });
}

/** `space show ID` */
export async function show(ctx: Ctx, id: string): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const space = await requireSpace(store, id);
    const [servers, sets, clients] = await Promise.all([
      store.effectiveServers(id),
      store.listFeatureSets(id),
      store.listClients(),
    ]);
    const grantsByClient = await Promise.all(
      clients.map(async (c) => ({ c, grants: await store.listGrants(c.id, id) })),
    );
    const seen = clients.filter((c) => (c.mode === 'pinned' ? c.pinnedSpaceId === id : space.active));
    if (ctx.json) {
      ctx.out.data({
        id: space.id,
        name: space.name,
        icon: space.icon,
        description: space.description,
        active: space.active,
        servers: servers.map((s) => ({
          id: s.serverId,
          alias: s.alias,
          prefix: s.prefix,
          defaultEnabled: s.defaultEnabled,
        })),
        featureSets: sets.map((s) => ({ id: s.id, name: s.name, kind: s.kind })),
        clients: seen.map((c) => c.id),
        grants: grantsByClient.flatMap(({ c, grants }) =>
          grants.map((g) => ({ client: c.id, set: g.setId })),
        ),
      });
      return 0;
    }
    const o = ctx.out;
    o.line(`${o.color.bold(space.name)} (${space.id})${space.active ? o.color.green(' active') : ''}`);
    if (space.description) o.line(space.description);
    o.line();
    o.line(o.color.bold('Servers'));
    o.table(
      ['ID', 'ALIAS', 'PREFIX', 'DEFAULT-ENABLED'],
      servers.map((s) => [s.serverId, s.alias, s.prefix ? 'yes' : 'no', s.defaultEnabled ? 'yes' : 'no']),
      `No servers. Add one with \`mcpmux server add ID --space ${id}\`.`,
    );
    o.line();
    o.line(o.color.bold('FeatureSets'));
    o.table(
      ['ID', 'KIND', 'NAME'],
      sets.map((s) => [s.id, s.kind, s.name]),
    );
    o.line();
    o.line(o.color.bold('Clients in this Space'));
    o.table(
      ['ID', 'MODE', 'GRANTS'],
      seen.map((c) => [
        c.id,
        c.mode === 'pinned' ? `pinned ${c.pinnedSpaceId ?? ''}` : 'follow-active',
        (grantsByClient.find((g) => g.c.id === c.id)?.grants ?? []).map((g) => g.setId).join(', ') || '-',
      ]),
    );
    return 0;
  });
}
