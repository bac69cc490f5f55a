// Shared by scripts/test.mjs and scripts/start.mjs: find pnpm, install dependencies when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The pnpm to run: the one on PATH at the pinned version, else `npx -y pnpm@<pinned>`. */
export function pnpmCommand() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const version = String(pkg.packageManager).replace(/^pnpm@/, '');
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === version) return { cmd: 'pnpm', args: [] };
  return { cmd: 'npx', args: ['-y', `pnpm@${version}`] };
}

/** Path of a binary installed at the root. */
export const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command with inherited stdio; returns true on exit code 0. */
export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  return r.status === 0;
}

/** Installs dependencies from the lockfile when node_modules is missing. Returns true on success. */
export function ensureInstalled() {
  if (existsSync(join(root, 'node_modules', '.modules.yaml'))) return true;
  const pnpm = pnpmCommand();
  return run(pnpm.cmd, [...pnpm.args, 'install', '--frozen-lockfile']);
}
