// The CLI bundles commander and picocolors (tsup `noExternal`); their licenses ship beside it, at the
// versions bundled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..');

it('ships the license of every bundled package, at the version bundled', () => {
  const pkg = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as {
    files: string[];
    devDependencies: Record<string, string>;
  };
  expect(pkg.files).toContain('THIRD_PARTY_LICENSES.md');
  const notices = readFileSync(join(cli, 'THIRD_PARTY_LICENSES.md'), 'utf8');
  const tsup = readFileSync(join(cli, 'tsup.config.ts'), 'utf8');
  const bundled =
    /noExternal: \[([^\]]*)\]/
      .exec(tsup)?.[1]
      ?.match(/'[^']+'/g)
      ?.map((s) => s.slice(1, -1)) ?? [];
  expect(bundled.sort()).toEqual(['commander', 'picocolors']);
  for (const name of bundled) {
    // pnpm links each dev dependency into the package's own node_modules.
    const dir = join(cli, 'node_modules', name);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.devDependencies[name]).toBe(version);
    expect(notices).toContain(`## ${name} ${version}`);
    const license = readFileSync(join(dir, 'LICENSE'), 'utf8');
    expect(notices).toContain(license.trim());
  }
});
