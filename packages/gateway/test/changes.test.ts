import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, firstText, type Harness, rpcErrorOf, waitFor } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('list_changed after upstream changes', { timeout: 30_000 }, () => {
  it('notifies clients when an upstream adds a tool and again when it removes it', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.fixtureServer('lc', 'list-changing.mjs', { FIXTURE_TOOL_COUNT: '3' });
    await h.store.install('work', 'lc');
    await h.store.createClient({ id: 'a' });
    await h.store.createClient({ id: 'b' });
    await h.store.grant('a', 'work', 'all');
    await h.store.grant('b', 'work', 'all');
    await h.gateway.start();
    const a = await h.connect('a');
    const b = await h.connect('b');
    expect(await a.toolNames()).not.toContain('lc_fresh');
    await b.toolNames();

    await a.client.callTool({ name: 'lc_add_tool', arguments: { name: 'fresh' } });
    await waitFor(() => a.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed in a');
    await waitFor(() => b.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed in b');
    expect(await a.toolNames()).toContain('lc_fresh');
    expect(firstText(await b.client.callTool({ name: 'lc_fresh' }))).toBe('fresh');
    // Only the tools list changed.
    expect(a.count('notifications/prompts/list_changed')).toBe(0);
    expect(a.count('notifications/resources/list_changed')).toBe(0);

    const before = a.count('notifications/tools/list_changed');
    await a.client.callTool({ name: 'lc_remove_tool', arguments: { name: 'fresh' } });
    await waitFor(() => a.count('notifications/tools/list_changed') > before, 10_000, 'second list_changed');
    expect(await a.toolNames()).not.toContain('lc_fresh');
    const err = await rpcErrorOf(a.client.callTool({ name: 'lc_fresh' }));
    expect(err.message).toContain('Unknown tool: lc_fresh');

    // The discovery cache the CLI reads follows the upstream.
    const cached = await h.store.listDiscovered('work', { serverId: 'lc', availableOnly: true });
    expect(cached.some((f) => f.kind === 'tool' && f.name === 'tool_000')).toBe(true);
    expect(cached.some((f) => f.name === 'fresh')).toBe(false);
  });

  it('coalesces a burst of upstream list_changed into few downstream notifications', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.fixtureServer('lc', 'list-changing.mjs', { FIXTURE_TOOL_COUNT: '2' });
    await h.store.install('work', 'lc');
    await h.store.createClient({ id: 'a' });
    await h.store.grant('a', 'work', 'all');
    const a = await h.connect('a');
    await a.toolNames();
    await a.client.callTool({ name: 'lc_burst', arguments: { count: 20 } });
    await a.client.callTool({ name: 'lc_add_tool', arguments: { name: 'after_burst' } });
    await waitFor(() => a.count('notifications/tools/list_changed') >= 1, 10_000, 'list_changed');
    expect(await a.toolNames()).toContain('lc_after_burst');
    // 21 upstream notifications (20 of them changing nothing) give at most a couple downstream.
    expect(a.count('notifications/tools/list_changed')).toBeLessThanOrEqual(2);
  });

  it('drops a removed server’s tools and notifies only the affected Space', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'one' });
    await h.store.createSpace({ id: 'two' });
    await h.namedServer('alpha', { tools: ['x'] });
    await h.namedServer('beta', { tools: ['y'] });
    await h.store.install('one', 'alpha');
    await h.store.install('one', 'beta');
    await h.store.install('two', 'beta');
    await h.store.createClient({ id: 'c1', pinnedSpaceId: 'one' });
    await h.store.createClient({ id: 'c2', pinnedSpaceId: 'two' });
    await h.store.grant('c1', 'one', 'all');
    await h.store.grant('c2', 'two', 'all');
    const c1 = await h.connect('c1');
    const c2 = await h.connect('c2');
    expect(await c1.toolNames()).toEqual(['alpha_x', 'beta_y']);
    expect(await c2.toolNames()).toEqual(['beta_y']);
    await h.store.uninstall('one', 'alpha');
    await waitFor(() => c1.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed');
    expect(await c1.toolNames()).toEqual(['beta_y']);
    expect(c2.count('notifications/tools/list_changed')).toBe(0);
    await waitFor(
      () => !h.gateway.status().upstreams.some((u) => u.serverId === 'alpha' && u.state === 'ready'),
      10_000,
      'alpha closed',
    );
  });
});
