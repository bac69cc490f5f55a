import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Target } from '../src/gateway.js';
import { type ConformanceRun, runConformance, type SpecVersion } from '../src/run-suite.js';

const EXPECTED_FAILURES = fileURLToPath(new URL('../expected-failures.yml', import.meta.url));

/**
 * Defines, inside the caller's `describe`, the tests of ONE run of the official suite (Node 22
 * binary, see `ensureConformanceNode`) against `start()`'s server at `specVersion`: every scenario
 * that applies to that revision (`--suite all --spec-version`), against the empty expected-failures
 * baseline, where the suite counts a warning as a failure too. One test per scenario reads that
 * run's result; each scenario's result is printed for CI.
 *
 * @param options.label - names the target in the printed lines (`direct`, `gateway`).
 * @param options.scenarios - the scenarios the suite lists for `specVersion` (listed at load time,
 *   so that each becomes its own test).
 */
export function defineConformanceRun(options: {
  label: string;
  specVersion: SpecVersion;
  scenarios: string[];
  start: () => Promise<Target>;
}): void {
  const { label, specVersion, scenarios, start } = options;
  const tag = `${label} ${specVersion}`;
  let target: Target | undefined;
  let run: ConformanceRun | undefined;

  beforeAll(async () => {
    target = await start();
    run = await runConformance({
      url: target.url,
      specVersion,
      suite: 'all',
      expectedFailures: EXPECTED_FAILURES,
    });
    for (const s of run.scenarios) {
      const notes = [...s.failedChecks, ...s.warnedChecks.map((w) => `warning ${w}`)];
      const detail = notes.length > 0 ? ` (${notes.join('; ')})` : '';
      console.log(
        `conformance ${tag} ${s.passed && s.warnings === 0 ? 'PASS' : 'FAIL'} ${s.scenario}: ${s.successes} ok, ${s.failures} failed, ${s.warnings} warnings${detail}`,
      );
    }
    const passed = run.scenarios.filter((s) => s.passed && s.warnings === 0).length;
    console.log(`conformance ${tag}: ${passed}/${scenarios.length} scenarios passed`);
  });

  afterAll(async () => {
    await target?.close();
  });

  it(`runs every scenario the suite lists for ${specVersion} once`, () => {
    expect(run?.scenarios.map((s) => s.scenario).sort()).toEqual([...scenarios].sort());
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
  });

  it('passes the whole run against the empty expected-failures baseline', () => {
    expect(run?.exitCode, run?.output.slice(-3000)).toBe(0);
  });

  it.each(scenarios)(`passes scenario %s (${tag})`, (name) => {
    const result = run?.scenarios.find((s) => s.scenario === name);
    expect(result?.failedChecks).toEqual([]);
    expect(result?.warnedChecks).toEqual([]);
    expect(result?.passed).toBe(true);
  });
}
