// The process edge's fast path: `bin.ts` recognises `mcpmux [--home DIR] stdio --client ID` here
// and starts the bridge without loading commander, the workspace packages or zod. Anything else
// (help, `--standalone`, an unknown flag, a typo) goes to the full CLI, which explains itself.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The mcpmux home: `flag` (`--home`), else `env.MCPMUX_HOME`, else `~/.mcpmux`; a relative path
 * resolves against `cwd`.
 *
 * @param flag - the `--home` value, if given.
 * @param env - the environment (`MCPMUX_HOME`, `HOME`, `USERPROFILE`).
 * @param cwd - the working directory relative paths resolve against.
 * @returns the absolute home path.
 * @example
 * ```ts
 * homePath(undefined, { HOME: '/home/me' }, '/'); // '/home/me/.mcpmux'
 * ```
 */
export function homePath(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): string {
  const raw = flag ?? env.MCPMUX_HOME;
  if (raw !== undefined && raw !== '') return isAbsolute(raw) ? raw : resolve(cwd, raw);
  return join(env.HOME ?? env.USERPROFILE ?? homedir(), '.mcpmux');
}

/** What the fast path needs of `mcpmux [--home DIR] stdio --client ID`. */
export interface BridgeArgs {
  /** The `--home` flag, when given. */
  home?: string;
  /** The client the bridge names in its hello. */
  client: string;
}

/** `--name value` or `--name=value` at `argv[i]`: the value and how many items it used. */
function flagValue(
  argv: readonly string[],
  i: number,
  name: string,
): { value: string; used: number } | undefined {
  const arg = argv[i] ?? '';
  if (arg === name) {
    const value = argv[i + 1];
    return value === undefined || value.startsWith('-') ? undefined : { value, used: 2 };
  }
  if (arg.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), used: 1 };
  return undefined;
}

/**
 * Recognises exactly `[--home DIR] stdio --client ID [--home DIR]` (either `--flag value` or
 * `--flag=value`, `--json` ignored where the full CLI accepts it).
 *
 * @param argv - the arguments after `node bin.js`.
 * @returns the bridge's arguments, or `undefined` for any other command line (the full CLI runs).
 * @example
 * ```ts
 * parseBridgeArgs(['--home', '/tmp/h', 'stdio', '--client', 'cursor']); // { home: '/tmp/h', client: 'cursor' }
 * parseBridgeArgs(['stdio', '--client', 'cursor', '--standalone']); // undefined
 * ```
 */
export function parseBridgeArgs(argv: readonly string[]): BridgeArgs | undefined {
  let home: string | undefined;
  let client: string | undefined;
  let command = false;
  for (let i = 0; i < argv.length; ) {
    const arg = argv[i] ?? '';
    if (arg === '--json') {
      i++;
      continue;
    }
    const homeFlag = flagValue(argv, i, '--home');
    if (homeFlag !== undefined) {
      if (home !== undefined) return undefined;
      home = homeFlag.value;
      i += homeFlag.used;
      continue;
    }
    if (!command) {
      if (arg !== 'stdio') return undefined;
      command = true;
      i++;
      continue;
    }
    const clientFlag = flagValue(argv, i, '--client');
    if (clientFlag === undefined || client !== undefined) return undefined;
    client = clientFlag.value;
    i += clientFlag.used;
  }
  if (!command || client === undefined || client === '') return undefined;
  return home === undefined ? { client } : { home, client };
}
