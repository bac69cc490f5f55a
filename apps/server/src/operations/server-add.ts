// `mcpmux server add` and `POST /api/v1/servers` as one plan: validation (flags that go together,
// literal credentials refused, no secret in a command line, conflicts with an existing definition
// or installation) and the writes, each branch ONE store transaction. The caller asks for missing
// secrets (the CLI prompts) and may probe the server in between.
import { checkAlias, checkSlug, McpmuxError } from '@mcpmux/core';
import type {
  EffectiveServer,
  InstallationOverrides,
  InstallOptions,
  ServerDefinition,
  ServerDefinitionInput,
  ServerTransport,
  ServerTransportInput,
  Space,
  SpaceStore,
} from '@mcpmux/space-store';
import type { SecretScope, Vault } from '@mcpmux/vault';
import { isObviousCredential } from './app-configs.js';
import { type CatalogEntry, describeTransport, findCatalogEntry } from './catalog.js';
import { targetSpace } from './lookup.js';

/** What to add: a new definition (catalog entry, command or URL), or an existing one installed again. */
export interface ServerAddRequest {
  /** The server id. */
  id: string;
  /** The bundled catalog entry to define it from. Default: `id` when it is one (as `mcpmux server add ID`). */
  catalogId?: string;
  /** A stdio server's command (with `args`). */
  command?: string;
  args?: string[];
  /** A remote server's URL (with `transport`, default `http`). */
  url?: string;
  transport?: 'http' | 'sse';
  /** Environment (stdio); values may hold `${secret:NAME}` / `${env:NAME}` only for credentials. */
  env?: Record<string, string>;
  /** Headers (HTTP); same rule. */
  headers?: Record<string, string>;
  alias?: string;
  /** Default true. */
  prefix?: boolean;
  timeoutSeconds?: number;
  /** The Space to install into; default the active one. Not with `defaultEnabled`. */
  spaceId?: string;
  /** Make it available in every Space. */
  defaultEnabled?: boolean;
  /** Display name of a new definition. */
  name?: string;
  /** The directory the `filesystem` catalog entry serves by default (the CLI's working directory). */
  cwd?: string;
}

/** A secret the server needs that is not stored yet. */
export interface NeededSecret {
  name: string;
  description?: string;
  /** The command that stores it, e.g. `mcpmux secret set github TOKEN --space work`. */
  setCommand: string;
}

