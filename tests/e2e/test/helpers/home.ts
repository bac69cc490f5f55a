import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway mcpmux home with its own master key and process environment. */
export interface TempHome {
  /** The `--home` directory. */
  dir: string;
  /** A scratch directory next to the home (for server-filesystem roots and the like). */
  scratch: string;
  /** The environment every child process of this home runs with (master key, HOME, no MCPMUX_HOME). */
  env: NodeJS.ProcessEnv;
  /** Removes the directories. */
  remove(): void;
}

/**
 * Creates an empty temp home and an environment with `MCPMUX_MASTER_KEY` set to a random base64
 * 32-byte key, `HOME` pointed inside the temp directory (so nothing touches the real home) and
 * `MCPMUX_HOME` removed (every CLI call passes `--home`).
 *
 * @example
 * ```ts
 * const home = createTempHome();
 * await runCli(home, ['init']);
 * home.remove();
 * ```
 */
export function createTempHome(): TempHome {
  const root = mkdtempSync(join(tmpdir(), 'mcpmux-e2e-'));
  const dir = join(root, 'home');
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MCPMUX_HOME;
  delete env.NODE_OPTIONS;
  env.MCPMUX_MASTER_KEY = randomBytes(32).toString('base64');
  env.HOME = join(root, 'user');
  env.XDG_CONFIG_HOME = join(root, 'user', '.config');
  env.NO_COLOR = '1';
  return {
    dir,
    scratch,
    env,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The SQLite database file inside a home: the one `*.db`, `*.sqlite` or `*.sqlite3` file at its top
 * level (the file name is the server's choice, not part of the CLI contract).
 *
 * @throws Error when there is not exactly one such file.
 */
export function databaseFileOf(home: TempHome): string {
  const candidates = readdirSync(home.dir).filter((f) => /\.(db|sqlite3?)$/.test(f));
  if (candidates.length !== 1) {
    throw new Error(`expected one database file in ${home.dir}, found ${JSON.stringify(candidates)}`);
  }
  return join(home.dir, candidates[0]!);
}
