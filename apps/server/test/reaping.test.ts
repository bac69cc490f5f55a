import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHome, type TestHome } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/reap-sessions.mjs', import.meta.url));
const run = promisify(execFile);

describe('idle session reaping', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
  });

  afterAll(() => t?.cleanup());

  it('returns the heap to within 10 % of baseline after 1,000 abandoned sessions, and an evicted id answers 404', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', SCRIPT, t.home, t.keys.alice ?? ''], {
      env: { ...process.env, ...t.env },
      timeout: 150_000,
    });
    const m = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(
      `reaping: ${m.opened} sessions (${m.open} open at peak); heap baseline ${mib(m.baseline)} MiB, peak ${mib(m.peak)} MiB, after reaping ${mib(m.after)} MiB`,
    );
    expect(m.opened).toBe(1000);
    expect(m.open).toBe(1000);
    expect(m.peak).toBeGreaterThan(m.baseline);
    expect(m.after).toBeLessThanOrEqual(m.baseline * 1.1);
    expect(m.evictedStatus).toBe(404);
  }, 180_000);
});
