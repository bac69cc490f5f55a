import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import type { RpcMessage, Upstream } from '../../src/internal/upstream/types.js';
import { everythingServer, fixtureServer, plainResolver, textOf, waitFor } from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('discovery', { timeout: 30_000 }, () => {
  it('connects to a stdio fixture and discovers every page of tools, prompts, resources and templates', async () => {
    const changed: number[] = [];
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      events: { catalogChanged: (u) => changed.push(u.catalog?.version ?? -1) },
    });
    const server = fixtureServer('lists', 'list-changing.mjs', {
      FIXTURE_TOOL_COUNT: '23',
      FIXTURE_PROMPT_COUNT: '9',
      FIXTURE_RESOURCE_COUNT: '10',
      FIXTURE_TEMPLATE_COUNT: '5',
      FIXTURE_PAGE_SIZE: '4',
    });
    const upstream = await pool.acquire('work', server);
    expect(upstream.state).toBe('ready');
    const catalog = upstream.catalog;
    // 23 numbered tools + 4 control tools, 4 per page: 7 pages.
    expect(catalog?.tools.map((t) => t.name)).toHaveLength(27);
    expect(new Set(catalog?.tools.map((t) => t.name)).size).toBe(27);
    expect(catalog?.tools.map((t) => t.name)).toContain('tool_022');
    expect(catalog?.prompts.map((p) => p.name)).toEqual(Array.from({ length: 9 }, (_, i) => `prompt_00${i}`));
    expect(catalog?.resources).toHaveLength(10);
    expect(catalog?.resourceTemplates).toHaveLength(5);
    expect(catalog?.serverInfo.name).toBe('list-changing');
    expect(catalog?.version).toBe(1);
    expect(changed).toEqual([1]);
    expect(pool.get('work', 'lists')).toBe(upstream);
    const status = pool.status();
    expect(status).toEqual([
      expect.objectContaining({
        spaceId: 'work',
        serverId: 'lists',
        state: 'ready',
        tools: 27,
        prompts: 9,
        resources: 10,
      }),
    ]);
    expect(status[0]?.pid).toBeGreaterThan(0);
  });

  it('passes tool results through untouched', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', everythingServer());
    const result = await upstream.request({
      method: 'tools/call',
      params: { name: 'get-structured-content', arguments: { location: 'New York' } },
    });
    expect(result.structuredContent).toEqual(expect.objectContaining({ temperature: expect.any(Number) }));
    expect(Object.keys(result).sort()).toEqual(['content', 'structuredContent']);
  });

  it('shares one connection between concurrent acquires of the same server', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const server = fixtureServer('lists', 'list-changing.mjs');
    const upstreams = await Promise.all(Array.from({ length: 10 }, () => pool!.acquire('work', server)));
    expect(new Set(upstreams).size).toBe(1);
    expect(pool.pids()).toHaveLength(1);
    // Another Space gets its own connection.
    const other = await pool.acquire('home', server);
    expect(other).not.toBe(upstreams[0]);
    expect(pool.pids()).toHaveLength(2);
  });

  it('re-discovers after tools/list_changed and reports the added and the removed tool', async () => {
    const seen: string[][] = [];
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      events: { catalogChanged: (u) => seen.push(u.catalog?.tools.map((t) => t.name) ?? []) },
    });
    const upstream = await pool.acquire('work', fixtureServer('lists', 'list-changing.mjs'));
    const v1 = upstream.catalog?.version ?? 0;
    await upstream.request({
      method: 'tools/call',
      params: { name: 'add_tool', arguments: { name: 'fresh_tool' } },
    });
    await waitFor(() => upstream.catalog?.tools.some((t) => t.name === 'fresh_tool'), 5000, 'fresh_tool');
    expect(upstream.catalog?.version).toBeGreaterThan(v1);
    expect(seen.at(-1)).toContain('fresh_tool');

    await upstream.request({
      method: 'tools/call',
      params: { name: 'remove_tool', arguments: { name: 'tool_003' } },
    });
    await waitFor(
      () => !upstream.catalog?.tools.some((t) => t.name === 'tool_003'),
      5000,
      'tool_003 removed',
    );
    expect(seen.at(-1)).not.toContain('tool_003');
    expect(seen.at(-1)).toContain('fresh_tool');
  });

  it('coalesces a burst of list_changed notifications into few re-discoveries', async () => {
    let changes = 0;
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      events: { catalogChanged: () => changes++ },
    });
    const upstream = await pool.acquire('work', fixtureServer('lists', 'list-changing.mjs'));
    const listCallsBefore = Number(
      textOf(await upstream.request({ method: 'tools/call', params: { name: 'list_calls' } })),
    );
    await upstream.request({ method: 'tools/call', params: { name: 'burst', arguments: { count: 50 } } });
    await waitFor(() => changes >= 2, 5000, 'a re-discovery');
    // Let any trailing re-discovery finish: wait until the catalog version is stable across a list_calls round trip.
    const listCallsAfter = Number(
      textOf(await upstream.request({ method: 'tools/call', params: { name: 'list_calls' } })),
    );
    const pagesPerListing = Math.ceil(29 / 4);
    const listings = (listCallsAfter - listCallsBefore) / pagesPerListing;
    expect(listings).toBeGreaterThanOrEqual(1);
    expect(listings).toBeLessThanOrEqual(3);
    expect(changes).toBeLessThanOrEqual(4);
  });

  it('discovers server-everything over stdio and routes its sampling, elicitation and roots requests with the origin', async () => {
    const requests: { method: string; origin: string | undefined }[] = [];
    const notifications: RpcMessage[] = [];
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      events: { notification: (_u, m) => notifications.push(m) },
      onServerRequest: async (_upstream: Upstream, request, origin) => {
        requests.push({ method: request.method, origin: origin?.sessionId });
        if (request.method === 'sampling/createMessage') {
          return { role: 'assistant', content: { type: 'text', text: 'sampled!' }, model: 'test-model' };
        }
        if (request.method === 'elicitation/create') return { action: 'accept', content: { name: 'Ada' } };
        return { roots: [{ uri: 'file:///tmp/root-a', name: 'root-a' }] };
      },
    });
    const upstream = await pool.acquire('work', everythingServer());
    await waitFor(
      () => upstream.catalog?.tools.some((t) => t.name === 'trigger-sampling-request'),
      10_000,
      'conditional tools',
    );
    // server-everything asks for roots on its own 350 ms after initialize (no call in flight: no origin).
    await waitFor(() => requests.some((r) => r.method === 'roots/list'), 5000, 'roots/list');
    expect(requests.find((r) => r.method === 'roots/list')?.origin).toBeUndefined();
    const names = upstream.catalog?.tools.map((t) => t.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining([
        'echo',
        'trigger-long-running-operation',
        'trigger-sampling-request',
        'trigger-elicitation-request',
        'get-roots-list',
      ]),
    );
    expect(upstream.catalog?.prompts.length).toBeGreaterThan(0);
    expect(upstream.catalog?.resources.length).toBeGreaterThan(0);
    expect(upstream.catalog?.resourceTemplates.length).toBeGreaterThan(0);

    const sampled = await upstream.request(
      { method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'hi' } } },
      { origin: { sessionId: 'session-a' } },
    );
    expect(textOf(sampled)).toContain('sampled!');
    expect(requests).toContainEqual({ method: 'sampling/createMessage', origin: 'session-a' });

    const progress: number[] = [];
    await upstream.request(
      {
        method: 'tools/call',
        params: { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      },
      { onProgress: (p) => progress.push(p.progress), origin: { sessionId: 'session-b' } },
    );
    expect(progress).toEqual([1, 2, 3]);

    const elicited = await upstream.request(
      { method: 'tools/call', params: { name: 'trigger-elicitation-request', arguments: {} } },
      { origin: { sessionId: 'session-c' } },
    );
    expect(JSON.stringify(elicited)).toContain('Ada');
    expect(requests).toContainEqual({ method: 'elicitation/create', origin: 'session-c' });

    await waitFor(
      () => notifications.some((n) => n.method === 'notifications/message'),
      5000,
      'a log message',
    );
  });
});
