// The root entry and `./sqlite` load no zod, and neither do opening, unlocking, set, get, list and
// config resolution (issue #20: ~100 ms at every short command). Runs the BUILT package (`pnpm --filter
// @mcpmux/vault build` first) under the CLI's module-load trace; `@mcpmux/vault/schemas` loads zod.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const SCRIPT = join(import.meta.dirname, 'fixtures', 'read-path.mjs');
const REGISTER = join(ROOT, '..', '..', 'apps', 'cli', 'test', 'fixtures', 'module-trace', 'register.mjs');

const built = ['index.js', 'sqlite.js', 'schemas.js'].every((file) => existsSync(join(DIST, file)));
if (!built) {
  const why = 'packages/vault/dist is missing: run `npx -y pnpm@10.34.9 --filter @mcpmux/vault build`';
  if (process.env.CI) throw new Error(why);
  console.warn(`no-zod.test.ts skipped: ${why}`);
}

let dir: string;
let traces = 0;

/** Runs the read-path script (or only imports `entry`) under the trace: the modules it loaded. */
function traced(entry?: string): string[] {
  traces += 1;
  const file = join(dir, `trace-${traces}.txt`);
  const work = mkdtempSync(join(dir, 'run-'));
  const r = spawnSync(
    process.execPath,
    ['--import', REGISTER, SCRIPT, DIST, work, ...(entry === undefined ? [] : [entry])],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, MODULE_TRACE_FILE: file },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('ok');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeURIComponent(line));
}

const zodModules = (modules: string[]) => modules.filter((m) => m.includes('/node_modules/zod/'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpmux-vault-no-zod-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)('the built vault without zod', () => {
  it('loads no zod importing the root entry', () => {
    const modules = traced('index.js');
    expect(modules.some((m) => m.endsWith('/packages/vault/dist/index.js'))).toBe(true);
    expect(zodModules(modules)).toEqual([]);
  });

  it('loads no zod importing ./sqlite', () => {
    const modules = traced('sqlite.js');
    expect(modules.some((m) => m.endsWith('/packages/vault/dist/sqlite.js'))).toBe(true);
    expect(zodModules(modules)).toEqual([]);
  });

  it('loads no zod opening, unlocking, setting, getting, listing and resolving a config', () => {
    const modules = traced();
    expect(modules.some((m) => m.includes('better-sqlite3'))).toBe(true);
    expect(zodModules(modules)).toEqual([]);
  }, 60_000);

  it('loads zod from ./schemas (so the checks above can fail)', () => {
    expect(zodModules(traced('schemas.js')).length).toBeGreaterThan(0);
  });
});
