import { checkSlug, McpmuxError } from '@mcpmux/core';
import { isSecretName } from './internal/checks.js';
import type { SecretScope, Vault } from './types.js';

/** The fields of a server transport that may hold `${secret:NAME}` and `${env:NAME}` references. */
export interface TemplatedConfig {
  command?: string | undefined;
  args?: readonly string[] | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  url?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  cwd?: string | undefined;
}

/** Where {@link resolveServerConfig} looks values up. */
export interface ResolveContext {
  vault: Vault;
  /** The Space the server runs in. */
  spaceId: string;
  /** The server id (not the alias). */
  serverId: string;
  /** True for a default-enabled server: a secret missing in the Space falls back to the global scope. */
  defaultEnabled: boolean;
  /** The gateway's environment, for `${env:NAME}`. */
  env: Readonly<Record<string, string | undefined>>;
}

/** The outcome of {@link resolveServerConfig}. */
export interface ResolvedConfig<T> {
  /** A copy of the config with every reference replaced; fields not listed in {@link TemplatedConfig} are kept as they are. */
  config: T;
  /** Every secret value used, for redaction (e.g. of an upstream's stderr with `createRedactor`). */
  secretValues: string[];
}

const REFERENCE = /\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Reference = { kind: 'secret'; name: string } | { kind: 'env'; name: string };

function parseReferences(text: string, field: string): Reference[] {
  const refs: Reference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const body = match[1] ?? '';
    const colon = body.indexOf(':');
    const kind = colon === -1 ? body : body.slice(0, colon);
    const name = colon === -1 ? '' : body.slice(colon + 1);
    if (kind === 'secret' && isSecretName(name)) refs.push({ kind, name });
    else if (kind === 'env' && ENV_NAME.test(name)) refs.push({ kind, name });
    else {
      // Only a short lowercase kind is echoed: the body might be a value pasted by mistake.
      const shown = /^[a-z]{1,16}$/.test(kind) && colon !== -1 ? `\${${kind}:...}` : `\${...}`;
      throw new McpmuxError(
        'INVALID_INPUT',
        `${field}: unknown reference "${shown}"; use \${secret:NAME} or \${env:NAME}`,
        { data: { field } },
      );
    }
  }
  const unclosed = text.replace(REFERENCE, '').indexOf('${');
  if (unclosed !== -1) {
    throw new McpmuxError('INVALID_INPUT', `${field}: "\${" without a closing "}"`, { data: { field } });
  }
  return refs;
}

/** The well-formed references in `text`, skipping malformed ones (they fail at resolve time). */
function scanReferences(text: string): Reference[] {
  const refs: Reference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const body = match[1] ?? '';
    const colon = body.indexOf(':');
    if (colon === -1) continue;
    const kind = body.slice(0, colon);
    const name = body.slice(colon + 1);
    if (kind === 'secret' && isSecretName(name)) refs.push({ kind, name });
    else if (kind === 'env' && ENV_NAME.test(name)) refs.push({ kind, name });
  }
  return refs;
}

/**
 * The names of the well-formed `${secret:NAME}` references in `text`, in order, each once. Malformed
 * references are skipped here (resolution reports them).
 *
 * @param text - A config value such as an env value, a header value or an argument.
 * @returns The secret names, e.g. `['TOKEN']` for `'Bearer ${secret:TOKEN}'`; `[]` when none.
 * @example
 * ```ts
 * secretReferenceNames('postgres://${secret:DB_USER}@${env:HOST}/db'); // ['DB_USER']
 * ```
 */
export function secretReferenceNames(text: string): string[] {
  const names = new Set<string>();
  for (const ref of scanReferences(text)) if (ref.kind === 'secret') names.add(ref.name);
  return [...names];
}

/**
 * Refuses a `${secret:NAME}` reference in the command line of a stdio server (`command` or any of
 * `args`): once resolved, the value would sit in the child's argument list, which every local user
 * can read (`/proc/PID/cmdline`, `ps`). Secrets reach a server through its environment instead.
 * `${env:NAME}` references are allowed: they are not secrets. {@link resolveServerConfig} runs this
 * check first, so a stored config from before the rule cannot leak either.
 *
 * @param config - The config to check; only `command` and `args` are read.
 * @param label - How to name an argument in the message (default `args[i]`; the CLI passes `--arg`).
 * @throws `INVALID_INPUT` with `data.field` (`command` or `args[i]`) and `data.secret` (the name, never
 *   a value), saying to pass the secret through the environment.
 * @example
 * ```ts
 * assertNoSecretInArgv({ command: 'npx', args: ['-y', 'server-postgres', '${env:PGHOST}'] }); // fine
 * assertNoSecretInArgv({ command: 'npx', args: ['${secret:DATABASE_URL}'] }); // throws INVALID_INPUT
 * ```
 */
