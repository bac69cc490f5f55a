import { McpmuxError, parseOrThrow, SlugSchema } from '@mcpmux/core';
import { type Ctx, readSecret, shortDate, targetSpace } from '../context.js';
import type { SecretScope } from '../deps.js';

interface ScopeOptions {
  space?: string;
  global?: boolean;
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `secret name "${name}": use 1-128 ASCII letters, digits, "_", "." or "-", starting with a letter or "_".`,
      { data: { field: 'name' } },
    );
  }
}

/** `secret set SERVER NAME [--space S | --global]` (value on stdin or a hidden prompt). */
export async function set(ctx: Ctx, server: string, name: string, opts: ScopeOptions): Promise<number> {
  parseOrThrow(SlugSchema, server, 'server id');
  checkName(name);
  return ctx.withHome(async ({ store, vault }) => {
    let scope: SecretScope;
    let where: string;
    if (opts.global === true) {
      scope = { global: true, serverId: server };
      where = 'the global scope';
    } else {
      const space = await targetSpace(store, opts.space);
      scope = { spaceId: space.id, serverId: server };
      where = `Space ${space.id}`;
    }
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
    const scope: SecretScope =
      opts.global === true
        ? { global: true, serverId: server }
        : { spaceId: (await targetSpace(store, opts.space)).id, serverId: server };
    const where = 'global' in scope ? 'the global scope' : `Space ${scope.spaceId}`;
    const deleted = await vault.delete(scope, name);
    if (!deleted) {
      throw new McpmuxError(
        'NOT_FOUND',
        `No secret ${name} for ${server} in ${where}. See \`mcpmux secret list --all\`.`,
        { data: { entity: 'secret', id: name } },
      );
    }
    if (ctx.json) ctx.out.data({ server, name, deleted: true });
    else ctx.out.line(`Deleted secret ${name} for ${server} in ${where}.`);
    return 0;
  });
}
