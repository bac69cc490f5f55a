#!/usr/bin/env node
// The one test command: install (if needed), lint, build, typecheck, package checks, every test.
// Ends with `tests: N passed, M failed` and exits non-zero if any step failed.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, ensureInstalled, root, run } from './bootstrap.mjs';

process.env.TURBO_TELEMETRY_DISABLED = '1';
const failed = [];

function step(label, cmd, args) {
  console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
  const started = Date.now();
  const ok = run(cmd, args);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${label}: ${ok ? 'ok' : 'FAILED'} (${secs}s)`);
  if (!ok) failed.push(label);
  return ok;
}

function finish(passed, failedTests) {
  if (failed.length > 0) console.log(`\nfailed steps: ${failed.join(', ')}`);
  console.log(`tests: ${passed} passed, ${failedTests} failed`);
  process.exit(failed.length > 0 || failedTests > 0 ? 1 : 0);
}

console.log('=== install: dependencies from the lockfile (skipped when present)');
if (!ensureInstalled()) {
  failed.push('install');
  finish(0, 0);
}

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
  const report = join(root, '.test-results', 'vitest.json');
  mkdirSync(join(root, '.test-results'), { recursive: true });
  rmSync(report, { force: true });
  step('test', bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed = json.numPassedTests ?? 0;
    failedTests = json.numFailedTests ?? 0;
    // A test file that fails to load has no test results of its own: count it as one failure.
    for (const file of json.testResults ?? []) {
      if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failedTests++;
    }
  } else {
    failedTests++;
  }
}
finish(passed, failedTests);
