import { AliasSchema, McpmuxError, parseOrThrow, SlugSchema } from '@mcpmux/core';
import type {
  EffectiveServer,
  InstallationOverrides,
  ServerDefinition,
  ServerDefinitionInput,
  ServerTransport,
  ServerTransportInput,
  SpaceStore,
} from '@mcpmux/space-store';
import { isObviousCredential } from '../app-configs.js';
import { describeTransport, findCatalogEntry } from '../catalog.js';
import { type Ctx, parsePairs, readSecret, requireSpace, targetSpace } from '../context.js';
import { loadGateway, loadVault, type SecretScope, type VaultPort } from '../deps.js';

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

const SECRET_REF = /\$\{secret:([^}]+)\}/g;

/** Names of the `${secret:NAME}` references in a transport. */
export function referencedSecrets(t: ServerTransportInput): string[] {
  const values =
    t.type === 'stdio'
      ? [...(t.args ?? []), ...Object.values(t.env ?? {}), t.cwd ?? '']
      : [t.url, ...Object.values(t.headers ?? {})];
  const names = new Set<string>();
  for (const v of values) for (const m of v.matchAll(SECRET_REF)) names.add(m[1] as string);
  return [...names];
}

function refuseLiteralSecrets(pairs: Record<string, string>, flag: string, serverId: string): void {
  for (const [k, v] of Object.entries(pairs)) {
    if (isObviousCredential(k, v)) {
      throw new McpmuxError(
        'INVALID_INPUT',
        `${flag} ${k} looks like a credential; never pass secrets as arguments. Store it with \`mcpmux secret set ${serverId} ${k}\` (value on stdin) and use ${flag} '${k}=\${secret:${k}}'.`,
        { data: { field: flag } },
      );
    }
  }
}

function merge(def: ServerTransport, o: InstallationOverrides): ServerTransport {
  if (def.type === 'stdio')
    return { ...def, args: o.args ?? def.args, env: { ...def.env, ...(o.env ?? {}) } };
  return { ...def, headers: { ...def.headers, ...(o.headers ?? {}) } };
}

