import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TempHome } from './home.js';

/** The built CLI entry point (`apps/cli/dist/bin.js`). */
export const CLI_BIN = fileURLToPath(new URL('../../../../apps/cli/dist/bin.js', import.meta.url));

/** Absolute path of a fixture in `tests/e2e/fixtures`. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** Absolute path of a file inside an installed package, e.g. `server-everything`'s `dist/index.js`. */
export function packageFile(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

/** What a CLI run produced. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Written to stdin, then stdin is closed (secrets go here, never in argv). Default: nothing. */
  input?: string;
  /** Return a non-zero exit instead of throwing. Default false. */
  allowFailure?: boolean;
  /** Kill the CLI after this many milliseconds. Default 60000. */
  timeoutMs?: number;
}

/** True when the CLI has been built (the scenarios need `apps/cli/dist/bin.js`). */
export function cliIsBuilt(): boolean {
  return existsSync(CLI_BIN);
}

/**
 * Runs `node apps/cli/dist/bin.js --home <home> ...args` as a child process with the home's env.
 *
 * @throws Error with the exit code and stderr when the CLI exits non-zero (unless `allowFailure`).
 * @example
 * ```ts
 * await runCli(home, ['secret', 'set', 'env-echo', 'TOKEN', '--space', 'work'], { input: 'w-1\n' });
 * ```
 */
export function runCli(home: TempHome, args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const { input, allowFailure = false, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, '--home', home.dir, ...args], {
      env: home.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !allowFailure) {
        reject(new Error(`mcpmux ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * Runs the CLI with `--json` and parses stdout.
 *
 * @throws Error when the CLI fails or stdout is not JSON.
 * @example
 * ```ts
 * const spaces = await cliJson<{ id: string; active: boolean }[]>(home, ['space', 'list']);
 * ```
 */
export async function cliJson<T>(home: TempHome, args: string[], options: RunCliOptions = {}): Promise<T> {
  const { stdout } = await runCli(home, ['--json', ...args], options);
  try {
    return JSON.parse(stdout) as T;
  } catch (error) {
    throw new Error(`mcpmux --json ${args.join(' ')} printed no JSON: ${stdout.slice(0, 200)}`, {
      cause: error,
    });
  }
}

/**
 * `client add` and returns the access key (the last line of stdout, per the CLI contract).
 *
 * @example
 * ```ts
 * const key = await addClient(home, 'laptop');
 * const pinnedKey = await addClient(home, 'acme-ide', ['--pinned', 'acme']);
 * ```
 */
export async function addClient(home: TempHome, id: string, extra: string[] = []): Promise<string> {
  const { stdout } = await runCli(home, ['client', 'add', id, ...extra]);
  const key = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (!key.startsWith('mcpmux_')) throw new Error(`client add ${id} printed no access key`);
  return key;
}

/** `secret set SERVER NAME` with the value on stdin. */
export async function setSecret(
  home: TempHome,
  server: string,
  name: string,
  value: string,
  scope: string[],
): Promise<void> {
  await runCli(home, ['secret', 'set', server, name, ...scope], { input: `${value}\n` });
}
