import { McpmuxError } from '@mcpmux/core';
import {
  commitServerAdd,
  deleteServerEverywhere,
  describeTransport,
  oauthStatus,
  planServerAdd,
  requireServer,
  uninstallServer,
} from '@mcpmux/server/operations';
import type { EffectiveServer } from '@mcpmux/space-store';
import { type Ctx, parsePairs, readSecret, requireSpace, targetSpace } from '../context.js';
import { loadGateway, type VaultPort } from '../deps.js';

export { referencedSecrets, requireServer } from '@mcpmux/server/operations';

/** Options of `server add` as commander parses them. */
export interface AddOptions {
  command?: string;
  arg?: string[];
  url?: string;
  transport?: 'http' | 'sse';
  env?: string[];
  header?: string[];
  alias?: string;
  prefix: boolean;
  connect: boolean;
  timeout?: number;
  space?: string;
  defaultEnabled?: boolean;
  name?: string;
}

/** `server add` */
export async function add(ctx: Ctx, id: string, opts: AddOptions): Promise<number> {
  const env = parsePairs(opts.env ?? [], '--env');
  const headers = parsePairs(opts.header ?? [], '--header');
  return ctx.withHome(async ({ store, vault }) => {
    const plan = await planServerAdd(store, vault, {
      id,
      ...(opts.command !== undefined ? { command: opts.command } : {}),
      ...(opts.arg !== undefined ? { args: opts.arg } : {}),
      ...(opts.url !== undefined ? { url: opts.url } : {}),
      ...(opts.transport !== undefined ? { transport: opts.transport } : {}),
      env,
      headers,
      ...(opts.alias !== undefined ? { alias: opts.alias } : {}),
      prefix: opts.prefix,
      ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
      ...(opts.space !== undefined ? { spaceId: opts.space } : {}),
      defaultEnabled: opts.defaultEnabled === true,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      cwd: ctx.io.cwd,
    });
    const { space, defaultEnabled, scope, catalog } = plan;
    const stored: string[] = [];
    const stdinIsTTY = ctx.io.stdinIsTTY ?? ctx.io.isTTY;
    for (const need of plan.missingSecrets) {
      if (stdinIsTTY) {
        const value = await readSecret(
          ctx,
          `${need.name}${need.description ? ` (${need.description})` : ''} for ${id}`,
        );
        await vault.set(scope, need.name, value);
        stored.push(need.name);
      } else if (opts.connect) {
        throw new McpmuxError(
          'SECRET_MISSING',
          `Server "${id}" needs the secret ${need.name}. Store it first with \`${need.setCommand}\` (value on stdin), or add the server with --no-connect.`,
          { data: { serverId: id, name: need.name } },
        );
      } else {
        ctx.out.warn(
          `secret ${need.name} is not set; store it with \`${need.setCommand}\` (value on stdin).`,
        );
      }
    }

    let features: Awaited<ReturnType<Awaited<ReturnType<typeof loadGateway>>['probeServer']>> | undefined;
    try {
      if (opts.connect) features = await probe(ctx, vault, plan.effective, space.id);
      await commitServerAdd(store, plan, features);
    } catch (e) {
      for (const name of stored) await vault.delete(scope, name);
      throw e;
    }
    const counts = features
      ? {
          tools: features.filter((f) => f.kind === 'tool').length,
          prompts: features.filter((f) => f.kind === 'prompt').length,
          resources: features.filter((f) => f.kind === 'resource').length,
        }
      : undefined;
    const overrides = plan.overrides;
    const created = plan.definition !== undefined;

    if (ctx.json) {
      ctx.out.data({
        id,
        space: defaultEnabled ? null : space.id,
        defaultEnabled,
        created,
        overrides,
        discovered: counts ?? null,
      });
      return 0;
    }
    const where = defaultEnabled ? 'every Space (default-enabled)' : `Space ${space.id}`;
    const verb = created ? 'Added' : 'Installed existing';
    ctx.out.line(`${verb} server ${id} in ${where}.`);
    if (Object.keys(overrides).length > 0)
      ctx.out.line(`Overrides for this Space: ${Object.keys(overrides).join(', ')}.`);
    if (counts) {
      ctx.out.line(
        `Connected: ${plural(counts.tools, 'tool')}, ${plural(counts.prompts, 'prompt')}, ${plural(counts.resources, 'resource')}.`,
      );
    } else {
      ctx.out.line('Not connected (--no-connect): its features appear once the gateway connects to it.');
    }
    if (catalog?.hint && created && opts.arg === undefined) ctx.out.line(catalog.hint);
    ctx.out.line(
      `Let a client use it: \`mcpmux client grant CLIENT server-all:${id}${defaultEnabled ? '' : ` --space ${space.id}`}\`.`,
    );
    return 0;
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function probe(ctx: Ctx, vault: VaultPort, server: EffectiveServer, spaceId: string) {
  const { probeServer } = await loadGateway();
  const spin =
    ctx.io.isTTY && !ctx.json
      ? (await import('@clack/prompts')).spinner({ output: ctx.io.stderr })
      : undefined;
  spin?.start(`Connecting to ${server.serverId}`);
  try {
    const t = server.transport;
    const transport =
      t.type === 'stdio'
        ? {
            type: 'stdio' as const,
            command: t.command,
            args: t.args,
            env: t.env,
            ...(t.cwd !== undefined ? { cwd: t.cwd } : {}),
          }
        : t;
    const features = await probeServer(
      { ...server, transport },
      {
        vault,
        spaceId,
        env: ctx.io.env,
        timeoutMs: (server.timeoutSeconds ?? 30) * 1000,
      },
    );
    spin?.stop(`Connected to ${server.serverId}`);
    return features;
  } catch (e) {
    spin?.error(`Could not connect to ${server.serverId}`);
    const reason = e instanceof Error ? e.message.replace(/\s*\n\s*/g, ' ') : String(e);
    throw new McpmuxError(
      'UPSTREAM_UNAVAILABLE',
      `Could not connect to server "${server.serverId}" (\`${describeTransport(server.transport)}\`): ${reason} Fix the command, URL or secrets and retry, or add it without validation with --no-connect. Nothing was saved.`,
      { data: { serverId: server.serverId }, cause: e },
    );
  }
}

/** `server list [--space S]` */
export async function list(ctx: Ctx, opts: { space?: string }): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    const space = await targetSpace(store, opts.space);
    const [effective, installs, defs, discovered] = await Promise.all([
      store.effectiveServers(space.id),
      store.listInstallations(space.id),
      store.listServers(),
      store.listDiscovered(space.id, { availableOnly: true }),
    ]);
    const rows = defs
      .map((d) => {
        const eff = effective.find((e) => e.serverId === d.id);
        const inst = installs.find((i) => i.serverId === d.id);
        if (!eff && !inst) return undefined;
        return {
          id: d.id,
          alias: eff?.alias ?? inst?.alias ?? d.id,
          prefix: eff?.prefix ?? inst?.prefix ?? true,
          enabled: eff !== undefined,
          defaultEnabled: d.defaultEnabled,
          transport: d.transport.type,
          target: describeTransport((eff ?? d).transport),
          features: discovered.filter((f) => f.server === d.id).length,
        };
      })
      .filter((r) => r !== undefined);
    if (ctx.json) {
      ctx.out.data(rows);
      return 0;
    }
    ctx.out.line(`Servers in Space ${space.id}:`);
    ctx.out.table(
      ['ID', 'ALIAS', 'STATE', 'SCOPE', 'FEATURES', 'TRANSPORT'],
      rows.map((r) => [
        r.id,
        r.prefix ? r.alias : `${r.alias} (no prefix)`,
        r.enabled ? 'enabled' : 'disabled',
        r.defaultEnabled ? 'default-enabled' : 'space',
        String(r.features),
        r.target,
      ]),
      `No servers in Space ${space.id}. Add one with \`mcpmux server add ID\` (see \`mcpmux catalog\`).`,
    );
    return 0;
  });
}

