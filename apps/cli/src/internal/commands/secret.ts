import { checkSlug } from '@mcpmux/core';
import { checkSecretName, removeSecret, resolveSecretScope } from '@mcpmux/server/operations';
import { type Ctx, readSecret, shortDate, targetSpace } from '../context.js';

interface ScopeOptions {
  space?: string;
  global?: boolean;
}

/** `secret set SERVER NAME [--space S | --global]` (value on stdin or a hidden prompt). */
export async function set(ctx: Ctx, server: string, name: string, opts: ScopeOptions): Promise<number> {
  checkSlug(server, 'server id');
  checkSecretName(name);
  return ctx.withHome(async ({ store, vault }) => {
    const { scope, where } = await resolveSecretScope(store, {
      serverId: server,
      ...(opts.space !== undefined ? { spaceId: opts.space } : {}),
      ...(opts.global === true ? { global: true } : {}),
    });
    if (!(await store.getServer(server))) {
      ctx.out.warn(`server "${server}" is not defined yet; the secret applies once you add it.`);
    }
    const value = await readSecret(ctx, `Value of ${name} for ${server} (${where})`);
    await vault.set(scope, name, value);
    if (ctx.json) ctx.out.data({ server, name, scope: 'global' in scope ? 'global' : scope.spaceId });
    else ctx.out.line(`Stored secret ${name} for ${server} in ${where}. Reference it as \${secret:${name}}.`);
    return 0;
  });
}

/** `secret list [--space S | --global | --all] [--server ID]` */
export async function list(
  ctx: Ctx,
  opts: ScopeOptions & { server?: string; all?: boolean },
): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    const filter: { spaceId?: string; serverId?: string; global?: boolean } = {};
    if (opts.server !== undefined) filter.serverId = opts.server;
    if (opts.global === true) filter.global = true;
    else if (opts.all !== true) filter.spaceId = (await targetSpace(store, opts.space)).id;
    const secrets = await vault.list(filter);
    const rows = secrets.map((s) => ({
      server: s.scope.serverId,
      name: s.name,
      scope: 'global' in s.scope ? 'global' : s.scope.spaceId,
      updatedAt: s.updatedAt,
    }));
    if (ctx.json) {
      ctx.out.data(rows);
      return 0;
    }
    ctx.out.table(
      ['SERVER', 'NAME', 'SCOPE', 'UPDATED'],
      rows.map((r) => [r.server, r.name, r.scope, shortDate(r.updatedAt)]),
      'No secrets. Store one with `mcpmux secret set SERVER NAME` (value on stdin).',
    );
    return 0;
  });
}

/** `secret rm SERVER NAME [--space S | --global]` */
export async function rm(ctx: Ctx, server: string, name: string, opts: ScopeOptions): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    const { where } = await removeSecret(
      store,
      vault,
      {
        serverId: server,
        ...(opts.space !== undefined ? { spaceId: opts.space } : {}),
        ...(opts.global === true ? { global: true } : {}),
      },
      name,
    );
    if (ctx.json) ctx.out.data({ server, name, deleted: true });
    else ctx.out.line(`Deleted secret ${name} for ${server} in ${where}.`);
    return 0;
  });
}
