import { join } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../src/index.js';
import { createHarness, firstText, type Harness, rpcErrorOf, waitFor } from './harness.js';
import { descendants } from './upstream/helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('sessions and upstream lifecycle', () => {
  it('forgets a connection that closes before it sent anything', async () => {
    const harness = await createHarness();
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.store.createClient({ id: 'c' });
    for (let i = 0; i < 20; i++) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await harness.gateway.connect(serverSide, { clientId: 'c' });
      await clientSide.close();
    }
    await waitFor(() => harness.gateway.status().sessions === 0, 5_000, 'the silent connections forgotten');
  });

  it('takes a subscribe sent before any list while the resource server is still connecting', async () => {
    // What a bridge does when it replays an app's subscriptions on a gateway that just started.
    const harness = await createHarness();
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.namedServer('alpha', { resources: ['mem://a'] });
    await harness.store.install('work', 'alpha');
    await harness.store.createClient({ id: 'c' });
    await harness.store.grant('c', 'work', 'all');
    const d = await harness.connect('c');
    expect(harness.gateway.status().upstreams.filter((u) => u.state === 'ready')).toHaveLength(0);
    await d.client.subscribeResource({ uri: 'mem://a' });
    expect(harness.gateway.status().subscriptions).toBe(1);
    const denied = await rpcErrorOf(d.client.subscribeResource({ uri: 'mem://nope' }));
    expect(denied.message).toContain('Unknown resource: mem://nope');
  });

  it('leaves no extra child process and no session state after 1,000 open/close cycles', async () => {
    const harness = await createHarness();
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.namedServer('alpha', { tools: ['read'], resources: ['mem://a'] });
    await harness.store.install('work', 'alpha');
    await harness.store.createClient({ id: 'c' });
    await harness.store.grant('c', 'work', 'all');
    await harness.gateway.start();
    const warm = await harness.connect('c');
    expect(await warm.toolNames()).toEqual(['alpha_read']);
    await warm.close();
    await waitFor(() => harness.gateway.status().sessions === 0, 5_000, 'warm session closed');
    const children = descendants().length;
    expect(children).toBeGreaterThan(0);

    for (let i = 0; i < 1_000; i++) {
      const d = await harness.connect('c');
      if (i % 50 === 0) {
        expect(firstText(await d.client.callTool({ name: 'alpha_read' }))).toBe('alpha:read');
        await d.client.subscribeResource({ uri: 'mem://a' });
        await d.client.setLoggingLevel('debug');
      }
      await d.close();
    }
    await waitFor(
      () => harness.gateway.status().sessions === 0 && harness.gateway.status().inFlight === 0,
      10_000,
      'sessions closed',
    );
    const status = harness.gateway.status();
    expect(status.sessions).toBe(0);
    expect(status.subscriptions).toBe(0);
    expect(status.inFlight).toBe(0);
    expect(status.sessionsBySpace).toEqual({});
    expect(descendants().length).toBe(children);
    expect(status.upstreams.filter((u) => u.state === 'ready')).toHaveLength(1);

    await harness.close();
    h = undefined;
    await waitFor(() => descendants().length === 0, 10_000, 'no child process after close');
  }, 120_000);

  it('fails in-flight calls fast with the server and its state when an upstream dies, then recovers', async () => {
    const harness = await createHarness({ backoff: { initialMs: 2_000 } });
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.fixtureServer('crashy', 'crash.mjs');
    await harness.namedServer('steady', { tools: ['ping'] });
    await harness.store.install('work', 'crashy');
    await harness.store.install('work', 'steady');
    await harness.store.createClient({ id: 'c' });
    await harness.store.grant('c', 'work', 'all');
    const c = await harness.connect('c');
    expect(await c.toolNames()).toContain('crashy_slow');
    const pid = Number(firstText(await c.client.callTool({ name: 'crashy_pid' })));

    const calls = Array.from({ length: 100 }, () =>
      rpcErrorOf(c.client.callTool({ name: 'crashy_slow', arguments: { ms: 30_000 } })),
    );
    await waitFor(() => harness.gateway.status().inFlight >= 100, 10_000, '100 calls in flight');
    process.kill(pid, 'SIGKILL');
    const errors = await Promise.all(calls);
    for (const err of errors) {
      expect(err.code).toBe(GatewayErrorCode.UpstreamUnavailable);
      expect(err.message).toContain('crashy');
    }
    // During backoff its tools stay listed and calls fail naming the server and its state.
    expect(harness.gateway.status().upstreams.find((u) => u.serverId === 'crashy')?.state).toBe('backoff');
    expect(await c.toolNames()).toContain('crashy_slow');
    const during = await rpcErrorOf(c.client.callTool({ name: 'crashy_pid' }));
    expect(during.code).toBe(GatewayErrorCode.UpstreamUnavailable);
    expect(during.message).toMatch(/crashy.*backoff/);
    // The other upstream is unaffected, and the crashed one serves again after its restart.
    expect(firstText(await c.client.callTool({ name: 'steady_ping' }))).toBe('steady:ping');
    await waitFor(
      () => harness.gateway.status().upstreams.some((u) => u.serverId === 'crashy' && u.state === 'ready'),
      10_000,
      'restart',
    );
    expect(firstText(await c.client.callTool({ name: 'crashy_slow', arguments: { ms: 1 } }))).toBe('slept 1');
    expect(await c.toolNames()).toContain('crashy_slow');
  }, 60_000);

  it('times out a hanging call with UPSTREAM_TIMEOUT and cancels it upstream', async () => {
    const harness = await createHarness({ callTimeoutMs: 300 });
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.fixtureServer('hang', 'hang.mjs');
    await harness.store.install('work', 'hang');
    await harness.store.createClient({ id: 'c' });
    await harness.store.grant('c', 'work', 'all');
    const c = await harness.connect('c');
    const err = await rpcErrorOf(c.client.callTool({ name: 'hang_hang' }));
    expect(err.code).toBe(GatewayErrorCode.UpstreamTimeout);
    expect(err.message).toContain('hang');
    await waitFor(
      async () => JSON.parse(firstText(await c.client.callTool({ name: 'hang_cancellations' }))).length === 1,
      5_000,
      'cancellation upstream',
    );
    await waitFor(async () => (await harness.store.listAudit({ clientId: 'c' })).length >= 1, 5_000, 'audit');
    const audit = await harness.store.listAudit({ clientId: 'c', action: 'tools/call' });
    expect(audit.some((e) => e.outcome === 'timeout' && e.feature?.name === 'hang')).toBe(true);
  }, 30_000);

  it('drops the features of a crashed server when its circuit opens', async () => {
    const harness = await createHarness({ backoff: { initialMs: 20, maxCrashes: 2, windowMs: 60_000 } });
    h = harness;
    await harness.store.createSpace({ id: 'work' });
    await harness.fixtureServer('fragile', 'crash.mjs', {
      CRASH_STATE_FILE: join(harness.dir, 'starts.txt'),
      CRASH_AFTER_STARTS: '1',
    });
    await harness.namedServer('steady', { tools: ['ping'] });
    await harness.store.install('work', 'fragile');
    await harness.store.install('work', 'steady');
    await harness.store.createClient({ id: 'c' });
    await harness.store.grant('c', 'work', 'all');
    const c = await harness.connect('c');
    expect(await c.toolNames()).toContain('fragile_crash');
    await rpcErrorOf(c.client.callTool({ name: 'fragile_crash' }));
    await waitFor(
      () =>
        harness.gateway
          .status()
          .upstreams.some((u) => u.serverId === 'fragile' && u.state === 'circuit-open'),
      15_000,
      'circuit open',
    );
    await waitFor(() => c.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed');
    expect(await c.toolNames()).toEqual(['steady_ping']);
    const err = await rpcErrorOf(c.client.callTool({ name: 'fragile_pid' }));
    expect(err.message).toContain('Unknown tool: fragile_pid');
    // The CLI's cache says the server's features are unavailable.
    await waitFor(
      async () =>
        (await harness.store.listDiscovered('work', { serverId: 'fragile', availableOnly: true })).length ===
        0,
      5_000,
      'features marked unavailable',
    );
  }, 30_000);
});
