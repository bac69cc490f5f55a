// Shared by scripts/test.mjs and scripts/start.mjs: find pnpm, install dependencies when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Makes the pinned pnpm callable as `pnpm` for this process and its children (turbo needs it on
 * PATH): the one on PATH if it is the pinned version, else npm's cached copy of `pnpm@<pinned>`
 * (fetched by `npm exec` on first use), whose folder goes first on PATH. Returns false if neither works.
 */
export function ensurePnpm() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const version = String(pkg.packageManager).replace(/^pnpm@/, '');
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === version) return true;
  console.log(`=== pnpm ${version} is not on PATH: using npm's copy (npm exec pnpm@${version})`);
  const found = spawnSync('npm', ['exec', '--yes', `--package=pnpm@${version}`, '-c', 'command -v pnpm'], {
    encoding: 'utf8',
    cwd: root,
  });
  const path = found.status === 0 ? found.stdout.trim().split('\n').at(-1) : '';
  if (!path) return false;
  process.env.PATH = `${dirname(path)}${delimiter}${process.env.PATH ?? ''}`;
  return true;
}

/** Path of a binary installed at the root. */
export const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command with inherited stdio; returns true on exit code 0. */
export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  return r.status === 0;
}

/** Puts pnpm on PATH and installs dependencies from the lockfile when node_modules is missing. */
export function ensureInstalled() {
  if (!ensurePnpm()) return false;
  if (existsSync(join(root, 'node_modules', '.modules.yaml'))) return true;
  return run('pnpm', ['install', '--frozen-lockfile']);
}