/** `server add` */
export async function add(ctx: Ctx, id: string, opts: AddOptions): Promise<number> {
  parseOrThrow(SlugSchema, id, 'server id');
  if (opts.alias !== undefined) parseOrThrow(AliasSchema, opts.alias, 'alias');
  if (opts.command !== undefined && opts.url !== undefined) {
    throw new McpmuxError('INVALID_INPUT', 'Give either --command or --url, not both.', {
      data: { field: 'url' },
    });
  }
  if (opts.arg && opts.command === undefined && opts.url !== undefined) {
    throw new McpmuxError('INVALID_INPUT', '--arg goes with --command (stdio servers).', {
      data: { field: 'arg' },
    });
  }
  if (opts.transport !== undefined && opts.url === undefined) {
    throw new McpmuxError('INVALID_INPUT', '--transport goes with --url.', { data: { field: 'transport' } });
  }
  const env = parsePairs(opts.env ?? [], '--env');
  const headers = parsePairs(opts.header ?? [], '--header');
  refuseLiteralSecrets(env, '--env', id);
  refuseLiteralSecrets(headers, '--header', id);

  return ctx.withHome(async ({ store, vault }) => {
    const defaultEnabled = opts.defaultEnabled === true;
    const space = await targetSpace(store, opts.space);
    const existing = await store.getServer(id);
    let newDef: ServerDefinitionInput | undefined;
    const overrides: InstallationOverrides = {};
    let def: Pick<ServerDefinition, 'name' | 'transport' | 'inputs' | 'timeoutSeconds'>;
    const catalog = findCatalogEntry(id);

    if (!existing) {
      let transport: ServerTransportInput;
      if (opts.command !== undefined) {
        transport = { type: 'stdio', command: opts.command, args: opts.arg ?? [], env };
      } else if (opts.url !== undefined) {
        transport = { type: opts.transport ?? 'http', url: opts.url, headers };
      } else if (catalog) {
        const base = catalog.transport;
        if (base.type === 'stdio') {
          const extra = opts.arg ?? (id === 'filesystem' ? [ctx.io.cwd] : []);
          transport = {
            ...base,
            args: [...(base.args ?? []), ...extra],
            env: { ...(base.env ?? {}), ...env },
          };
        } else transport = { ...base, headers: { ...(base.headers ?? {}), ...headers } };
      } else {
        throw new McpmuxError(
          'NOT_FOUND',
          `Server "${id}" is not defined and not in the bundled catalog. Give --command CMD [--arg A]... or --url URL (see \`mcpmux catalog\`).`,
          { data: { entity: 'server', id } },
        );
      }
      if (transport.type === 'stdio' && Object.keys(headers).length > 0) {
        throw new McpmuxError(
          'INVALID_INPUT',
          '--header goes with --url (HTTP servers); use --env for stdio.',
          {
            data: { field: 'header' },
          },
        );
      }
      newDef = {
        id,
        transport,
        inputs: catalog && opts.command === undefined && opts.url === undefined ? catalog.inputs : [],
        defaultEnabled,
        ...(opts.name !== undefined ? { name: opts.name } : catalog ? { name: catalog.name } : {}),
        ...(catalog ? { description: catalog.description } : {}),
        ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
      };
      def = {
        name: newDef.name ?? id,
        transport: normalise(transport),
        inputs: (newDef.inputs ?? []).map((i) => ({
          ...i,
          secret: i.secret ?? false,
          required: i.required ?? false,
        })),
        ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
      };
    } else {
      def = existing;
      const t = existing.transport;
      const shown = describeTransport(t);
      if (opts.command !== undefined && (t.type !== 'stdio' || t.command !== opts.command)) {
        throw conflict(id, shown, `--command ${opts.command}`);
      }
      if (
        opts.url !== undefined &&
        (t.type === 'stdio' || t.url !== opts.url || (opts.transport ?? 'http') !== t.type)
      ) {
        throw conflict(id, shown, `--url ${opts.url}`);
      }
      if (t.type === 'stdio') {
        if (Object.keys(headers).length > 0) {
          throw new McpmuxError(
            'INVALID_INPUT',
            `Server "${id}" is a stdio server: use --env, not --header.`,
            { data: { field: 'header' } },
          );
        }
        if (opts.arg && JSON.stringify(opts.arg) !== JSON.stringify(t.args)) overrides.args = opts.arg;
        const diff = Object.fromEntries(Object.entries(env).filter(([k, v]) => t.env[k] !== v));
        if (Object.keys(diff).length > 0) overrides.env = diff;
      } else {
        if (Object.keys(env).length > 0) {
          throw new McpmuxError(
            'INVALID_INPUT',
            `Server "${id}" is an HTTP server: use --header, not --env.`,
            { data: { field: 'env' } },
          );
        }
        const diff = Object.fromEntries(Object.entries(headers).filter(([k, v]) => t.headers[k] !== v));
        if (Object.keys(diff).length > 0) overrides.headers = diff;
      }
      if (opts.timeout !== undefined && opts.timeout !== existing.timeoutSeconds)
        overrides.timeoutSeconds = opts.timeout;
      if (defaultEnabled && Object.keys(overrides).length > 0) {
        throw new McpmuxError(
          'CONFLICT',
          `Server "${id}" already exists; per-Space differences need --space, not --default-enabled.`,
          { data: { entity: 'server', id } },
        );
      }
      if (!defaultEnabled) {
        const installed = (await store.listInstallations(space.id)).find((i) => i.serverId === id);
        if (installed) {
          throw new McpmuxError(
            'CONFLICT',
            `Server "${id}" is already installed in Space "${space.id}". Remove it first with \`mcpmux server remove ${id} --space ${space.id}\`, or use \`mcpmux server enable ${id} --space ${space.id}\`.`,
            { data: { entity: 'installation', id } },
          );
        }
      }
      if (existing.defaultEnabled && defaultEnabled) {
        throw new McpmuxError('CONFLICT', `Server "${id}" is already default-enabled.`, {
          data: { entity: 'server', id },
        });
      }
    }
    const alias = opts.alias ?? id.slice(0, 24).replace(/-$/, '');
    const effective: EffectiveServer = {
      serverId: id,
      name: def.name,
      alias,
      prefix: opts.prefix,
      defaultEnabled,
      installedAt: new Date(),
      transport: merge(def.transport, overrides),
      inputs: def.inputs,
      ...((overrides.timeoutSeconds ?? def.timeoutSeconds) !== undefined
        ? { timeoutSeconds: (overrides.timeoutSeconds ?? def.timeoutSeconds) as number }
        : {}),
      definitionHash: '',
    };
    // A secret in a command line is readable by every local user: refuse it before asking for
    // secrets, connecting or writing anything.
    if (effective.transport.type === 'stdio') {
      const { assertNoSecretInArgv } = await loadVault();
      assertNoSecretInArgv(effective.transport, (i) => `argument ${i + 1}`);
    }

    // Secrets the server needs: declared secret inputs and ${secret:...} references.
    const needed = new Set([
      ...def.inputs.filter((i) => i.secret && i.required).map((i) => i.name),
      ...referencedSecrets(effective.transport),
    ]);
    const scope: SecretScope = defaultEnabled
      ? { global: true, serverId: id }
      : { spaceId: space.id, serverId: id };
    const stored: string[] = [];
    const stdinIsTTY = ctx.io.stdinIsTTY ?? ctx.io.isTTY;
    for (const name of needed) {
      if (await hasSecret(vault, scope, space.id, id, defaultEnabled || effective.defaultEnabled, name))
        continue;
      const setCmd = `mcpmux secret set ${id} ${name} ${defaultEnabled ? '--global' : `--space ${space.id}`}`;
      if (stdinIsTTY) {
        const description = def.inputs.find((i) => i.name === name)?.description;
        const value = await readSecret(ctx, `${name}${description ? ` (${description})` : ''} for ${id}`);
        await vault.set(scope, name, value);
        stored.push(name);
      } else if (opts.connect) {
        throw new McpmuxError(
          'SECRET_MISSING',
          `Server "${id}" needs the secret ${name}. Store it first with \`${setCmd}\` (value on stdin), or add the server with --no-connect.`,
          { data: { serverId: id, name } },
        );
      } else {
        ctx.out.warn(`secret ${name} is not set; store it with \`${setCmd}\` (value on stdin).`);
      }
    }

    let features: Awaited<ReturnType<Awaited<ReturnType<typeof loadGateway>>['probeServer']>> | undefined;
    let featuresRecorded = false;
    try {
      if (opts.connect) features = await probe(ctx, vault, effective, space.id);
      const installation = {
        ...(opts.alias !== undefined ? { alias: opts.alias } : {}),
        prefix: opts.prefix,
        ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
      };
      // Each branch is ONE store transaction: killed or failing half-way, nothing is left behind.
      if (newDef && !defaultEnabled) {
        await store.installServer({
          definition: newDef,
          spaceId: space.id,
          installation,
          ...(features ? { discovered: features } : {}),
        });
        featuresRecorded = true;
      } else if (newDef) {
        await store.createServer(newDef);
      } else if (defaultEnabled) {
        await store.updateServer(id, { defaultEnabled: true });
      } else {
        await store.install(space.id, id, installation);
      }
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
    // The discovered-feature cache (the gateway refills it when it connects).
    if (features && !featuresRecorded) await store.replaceDiscovered(space.id, id, features);

    if (ctx.json) {
      ctx.out.data({
        id,
        space: defaultEnabled ? null : space.id,
        defaultEnabled,
        created: newDef !== undefined,
        overrides,
        discovered: counts ?? null,
      });
      return 0;
    }
    const where = defaultEnabled ? 'every Space (default-enabled)' : `Space ${space.id}`;
    const verb = newDef ? 'Added' : 'Installed existing';
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
    if (catalog?.hint && newDef && opts.arg === undefined) ctx.out.line(catalog.hint);
    ctx.out.line(
      `Let a client use it: \`mcpmux client grant CLIENT server-all:${id}${defaultEnabled ? '' : ` --space ${space.id}`}\`.`,
    );
    return 0;
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function normalise(t: ServerTransportInput): ServerTransport {
  return t.type === 'stdio'
    ? {
        type: 'stdio',
        command: t.command,
        args: t.args ?? [],
        env: t.env ?? {},
        ...(t.cwd !== undefined ? { cwd: t.cwd } : {}),
      }
    : { type: t.type, url: t.url, headers: t.headers ?? {} };
}

function conflict(id: string, shown: string, given: string): McpmuxError {
  return new McpmuxError(
    'CONFLICT',
    `Server "${id}" is already defined as \`${shown}\`, not ${given}. Use another id, or delete it with \`mcpmux server remove ${id} --everywhere\`.`,
    { data: { entity: 'server', id } },
  );
}

async function hasSecret(
  vault: VaultPort,
  scope: SecretScope,
  spaceId: string,
  serverId: string,
  fallsBackToGlobal: boolean,
  name: string,
): Promise<boolean> {
  if (await vault.has(scope, name)) return true;
  if ('global' in scope) return vault.has({ spaceId, serverId }, name);
  return fallsBackToGlobal && vault.has({ global: true, serverId }, name);
}

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

/** The server `id`, or NOT_FOUND naming the defined servers. */
export async function requireServer(store: SpaceStore, id: string): Promise<ServerDefinition> {
  const def = await store.getServer(id);
  if (def) return def;
  const ids = (await store.listServers()).map((s) => s.id);
  throw new McpmuxError(
    'NOT_FOUND',
    `Server "${id}" is not defined. Servers: ${ids.join(', ') || 'none'}. Add it with \`mcpmux server add ${id}\`.`,
    { data: { entity: 'server', id } },
  );
}

/** `server list [--space S]` */
export async function list(ctx: Ctx, opts: { space?: string }): Promise<number> {
  return ctx.withHome(async ({ store }) => {
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
    const [effective, installs, secrets, discovered] = await Promise.all([
      store.effectiveServers(space.id),
      store.listInstallations(space.id),
      vault.list({ serverId: id }),
      store.listDiscovered(space.id, { serverId: id }),
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
    o.line(`Secrets:    ${secretNames.map((s) => `${s.name} [${s.scope}]`).join(', ') || 'none'}`);
    const available = discovered.filter((f) => f.available);
    o.line(
      discovered.length === 0
        ? `Features:   never connected in ${space.id} (start the gateway or run \`mcpmux server add\` without --no-connect)`
        : `Features:   ${(['tool', 'prompt', 'resource'] as const).map((k) => plural(available.filter((f) => f.kind === k).length, k)).join(', ')}${available.length === 0 ? ' (unavailable)' : ''}`,
    );
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
    const def = await requireServer(store, id);
    if (opts.everywhere === true) {
      await store.deleteServer(id);
      for (const s of await vault.list({ serverId: id })) await vault.delete(s.scope, s.name);
      if (ctx.json) ctx.out.data({ id, deleted: true });
      else ctx.out.line(`Deleted server ${id} from every Space, with its secrets.`);
      return 0;
    }
    const space = await targetSpace(store, opts.space);
    const installed = (await store.listInstallations(space.id)).some((i) => i.serverId === id);
    if (!installed) {
      throw new McpmuxError(
        'NOT_FOUND',
        def.defaultEnabled
          ? `Server "${id}" is default-enabled, not installed in Space "${space.id}". Hide it here with \`mcpmux server disable ${id} --space ${space.id}\`, or delete it with --everywhere.`
          : `Server "${id}" is not installed in Space "${space.id}". See \`mcpmux server list --space ${space.id}\`.`,
        { data: { entity: 'installation', id } },
      );
    }
    await store.uninstall(space.id, id);
    for (const s of await vault.list({ spaceId: space.id, serverId: id }))
      await vault.delete(s.scope, s.name);
    if (ctx.json) ctx.out.data({ id, space: space.id, removed: true });
    else ctx.out.line(`Removed server ${id} from Space ${space.id} (its secrets there too).`);
    return 0;
  });
}

async function toggle(ctx: Ctx, id: string, opts: { space?: string }, enabled: boolean): Promise<number> {
  return ctx.withHome(async ({ store }) => {
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