/** `server show ID [--space S]` */
export async function show(ctx: Ctx, id: string, opts: { space?: string }): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    const space = await targetSpace(store, opts.space);
    const def = await requireServer(store, id);
    const [effective, installs, secrets, discovered, oauth] = await Promise.all([
      store.effectiveServers(space.id),
      store.listInstallations(space.id),
      vault.list({ serverId: id }),
      store.listDiscovered(space.id, { serverId: id }),
      oauthStatus(vault, space.id, id),
    ]);
    const eff = effective.find((e) => e.serverId === id);
    const inst = installs.find((i) => i.serverId === id);
    const secretNames = secrets
      .filter((s) => ('global' in s.scope ? true : s.scope.spaceId === space.id))
      .map((s) => ({ name: s.name, scope: 'global' in s.scope ? 'global' : s.scope.spaceId }));
    const data = {
      id: def.id,
      name: def.name,
      description: def.description,
      defaultEnabled: def.defaultEnabled,
      transport: def.transport,
      inputs: def.inputs,
      timeoutSeconds: def.timeoutSeconds,
      space: space.id,
      installation: inst
        ? { alias: inst.alias, prefix: inst.prefix, enabled: inst.enabled, overrides: inst.overrides }
        : null,
      effective: eff ? { alias: eff.alias, prefix: eff.prefix, transport: eff.transport } : null,
      secrets: secretNames,
      features: discovered.map((f) => ({ kind: f.kind, name: f.name, available: f.available })),
      oauth,
    };
    if (ctx.json) {
      ctx.out.data(data);
      return 0;
    }
    const o = ctx.out;
    o.line(`${o.color.bold(def.name)} (${def.id})${def.defaultEnabled ? ' default-enabled' : ''}`);
    if (def.description) o.line(def.description);
    o.line(`Transport:  ${def.transport.type} ${describeTransport(def.transport)}`);
    const map = def.transport.type === 'stdio' ? def.transport.env : def.transport.headers;
    for (const [k, v] of Object.entries(map)) o.line(`  ${k}=${v}`);
    if (def.inputs.length > 0) {
      o.line(
        `Inputs:     ${def.inputs.map((i) => `${i.name}${i.secret ? ' (secret)' : ''}${i.required ? '' : ' (optional)'}`).join(', ')}`,
      );
    }
    o.line(
      `In ${space.id}: ${eff ? `enabled, alias ${eff.alias}${eff.prefix ? '' : ' (no prefix)'}` : inst ? 'disabled' : 'not installed'}`,
    );
    if (inst && Object.keys(inst.overrides).length > 0)
      o.line(`Overrides:  ${JSON.stringify(inst.overrides)}`);
    if (def.transport.type === 'http') {
      o.line(
        `Sign-in:    ${oauth.signedIn ? `signed in (OAuth${oauth.refreshable ? ', refreshed by the gateway' : ''})` : oauth.expired ? `expired, sign in again: mcpmux login ${id} --space ${space.id}` : `not signed in (\`mcpmux login ${id} --space ${space.id}\` if it needs OAuth)`}`,
      );
    }
    o.line(`Secrets:    ${secretNames.map((s) => `${s.name} [${s.scope}]`).join(', ') || 'none'}`);
    const available = discovered.filter((f) => f.available);
    let features: string;
    if (discovered.length === 0) {
      // Loaded only here: it asks the running gateway why nothing was discovered.
      const { notConnected } = await import('./status.js');
      const why = await notConnected(ctx.home, id, space.id);
      features = `${why.summary}: ${why.detail}`;
    } else {
      const counts = (['tool', 'prompt', 'resource'] as const).map((k) =>
        plural(available.filter((f) => f.kind === k).length, k),
      );
      features = `${counts.join(', ')}${available.length === 0 ? ' (unavailable)' : ''}`;
    }
    o.line(`Features:   ${features}`);
    return 0;
  });
}

/** `server remove ID [--space S] [--everywhere]` */
export async function remove(
  ctx: Ctx,
  id: string,
  opts: { space?: string; everywhere?: boolean },
): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    if (opts.everywhere === true) {
      await deleteServerEverywhere(store, vault, id);
      if (ctx.json) ctx.out.data({ id, deleted: true });
      else ctx.out.line(`Deleted server ${id} from every Space, with its secrets.`);
      return 0;
    }
    const space = await uninstallServer(store, vault, opts.space, id);
    if (ctx.json) ctx.out.data({ id, space, removed: true });
    else ctx.out.line(`Removed server ${id} from Space ${space} (its secrets there too).`);
    return 0;
  });
}

async function toggle(ctx: Ctx, id: string, opts: { space?: string }, enabled: boolean): Promise<number> {
  return ctx.withStore(async ({ store }) => {
    await requireServer(store, id);
    const space =
      opts.space !== undefined ? await requireSpace(store, opts.space) : await targetSpace(store, undefined);
    await store.setEnabled(space.id, id, enabled);
    if (ctx.json) ctx.out.data({ id, space: space.id, enabled });
    else ctx.out.line(`${enabled ? 'Enabled' : 'Disabled'} server ${id} in Space ${space.id}.`);
    return 0;
  });
}

/** `server enable ID [--space S]` */
export function enable(ctx: Ctx, id: string, opts: { space?: string }): Promise<number> {
  return toggle(ctx, id, opts, true);
}

/** `server disable ID [--space S]` */
export function disable(ctx: Ctx, id: string, opts: { space?: string }): Promise<number> {
  return toggle(ctx, id, opts, false);
}
