import { randomBytes } from 'node:crypto';
import { fixturePath, runCli, setSecret } from './cli.js';
import { createTempHome, type TempHome } from './home.js';

/**
 * A fresh temp home after `mcpmux init` (Space `personal`, active).
 *
 * @example
 * ```ts
 * const home = await initHome();
 * ```
 */
export async function initHome(): Promise<TempHome> {
  const home = createTempHome();
  await runCli(home, ['init']);
  return home;
}

/** A random, recognisable credential value (`<label>-<hex>`), never a real secret. */
export function fakeToken(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/**
 * Installs a stdio server that runs `node ARGS...` in a Space through the CLI
 * (`server add <id> --command node --arg ... [--env K=V ...] --space <space> --no-connect`).
 *
 * @param env environment of the server, as `--env` flags. Default none.
 * @example
 * ```ts
 * await addNodeServer(home, 'team', 'everything', [packageFile('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio']);
 * ```
 */
export async function addNodeServer(
  home: TempHome,
  space: string,
  id: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  await runCli(home, [
    'server',
    'add',
    id,
    '--command',
    process.execPath,
    ...args.flatMap((a) => ['--arg', a]),
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--space',
    space,
    '--no-connect',
  ]);
}

/** Options of {@link installEnvEcho}. */
export interface EnvEchoOptions {
  /** The Space, or `'default-enabled'` for a default-enabled server. */
  space: string;
  /** Server id. Default `env-echo`. */
  server?: string;
  /** The fixture's label (resource URI and prompt text). Default: the Space id. */
  label?: string;
  /** `--alias`. Default none (the server id). */
  alias?: string;
  /** The TOKEN credential to store for this installation: in the Space, or `--global`. Default none. */
  token?: string;
}

/**
 * Installs the env-echo fixture through the CLI (`server add ... --no-connect`) with
 * `FIXTURE_TOKEN=${secret:TOKEN}`, then stores the token (`secret set`, value on stdin).
 *
 * @example
 * ```ts
 * await installEnvEcho(home, { space: 'work', token: 'w-1' });
 * ```
 */
export async function installEnvEcho(home: TempHome, options: EnvEchoOptions): Promise<void> {
  const server = options.server ?? 'env-echo';
  const defaultEnabled = options.space === 'default-enabled';
  const label = options.label ?? (defaultEnabled ? server : options.space);
  const args = [
    'server',
    'add',
    server,
    '--command',
    process.execPath,
    '--arg',
    fixturePath('env-echo.mjs'),
    '--env',
    'FIXTURE_TOKEN=${secret:TOKEN}',
    '--env',
    `FIXTURE_LABEL=${label}`,
    '--no-connect',
    ...(defaultEnabled ? ['--default-enabled'] : ['--space', options.space]),
    ...(options.alias === undefined ? [] : ['--alias', options.alias]),
  ];
  await runCli(home, args);
  if (options.token !== undefined) {
    await setSecret(
      home,
      server,
      'TOKEN',
      options.token,
      defaultEnabled ? ['--global'] : ['--space', options.space],
    );
  }
}