export function assertNoSecretInArgv(
  config: Pick<TemplatedConfig, 'command' | 'args'>,
  label: (index: number) => string = (i) => `args[${i}]`,
): void {
  const fields: [field: string, shown: string, text: string][] = [];
  if (typeof config.command === 'string') fields.push(['command', 'command', config.command]);
  for (const [i, arg] of (config.args ?? []).entries()) fields.push([`args[${i}]`, label(i), arg]);
  for (const [field, shown, text] of fields) {
    const [name] = secretReferenceNames(text);
    if (name === undefined) continue;
    throw new McpmuxError(
      'INVALID_INPUT',
      `${shown} holds \${secret:${name}}, and secrets never go in command-line arguments: every local user can read a process's arguments (/proc/PID/cmdline). Pass it through the environment: --env ${name}='\${secret:${name}}' and reference it as the server expects (e.g. its documented variable). For a server that reads it only from its arguments, see how the bundled postgres entry does it (\`mcpmux catalog postgres\`).`,
      { data: { field, secret: name } },
    );
  }
}

/**
 * Replaces `${secret:NAME}` and `${env:NAME}` in `command`, `args`, `env` values, `url`, `headers`
 * values and `cwd` of a server config. `${secret:NAME}` is refused in `command` and `args` (see
 * {@link assertNoSecretInArgv}): a secret reaches a stdio server through `env` only. A secret comes from the server's scope in the Space and, only
 * for default-enabled servers, falls back to the global scope of the same server. Resolved values are
 * not scanned again, so a secret containing `${...}` stays literal.
 *
 * @param config - The transport config with references; other fields are copied unchanged.
 * @param ctx - Vault, Space, server, whether it is default-enabled, and the environment.
 * @returns The resolved copy and the secret values used (for redaction).
 * @throws `SECRET_MISSING` naming the Space, server, secret and field (never a value); `INVALID_INPUT`
 *   for a `${secret:NAME}` in `command` or `args`, an unknown `${...}` form or an unset `${env:NAME}`,
 *   naming the field; `VAULT_LOCKED` from the vault.
 * @example
 * ```ts
 * const { config, secretValues } = await resolveServerConfig(
 *   { command: 'npx', args: ['-y', 'server-github'], env: { GITHUB_TOKEN: '${secret:GITHUB_TOKEN}' } },
 *   { vault, spaceId: 'work', serverId: 'github', defaultEnabled: false, env: process.env },
 * );
 * ```
 */
export async function resolveServerConfig<T extends TemplatedConfig>(
  config: T,
  ctx: ResolveContext,
): Promise<ResolvedConfig<T>> {
  const spaceId = checkSlug(ctx.spaceId, 'space id');
  const serverId = checkSlug(ctx.serverId, 'server id');
  assertNoSecretInArgv(config);
  const secrets = new Map<string, string>();
  const used = new Set<string>();

  const lookup = async (name: string, field: string): Promise<string> => {
    const cached = secrets.get(name);
    if (cached !== undefined) return cached;
    const scopes: SecretScope[] = [{ spaceId, serverId }];
    if (ctx.defaultEnabled) scopes.push({ global: true, serverId });
    for (const scope of scopes) {
      const value = await ctx.vault.get(scope, name);
      if (value !== undefined) {
        secrets.set(name, value);
        return value;
      }
    }
    const fix = `mcpmux secret set ${serverId} ${name} --space ${spaceId}`;
    throw new McpmuxError(
      'SECRET_MISSING',
      `Secret "${name}" for server "${serverId}" in Space "${spaceId}" is not set (used by ${field})${
        ctx.defaultEnabled ? ', neither in the Space nor in the global scope' : ''
      }. Set it with \`${fix}\`${ctx.defaultEnabled ? ` or \`mcpmux secret set ${serverId} ${name} --global\`` : ''}.`,
      { data: { spaceId, serverId, name, field } },
    );
  };

  const resolveText = async (text: string, field: string): Promise<string> => {
    const refs = parseReferences(text, field);
    if (refs.length === 0) return text;
    const values: string[] = [];
    for (const ref of refs) {
      if (ref.kind === 'secret') {
        const value = await lookup(ref.name, field);
        used.add(value);
        values.push(value);
      } else {
        const value = ctx.env[ref.name];
        if (value === undefined) {
          throw new McpmuxError(
            'INVALID_INPUT',
            `${field}: the environment variable ${ref.name} is not set in the gateway's environment`,
            { data: { field, variable: ref.name } },
          );
        }
        values.push(value);
      }
    }
    let i = 0;
    return text.replace(REFERENCE, () => values[i++]!);
  };

  const resolveRecord = async (record: Readonly<Record<string, string>>, field: string) => {
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(record))
      entries.push([key, await resolveText(value, `${field}.${key}`)]);
    return Object.fromEntries(entries); // defines own properties, even for a key named __proto__
  };

  const out: T = { ...config };
  const target = out as TemplatedConfig;
  if (typeof config.command === 'string') target.command = await resolveText(config.command, 'command');
  if (Array.isArray(config.args)) {
    const args: string[] = [];
    for (const [i, arg] of config.args.entries()) args.push(await resolveText(arg, `args[${i}]`));
    target.args = args;
  }
  if (config.env !== undefined) target.env = await resolveRecord(config.env, 'env');
  if (typeof config.url === 'string') target.url = await resolveText(config.url, 'url');
  if (config.headers !== undefined) target.headers = await resolveRecord(config.headers, 'headers');
  if (typeof config.cwd === 'string') target.cwd = await resolveText(config.cwd, 'cwd');
  return { config: out, secretValues: [...used] };
}
