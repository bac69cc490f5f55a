import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureConformanceNode } from '../src/run-suite.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Every `.bin/node` under `dir`, like `find dir -path '*\/.bin/node'` (symlinked folders not followed). */
function binNodes(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.name === 'node' && d.endsWith(`${sep}.bin`)) found.push(path);
      else if (entry.isDirectory()) walk(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

/** The root's and every workspace package's `node_modules`. */
function installFolders(): string[] {
  const folders = [join(ROOT, 'node_modules')];
  for (const group of ['packages', 'apps', 'tests', 'tools']) {
    const base = join(ROOT, group);
    if (!existsSync(base)) continue;
    for (const pkg of readdirSync(base)) folders.push(join(base, pkg, 'node_modules'));
  }
  folders.push(join(ROOT, 'bench', 'node_modules'));
  return folders;
}

describe('install', () => {
  it('puts no other node binary on the install PATH (no .bin/node under any node_modules)', () => {
    expect(ROOT).toSatisfy((root: string) => existsSync(join(root, 'pnpm-workspace.yaml')));
    expect(installFolders().flatMap(binNodes)).toEqual([]);
  });

  it('runs the suite on a Node >= 22 kept outside node_modules', async () => {
    const node = await ensureConformanceNode();
    expect(node.split(sep)).not.toContain('node_modules');
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    expect(Number(version.replace(/^v/, '').split('.')[0])).toBeGreaterThanOrEqual(22);
  });
});
