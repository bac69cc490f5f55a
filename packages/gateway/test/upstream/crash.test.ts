import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import type { UpstreamState } from '../../src/internal/upstream/types.js';
import { descendants, fixtureServer, isAlive, plainResolver, textOf, waitFor } from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('crash handling', { timeout: 30_000 }, () => {
  it('fails 100 in-flight calls fast when the upstream is SIGKILLed, restarts it, and leaves others alone', async () => {
    const states: UpstreamState[] = [];
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      backoff: { initialMs: 50 },
      events: { stateChanged: (u) => u.serverId === 'victim' && states.push(u.state) },
    });
    const victim = await pool.acquire('work', fixtureServer('victim', 'crash.mjs'));
    const bystander = await pool.acquire('work', fixtureServer('bystander', 'crash.mjs'));
    const pid = Number(textOf(await victim.request({ method: 'tools/call', params: { name: 'pid' } })));
    const bystanderCall = bystander.request({
      method: 'tools/call',
      params: { name: 'slow', arguments: { ms: 300 } },
    });

    let killedAt = 0;
    const latencies: number[] = [];
    const calls = Array.from({ length: 100 }, () =>
      victim.request({ method: 'tools/call', params: { name: 'slow', arguments: { ms: 60_000 } } }).then(
        () => {
          throw new Error('a call on the killed upstream succeeded');
        },
        (error: unknown) => {
          latencies.push(performance.now() - killedAt);
          return error;
        },
      ),
    );
    // All 100 requests are on the wire once the fixture answers a later ping-like call.
    await waitFor(() => (pool?.inFlightCount() ?? 0) >= 101, 5000, '101 calls in flight');
    killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    const errors = await Promise.all(calls);
    for (const error of errors) {
      expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(
        /^Server "victim" is unavailable \(ready\): process killed by SIGKILL/,
      );
    }
    const max = Math.max(...latencies);
    console.log(
      `[measure] SIGKILL -> all 100 in-flight calls rejected: max ${max.toFixed(1)} ms, median ${latencies.sort((a, b) => a - b)[50]?.toFixed(1)} ms`,
    );
    expect(pool.inFlightCount()).toBeLessThanOrEqual(1);

    // The other upstream never noticed.
    expect(textOf(await bystanderCall)).toBe('slept 300');
    expect(bystander.state).toBe('ready');

    // acquire waits for the restart; the next call succeeds on a new process.
    const again = await pool.acquire('work', fixtureServer('victim', 'crash.mjs'));
    expect(again).toBe(victim);
    const newPid = Number(textOf(await victim.request({ method: 'tools/call', params: { name: 'pid' } })));
    expect(newPid).not.toBe(pid);
    expect(states).toEqual(['connecting', 'ready', 'backoff', 'connecting', 'ready']);
    expect(pool.status().find((s) => s.serverId === 'victim')).toEqual(
      expect.objectContaining({ state: 'ready', restarts: 1 }),
    );
    expect(isAlive(pid)).toBe(false);
  });

  it('fails a call fast when the tool makes the upstream exit, then serves the next call', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver(), backoff: { initialMs: 20 } });
    const server = fixtureServer('crashy', 'crash.mjs');
    const upstream = await pool.acquire('work', server);
    const error = await upstream
      .request({ method: 'tools/call', params: { name: 'crash' } })
      .catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('exited with code 3');
    expect(upstream.state).toBe('backoff');
    expect(upstream.lastError).toMatch(/exited with code 3; restarting in 20 ms/);
    const direct = await upstream
      .request({ method: 'tools/call', params: { name: 'pid' } })
      .catch((e: unknown) => e);
    expect(isMcpmuxError(direct, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((direct as Error).message).toContain('(backoff)');
    await pool.acquire('work', server);
    expect(
      textOf(
        await upstream.request({ method: 'tools/call', params: { name: 'slow', arguments: { ms: 1 } } }),
      ),
    ).toBe('slept 1');
  });

  it('opens the circuit after repeated crashes and says so in the status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpmux-circuit-'));
    const stateFile = join(dir, 'starts');
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      backoff: { initialMs: 10, factor: 2, maxCrashes: 3, windowMs: 60_000 },
    });
    const server = fixtureServer('fragile', 'crash.mjs', {
      CRASH_STATE_FILE: stateFile,
      CRASH_AFTER_STARTS: '1',
    });
    const upstream = await pool.acquire('work', server);
    await upstream.request({ method: 'tools/call', params: { name: 'crash' } }).catch(() => undefined);
    await waitFor(() => upstream.state === 'circuit-open', 10_000, 'circuit-open');
    // 1 good start + 2 failed restarts; crash count 3 = maxCrashes.
    expect(readFileSync(stateFile, 'utf8').trim().split('\n')).toHaveLength(3);
    const status = pool.status()[0];
    expect(status?.state).toBe('circuit-open');
    expect(status?.restarts).toBe(2);
    expect(status?.lastError).toMatch(/exited with code 1; crashed 3 times within 60 s, circuit open/);
    expect(status?.pid).toBeUndefined();
    const error = await pool.acquire('work', server).catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('Server "fragile" is unavailable (circuit-open)');
    expect(pool.pids()).toEqual([]);

    // reset() forgets the crashes: once the server can start again, acquire connects afresh.
    writeFileSync(stateFile, '');
    await pool.reset('work', 'fragile');
    expect(upstream.state).toBe('closed');
    const fresh = await pool.acquire('work', server);
    expect(fresh).not.toBe(upstream);
    expect(fresh.state).toBe('ready');
  });

  it('rejects acquire with UPSTREAM_UNAVAILABLE when the command does not exist', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver(), backoff: { maxCrashes: 1 } });
    const error = await pool
      .acquire('work', {
        serverId: 'missing',
        defaultEnabled: false,
        transport: { type: 'stdio', command: '/nonexistent/mcp-server' },
      })
      .catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /Server "missing" is unavailable \(circuit-open\): failed to start: .*ENOENT/,
    );
  });

  it('gives up on a server that never answers initialize within connectTimeoutMs and kills it', async () => {
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      connectTimeoutMs: 300,
      backoff: { maxCrashes: 1 },
    });
    const before = descendants();
    const error = await pool
      .acquire('work', {
        serverId: 'mute',
        defaultEnabled: false,
        transport: { type: 'stdio', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
      })
      .catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('failed to start: no answer to initialize within 0.3 s');
    expect(descendants()).toEqual(before);
  });
});
