// The built `@mcpmux/featuresets/resolver` loads no zod (issue #20: ~100 ms of a short-lived command's
// start-up). Runs the BUILT package (`pnpm --filter @mcpmux/featuresets build` first) under the
// module-load trace the CLI's start-up test uses, importing it by name through the exports map.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as resolver from './resolver.js';

const PACKAGE = join(import.meta.dirname, '..');
const BUILT = join(PACKAGE, 'dist', 'resolver.js');
const REGISTER = join(PACKAGE, '..', '..', 'apps', 'cli', 'test', 'fixtures', 'module-trace', 'register.mjs');

let dir: string;
let traces = 0;

/** Imports `specifier` from the package's folder in a fresh node under the trace; its exports and modules. */
function traced(specifier: string): { exports: string[]; modules: string[] } {
  traces += 1;
  const file = join(dir, `trace-${traces}.txt`);
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      REGISTER,
      '--input-type=module',
      '-e',
      `console.log(JSON.stringify(Object.keys(await import(${JSON.stringify(specifier)}))))`,
    ],
    {
      cwd: PACKAGE,
      env: { PATH: process.env.PATH, MODULE_TRACE_FILE: file },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (r.status !== 0) throw new Error(`importing ${specifier} exited ${r.status}: ${r.stderr}`);
  const modules = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeURIComponent(line));
  return { exports: JSON.parse(r.stdout) as string[], modules };
}

const zodOf = (modules: string[]): string[] =>
  modules.filter((m) => /\/node_modules\/(\.pnpm\/)?zod[@/]/.test(m));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'featuresets-entry-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

if (!existsSync(BUILT)) {
  console.warn(
    `skipping the built-entry tests: ${BUILT} is missing (pnpm --filter @mcpmux/featuresets build)`,
  );
}

describe.skipIf(!existsSync(BUILT))(
  'the built @mcpmux/featuresets/resolver entry',
  { timeout: 60_000 },
  () => {
    it('loads zod through the root entry (the trace sees it)', () => {
      const { exports, modules } = traced('@mcpmux/featuresets');
      expect(exports).toContain('SelectorSchema');
      expect(zodOf(modules)).not.toEqual([]);
    });

    it('exports what src/resolver.ts exports and loads no zod', () => {
      const { exports, modules } = traced('@mcpmux/featuresets/resolver');
      expect(exports.sort()).toEqual(Object.keys(resolver).sort());
      expect(modules.some((m) => m.endsWith('/packages/featuresets/dist/resolver.js'))).toBe(true);
      expect(zodOf(modules)).toEqual([]);
    });
  },
);
