import { afterEach, describe, expect, it } from 'vitest';
import { prespawnedCount } from '../../src/internal/upstream/prespawned.js';
import { prespawnUpstreams } from '../../src/prespawn.js';
import { createHarness, type Harness, waitFor } from '../harness.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('prespawnUpstreams', () => {
  it("starts the active Space's literal stdio servers, and the gateway adopts the very child", async () => {
    h = await createHarness({ env });
    await h.namedServer('alpha', { tools: ['one'] });
    await h.setUpWork(['alpha'], ['app']);
    await h.store.setActiveSpace('work');
    const started = await prespawnUpstreams({ store: h.store, env });
    expect(started.map((s) => s.serverId)).toEqual(['alpha']);
    const pid = started[0]?.pid as number;
    expect(alive(pid)).toBe(true);

    await h.gateway.start();
    const app = await h.connect('app');
    expect(await app.toolNames()).toEqual(['alpha_one']);
    const upstream = h.gateway.status().upstreams.find((u) => u.serverId === 'alpha');
    expect(upstream?.pid).toBe(pid);
    expect(prespawnedCount()).toBe(0);
  });

  it('leaves a server with a ${env:} or ${secret:} reference to the gateway', async () => {
    h = await createHarness({ env });
    await h.fixtureServer('withenv', 'env-echo.mjs', { TOKEN: '${env:HOME}' });
    await h.setUpWork(['withenv'], ['app']);
    await h.store.setActiveSpace('work');
    expect(await prespawnUpstreams({ store: h.store, env })).toEqual([]);
    expect(prespawnedCount()).toBe(0);
  });

  it('kills a child nobody adopts (another environment than the gateway builds) after its time', async () => {
    h = await createHarness({ env });
    await h.namedServer('beta', { tools: ['two'] });
    await h.setUpWork(['beta'], ['app']);
    await h.store.setActiveSpace('work');
    const started = await prespawnUpstreams({ store: h.store, env: { ...env, TZ: 'UTC' }, ttlMs: 300 });
    const pid = started[0]?.pid as number;
    await h.gateway.start();
    const app = await h.connect('app');
    expect(await app.toolNames()).toEqual(['beta_two']);
    expect(h.gateway.status().upstreams.find((u) => u.serverId === 'beta')?.pid).not.toBe(pid);
    await waitFor(() => !alive(pid), 5_000);
    expect(prespawnedCount()).toBe(0);
  });
});