/** The validated plan of {@link planServerAdd}. */
export interface ServerAddPlan {
  id: string;
  space: Space;
  defaultEnabled: boolean;
  /** The new definition, when the server is not defined yet. */
  definition: ServerDefinitionInput | undefined;
  /** Per-Space differences from an existing definition. */
  overrides: InstallationOverrides;
  installation: InstallOptions;
  /** The server as the Space will run it (for a probe). */
  effective: EffectiveServer;
  /** Where its secrets go. */
  scope: SecretScope;
  /** Secrets it needs that are not stored (declared required secret inputs and `${secret:}` references). */
  missingSecrets: NeededSecret[];
  /** The catalog entry it comes from, if any. */
  catalog: CatalogEntry | undefined;
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

/**
 * Refuses a literal credential among NAME=VALUE pairs (`--env`/`--header`): the message says to
 * store it in the vault and reference it.
 * @throws `INVALID_INPUT` (field `flag`).
 */
export function refuseLiteralSecrets(pairs: Record<string, string>, flag: string, serverId: string): void {
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
  vault: Vault,
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

/**
 * Validates a server addition and plans it, writing nothing: what `mcpmux server add` and
 * `POST /api/v1/servers` both do first.
 * @throws `INVALID_INPUT` (bad id or alias, flags that do not go together, a literal credential, a
 *   secret in a command line); `NOT_FOUND` (unknown Space, a new id without command/URL/catalog
 *   entry); `CONFLICT` (defined differently, already installed, already default-enabled).
 */
export async function planServerAdd(
  store: SpaceStore,
  vault: Vault,
  req: ServerAddRequest,
): Promise<ServerAddPlan> {
  const id = req.id;
  checkSlug(id, 'server id');
  if (req.alias !== undefined) checkAlias(req.alias, 'alias');
  if (req.command !== undefined && req.url !== undefined) {
    throw new McpmuxError('INVALID_INPUT', 'Give either --command or --url, not both.', {
      data: { field: 'url' },
    });
  }
  if (req.args && req.command === undefined && req.url !== undefined) {
    throw new McpmuxError('INVALID_INPUT', '--arg goes with --command (stdio servers).', {
      data: { field: 'arg' },
    });
  }
  if (req.transport !== undefined && req.url === undefined) {
    throw new McpmuxError('INVALID_INPUT', '--transport goes with --url.', { data: { field: 'transport' } });
  }
  const defaultEnabled = req.defaultEnabled === true;
  if (defaultEnabled && req.spaceId !== undefined) {
    throw new McpmuxError(
      'INVALID_INPUT',
      'A default-enabled server is in every Space: give no Space with it.',
      {
        data: { field: 'spaceId' },
      },
    );
  }
  const prefix = req.prefix ?? true;
  const env = req.env ?? {};
  const headers = req.headers ?? {};
  refuseLiteralSecrets(env, '--env', id);
  refuseLiteralSecrets(headers, '--header', id);

  const space = await targetSpace(store, req.spaceId);
  const existing = await store.getServer(id);
  let newDef: ServerDefinitionInput | undefined;
  const overrides: InstallationOverrides = {};
  let def: Pick<ServerDefinition, 'name' | 'transport' | 'inputs' | 'timeoutSeconds'>;
  const catalog = findCatalogEntry(req.catalogId ?? id);
  if (req.catalogId !== undefined && catalog === undefined) {
    throw new McpmuxError(
      'NOT_FOUND',
      `"${req.catalogId}" is not in the bundled catalog (see \`mcpmux catalog\`).`,
      { data: { entity: 'catalog', id: req.catalogId, field: 'catalogId' } },
    );
  }

  if (!existing) {
    let transport: ServerTransportInput;
    if (req.command !== undefined) {
      transport = { type: 'stdio', command: req.command, args: req.args ?? [], env };
    } else if (req.url !== undefined) {
      transport = { type: req.transport ?? 'http', url: req.url, headers };
    } else if (catalog) {
      const base = catalog.transport;
      if (base.type === 'stdio') {
        const extra = req.args ?? (catalog.id === 'filesystem' && req.cwd !== undefined ? [req.cwd] : []);
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
    const fromCatalog = catalog !== undefined && req.command === undefined && req.url === undefined;
    newDef = {
      id,
      transport,
      inputs: fromCatalog ? catalog.inputs : [],
      defaultEnabled,
      ...(req.name !== undefined ? { name: req.name } : catalog ? { name: catalog.name } : {}),
      ...(catalog ? { description: catalog.description } : {}),
      ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
    };
    def = {
      name: newDef.name ?? id,
      transport: normalise(transport),
      inputs: (newDef.inputs ?? []).map((i) => ({
        ...i,
        secret: i.secret ?? false,
        required: i.required ?? false,
      })),
      ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
    };
  } else {
    def = existing;
    const t = existing.transport;
    const shown = describeTransport(t);
    if (req.command !== undefined && (t.type !== 'stdio' || t.command !== req.command)) {
      throw conflict(id, shown, `--command ${req.command}`);
    }
    if (
      req.url !== undefined &&
      (t.type === 'stdio' || t.url !== req.url || (req.transport ?? 'http') !== t.type)
    ) {
      throw conflict(id, shown, `--url ${req.url}`);
    }
    if (t.type === 'stdio') {
      if (Object.keys(headers).length > 0) {
        throw new McpmuxError('INVALID_INPUT', `Server "${id}" is a stdio server: use --env, not --header.`, {
          data: { field: 'header' },
        });
      }
      if (req.args && JSON.stringify(req.args) !== JSON.stringify(t.args)) overrides.args = req.args;
      const diff = Object.fromEntries(Object.entries(env).filter(([k, v]) => t.env[k] !== v));
      if (Object.keys(diff).length > 0) overrides.env = diff;
    } else {
      if (Object.keys(env).length > 0) {
        throw new McpmuxError('INVALID_INPUT', `Server "${id}" is an HTTP server: use --header, not --env.`, {
          data: { field: 'env' },
        });
      }
      const diff = Object.fromEntries(Object.entries(headers).filter(([k, v]) => t.headers[k] !== v));
      if (Object.keys(diff).length > 0) overrides.headers = diff;
    }
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds !== existing.timeoutSeconds)
      overrides.timeoutSeconds = req.timeoutSeconds;
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
  const alias = req.alias ?? id.slice(0, 24).replace(/-$/, '');
  const effective: EffectiveServer = {
    serverId: id,
    name: def.name,
    alias,
    prefix,
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
    // Loaded here: `@mcpmux/server/operations` serves read verbs too, which never need the vault.
    const { assertNoSecretInArgv } = await import('@mcpmux/vault');
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
  const missingSecrets: NeededSecret[] = [];
  for (const name of needed) {
    if (await hasSecret(vault, scope, space.id, id, defaultEnabled || effective.defaultEnabled, name))
      continue;
    const description = def.inputs.find((i) => i.name === name)?.description;
    missingSecrets.push({
      name,
      ...(description === undefined ? {} : { description }),
      setCommand: `mcpmux secret set ${id} ${name} ${defaultEnabled ? '--global' : `--space ${space.id}`}`,
    });
  }
  return {
    id,
    space,
    defaultEnabled,
    definition: newDef,
    overrides,
    installation: {
      ...(req.alias !== undefined ? { alias: req.alias } : {}),
      prefix,
      ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    },
    effective,
    scope,
    missingSecrets,
    catalog,
  };
}

/**
 * Writes a planned server addition, each branch ONE store transaction (killed or failing half-way,
 * nothing is left behind), with the features a probe discovered when given.
 * @throws whatever the store throws (nothing is written then).
 */
export async function commitServerAdd(
  store: SpaceStore,
  plan: ServerAddPlan,
  discovered?: Parameters<SpaceStore['replaceDiscovered']>[2],
): Promise<void> {
  const { id, space, definition, defaultEnabled, installation } = plan;
  if (definition && !defaultEnabled) {
    await store.installServer({
      definition,
      spaceId: space.id,
      installation,
      ...(discovered ? { discovered } : {}),
    });
    return;
  }
  if (definition) await store.createServer(definition);
  else if (defaultEnabled) await store.updateServer(id, { defaultEnabled: true });
  else await store.install(space.id, id, installation);
  // The discovered-feature cache (the gateway refills it when it connects).
  if (discovered) await store.replaceDiscovered(space.id, id, discovered);
}
