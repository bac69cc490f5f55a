import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The native shared objects a fresh Node process has loaded after running `code`. */
function nativeObjectsAfter(code: string): string[] {
  const script = `${code}\nconst objs = process.report.getReport().sharedObjects.filter((o) => o.endsWith('.node'));\nconsole.log(JSON.stringify(objs));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe('package entries', () => {
  it('loads no native module from the root entry, even after creating every key provider', () => {
    const loaded = nativeObjectsAfter(
      "const v = await import('@mcpmux/vault'); v.createKeychainKeyProvider(); v.createEnvKeyProvider(undefined);",
    );
    expect(loaded.filter((o) => /better_sqlite3|keyring/.test(o))).toEqual([]);
  });

  it('loads better-sqlite3 from the ./sqlite entry (so the check above can fail)', () => {
    const loaded = nativeObjectsAfter(
      "const { openSqliteVault } = await import('@mcpmux/vault/sqlite');" +
        "const { createEnvKeyProvider } = await import('@mcpmux/vault');" +
        "const { randomBytes } = await import('node:crypto');" +
        "await openSqliteVault({ path: ':memory:', keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')) });",
    );
    expect(loaded.some((o) => o.includes('better_sqlite3'))).toBe(true);
  });
});
