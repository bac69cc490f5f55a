// Finds pnpm: the one on PATH at the pinned version, else `npx -y pnpm@<pinned>`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function pnpmCommand() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = String(pkg.packageManager).replace(/^pnpm@/, '');
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === version) return { cmd: 'pnpm', args: [] };
  return { cmd: 'npx', args: ['-y', `pnpm@${version}`] };
}
