import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureHarness, type Downstream, firstText, type Harness, rpcErrorOf } from './harness.js';

// One gateway in front of the `errors.mjs` fixture (exposed as `errs_*`) for the whole file.
let h: Harness;
let c: Downstream;
beforeAll(async () => {
  ({ h, app: c } = await createFixtureHarness('errs', 'errors.mjs', { backoff: { initialMs: 20 } }));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** `levels` arrays nested in each other, built without recursion. */
function nested(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** A full, synchronous garbage collection (vitest workers run without `--expose-gc`). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function upstreamState(): string | undefined {
  return h.gateway.status().upstreams.find((u) => u.serverId === 'errs')?.state;
}

async function echo(args: Record<string, unknown>): Promise<string> {
  return firstText(await c.client.callTool({ name: 'errs_echo', arguments: args }));
}

/**
 * `count` calls whose arguments hold a BigInt, which the stdio transport cannot serialize: its send
 * throws after the SDK registered the call's response handler. Runs in its own frame so that no
 * argument object stays reachable from the test; returns weak references to them.
 */
async function callsWithUnserializableArguments(count: number): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    // Zod copies the params object on the way in; the values inside are passed on as they are.
    const pad = new Array(10_000).fill(i);
    refs.push(new WeakRef(pad));
    const args = { n: BigInt(i), pad };
    const err = await rpcErrorOf(c.client.callTool({ name: 'errs_echo', arguments: args }));
    expect(err).toEqual({
      code: -32603,
      message:
        'MCP error -32603: Could not send the request to server "errs": Do not know how to serialize a BigInt. Send plain JSON arguments.',
    });
  }
  return refs;
}

describe('requests the gateway cannot send upstream', { timeout: 60_000 }, () => {
  it('answers 100 calls with 1,000,000-deep arguments with -32602, keeps serving, leaves nothing in flight', async () => {
    const deep = nested(1_000_000);
    for (let i = 0; i < 100; i++) {
      const err = await rpcErrorOf(c.client.callTool({ name: 'errs_echo', arguments: { deep } }));
      expect(err).toEqual({
        code: -32602,
        message:
          'MCP error -32602: Invalid params: arguments nested too deeply to forward (more than 1000 levels); send them less deeply nested.',
      });
    }
    expect(h.gateway.status().inFlight).toBe(0);
    expect(upstreamState()).toBe('ready');
    expect(await echo({ after: 'deep' })).toBe('{"after":"deep"}');
  });

  it('forwards arguments nested as deep as the limit allows', async () => {
    // params (1) > arguments (2) > deep: 998 arrays (3..1000).
    const text = await echo({ deep: nested(997) });
    expect(text.startsWith('{"deep":[[[')).toBe(true);
  });

  it('frees the arguments of calls whose send fails (SDK handlers dropped) and answers -32603 without a stack', async () => {
    const refs = await callsWithUnserializableArguments(20);
    expect(h.gateway.status().inFlight).toBe(0);
    expect(upstreamState()).toBe('ready');
    expect(await echo({ after: 'bigint' })).toBe('{"after":"bigint"}');
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});

describe("an upstream's own errors", { timeout: 30_000 }, () => {
  it('relays an upstream -32000 error with its own code, message and data; the upstream stays ready', async () => {
    const call = c.client.callTool({
      name: 'errs_fail',
      arguments: { code: -32000, message: 'quota exceeded for project X', data: { retryAfter: 60 } },
    });
    await expect(call).rejects.toMatchObject({
      code: -32000,
      message: 'MCP error -32000: quota exceeded for project X',
      data: { retryAfter: 60 },
    });
    expect(upstreamState()).toBe('ready');
    expect(h.gateway.status().upstreams.find((u) => u.serverId === 'errs')?.restarts).toBe(0);
    expect(await echo({ after: 'quota' })).toBe('{"after":"quota"}');
  });

  it('still answers UPSTREAM_UNAVAILABLE when the upstream really dies mid-call', async () => {
    const err = await c.client.callTool({ name: 'errs_crash', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string; data?: { code?: string } },
    );
    expect(err?.code).toBe(-32010);
    expect(err?.message).toMatch(
      /^MCP error -32010: Server "errs" is unavailable \(ready\): process exited with code 3/,
    );
    expect(err?.data?.code).toBe('UPSTREAM_UNAVAILABLE');
  });
});
