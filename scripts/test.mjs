#!/usr/bin/env node
// The one test command: install (if needed), lint, build, typecheck, package checks, every test.
// Ends with `tests: N passed, M failed` and exits non-zero if any step failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpmCommand } from './pnpm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
process.env.TURBO_TELEMETRY_DISABLED = '1';
process.env.FORCE_COLOR ??= '0';

const pnpm = pnpmCommand();
const failed = [];

function step(label, cmd, args) {
  console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(label);
    console.log(`=== ${label}: FAILED (${secs}s)`);
    return false;
  }
  console.log(`=== ${label}: ok (${secs}s)`);
  return true;
}

if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) {
  if (!step('install', pnpm.cmd, [...pnpm.args, 'install', '--frozen-lockfile'])) finish(0, 0);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
step('lint', bin('biome'), ['ci', '.']);
const built = step('build', bin('turbo'), [
  'run',
  'build',
  'typecheck',
  'check:package',
  '--output-logs=errors-only',
]);

let passed = 0;
let failedTests = 0;
if (built) {
  mkdirSync(join(root, '.test-results'), { recursive: true });
  const report = join(root, '.test-results', 'vitest.json');
  step('test', bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests ?? 0;
    failedTests += json.numFailedTests ?? 0;
    // A suite that fails to load has no tests to count: count it as a failure.
    for (const s of json.testResults ?? [])
      if (s.status === 'failed' && (s.assertionResults ?? []).length === 0) failedTests++;
  } else {
    failedTests++;
  }
}
finish(passed, failedTests);

function finish(p, f) {
  if (failed.length > 0) console.log(`\nfailed steps: ${failed.join(', ')}`);
  console.log(`tests: ${p} passed, ${f} failed`);
  process.exit(failed.length > 0 || f > 0 ? 1 : 0);
}
