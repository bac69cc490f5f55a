import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import { fixtureServer, plainResolver, textOf, waitFor } from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

type Cancellation = { requestId: number; reason: string };

/** Polls the hang fixture until it has recorded `count` cancellations; returns them. */
async function cancellationsReceived(
  upstream: {
    request: (m: { method: string; params?: Record<string, unknown> }) => Promise<Record<string, unknown>>;
  },
  count: number,
): Promise<Cancellation[]> {
  let list: Cancellation[] = [];
  await waitFor(
    async () => {
      list = JSON.parse(
        textOf(await upstream.request({ method: 'tools/call', params: { name: 'cancellations' } })),
      );
      return list.length === count;
    },
    5000,
    `${count} cancellation(s) to reach the fixture`,
  );
  return list;
}

describe('timeouts and cancellation', { timeout: 30_000 }, () => {
  it('times out a hanging tool at the server timeout with UPSTREAM_TIMEOUT and cancels it upstream', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', {
      ...fixtureServer('hang', 'hang.mjs'),
      timeoutSeconds: 0.8,
    });
    const started = performance.now();
    const error = await upstream
      .request({ method: 'tools/call', params: { name: 'hang' } })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    console.log(`[measure] hanging tool with timeoutSeconds 0.8 rejected after ${elapsed.toFixed(0)} ms`);
    expect(isMcpmuxError(error, 'UPSTREAM_TIMEOUT')).toBe(true);
    expect((error as Error).message).toBe(
      'Server "hang" did not answer within 0.8 s; the request was cancelled.',
    );
    expect(pool.inFlightCount()).toBe(0);
    const received = await cancellationsReceived(upstream, 1);
    expect(received[0]?.reason).toContain('timed out');
    expect(upstream.state).toBe('ready');
  });

  it('uses the pool call timeout when the server sets none, and a per-call timeout over both', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver(), callTimeoutMs: 300 });
    const upstream = await pool.acquire('work', fixtureServer('hang', 'hang.mjs'));
    const a = await upstream
      .request({ method: 'tools/call', params: { name: 'hang' } })
      .catch((e: unknown) => e);
    expect((a as Error).message).toContain('within 0.3 s');
    const b = await upstream
      .request({ method: 'tools/call', params: { name: 'hang' } }, { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(isMcpmuxError(b, 'UPSTREAM_TIMEOUT')).toBe(true);
    expect((b as Error).message).toContain('within 0.15 s;');
    await cancellationsReceived(upstream, 2);
  });

  it('sends notifications/cancelled upstream when the caller aborts, and rejects with the abort reason', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', fixtureServer('hang', 'hang.mjs'));
    const controller = new AbortController();
    const call = upstream
      .request({ method: 'tools/call', params: { name: 'hang' } }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await waitFor(() => pool?.inFlightCount() === 1, 5000, 'the call in flight');
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(await call).toBe(reason);
    const received = await cancellationsReceived(upstream, 1);
    expect(received[0]?.reason).toContain('client went away');
    expect(pool.inFlightCount()).toBe(0);
  });

  it('delivers a cancellation sent in the same tick as its request', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', fixtureServer('hang', 'hang.mjs'));
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const call = upstream
        .request({ method: 'tools/call', params: { name: 'hang' } }, { signal: controller.signal })
        .catch((e: unknown) => e);
      controller.abort(new Error(`abort ${i}`));
      expect(((await call) as Error).message).toBe(`abort ${i}`);
    }
    const received = await cancellationsReceived(upstream, 5);
    expect(received.map((c) => c.reason)).toEqual(
      ['abort 0', 'abort 1', 'abort 2', 'abort 3', 'abort 4'].map((r) => `Error: ${r}`),
    );
    expect(pool.inFlightCount()).toBe(0);
  });

  it('relays an upstream JSON-RPC error as an McpError with its code', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', fixtureServer('lists', 'list-changing.mjs'));
    const error = (await upstream
      .request({ method: 'tools/call', params: { name: 'no_such_tool' } })
      .catch((e: unknown) => e)) as { code?: number; message?: string };
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('Unknown tool: no_such_tool');
    expect(isMcpmuxError(error)).toBe(false);
  });
});
