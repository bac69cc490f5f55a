import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, openHome, type RunningServer, startServer } from '@mcpmux/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceRun, listServerScenarios, runConformance } from '../src/run-suite.js';

// The official suite against the mcpmux gateway with the fixture as its only upstream (stdio,
// prefixing off), served by `startServer` with an anonymous client granted `all`. Same rules as
// the direct run: the active suite against the empty baseline, pending scenarios without failures.
const all = await listServerScenarios();
const EXPECTED_FAILURES = fileURLToPath(new URL('../expected-failures.yml', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('conformance suite against the gateway with the fixture behind it', () => {
  let home: string;
  let server: RunningServer;
  let active: ConformanceRun;
  let pending: ConformanceRun;

  beforeAll(async () => {
    if (!existsSync(FIXTURE))
      throw new Error('Build the fixture first: pnpm --filter @mcpmux/conformance-tests build');
    home = mkdtempSync(join(tmpdir(), 'mcpmux-conformance-gw-'));
    const env = { MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
    const opened = await openHome({ home, env, create: true });
    await opened.store.createSpace({ id: 'conformance' });
    await opened.store.createServer({
      id: 'fixture',
      transport: { type: 'stdio', command: process.execPath, args: [FIXTURE, '--stdio'] },
    });
    await opened.store.install('conformance', 'fixture', { prefix: false });
    await opened.store.createClient({ id: 'conformance' });
    await opened.store.grant('conformance', 'conformance', 'all');
    await opened.close();
    server = await startServer({
      home,
      env,
      port: 0,
      anonymousClientId: 'conformance',
      logger: createLogger({ level: 'warn' }),
    });
    active = await runConformance({ url: server.url, suite: 'active', expectedFailures: EXPECTED_FAILURES });
    pending = await runConformance({ url: server.url, suite: 'pending' });
    for (const s of [...active.scenarios, ...pending.scenarios]) {
      console.log(
        `conformance gateway ${s.passed ? 'PASS' : 'FAIL'} ${s.scenario}: ${s.successes} ok, ${s.failures} failed, ${s.warnings} warnings${s.failedChecks.length > 0 ? ` (${s.failedChecks.join('; ')})` : ''}`,
      );
    }
  });

  afterAll(async () => {
    await server?.close();
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  it('runs every listed scenario once, active or pending', () => {
    const ran = [...active.scenarios, ...pending.scenarios].map((s) => s.scenario).sort();
    expect(ran).toEqual([...all].sort());
  });

  it('passes the active suite against the empty expected-failures baseline', () => {
    expect(active.exitCode, active.output.slice(-3000)).toBe(0);
  });

  it.each(all)('passes scenario %s through the gateway', (name) => {
    const result = [...active.scenarios, ...pending.scenarios].find((s) => s.scenario === name);
    expect(result?.failedChecks).toEqual([]);
    expect(result?.passed).toBe(true);
  });
});
