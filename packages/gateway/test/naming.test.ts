import { afterEach, describe, expect, it } from 'vitest';
import { exposedName } from '../src/index.js';
import { createHarness, firstText, type Harness, rpcErrorOf } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('naming and routing through the gateway', { timeout: 30_000 }, () => {
  it('exposes long names shortened and stable, and routes them to the original tool', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    const long1 = `${'very_long_tool_name_'.repeat(3)}number_one`;
    const long2 = `${'very_long_tool_name_'.repeat(3)}number_two`;
    await h.namedServer('alpha', { tools: [long1, long2, 'short'] });
    await h.store.install('work', 'alpha');
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'all');
    const c = await h.connect('c');
    const names = await c.toolNames();
    const e1 = exposedName('alpha', long1, true);
    const e2 = exposedName('alpha', long2, true);
    expect(e1).toHaveLength(64);
    expect(names).toEqual(['alpha_short', e1, e2].sort());
    expect(firstText(await c.client.callTool({ name: e1 }))).toBe(`alpha:${long1}`);
    expect(firstText(await c.client.callTool({ name: e2 }))).toBe(`alpha:${long2}`);
    // A second session gets the same names.
    const d = await h.connect('c');
    expect(await d.toolNames()).toEqual(names);
  });

  it('passes tool objects through untouched except the name, and results untouched', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('alpha', { tools: ['ro_read'] });
    await h.store.install('work', 'alpha');
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'all');
    const c = await h.connect('c');
    const [tool] = (await c.client.listTools()).tools;
    expect(tool).toEqual({
      name: 'alpha_ro_read',
      description: 'Tool ro_read of alpha.',
      inputSchema: { type: 'object', properties: { value: { type: 'string' } } },
      annotations: { readOnlyHint: true },
      _meta: { fixture: 'alpha' },
    });
    const result = await c.client.callTool({ name: 'alpha_ro_read', arguments: { value: 'v' } });
    expect(result).toEqual({
      content: [{ type: 'text', text: 'alpha:ro_read' }],
      structuredContent: { server: 'alpha' },
      _meta: { from: 'alpha' },
    });
  });

  it('routes by table, not by splitting on "_" (aliases and names with underscores)', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('a', { tools: ['b_c'] });
    await h.namedServer('a-b', { tools: ['c'] });
    await h.store.install('work', 'a');
    await h.store.install('work', 'a-b');
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'all');
    const c = await h.connect('c');
    expect(await c.toolNames()).toEqual(['a-b_c', 'a_b_c']);
    expect(firstText(await c.client.callTool({ name: 'a_b_c' }))).toBe('a:b_c');
    expect(firstText(await c.client.callTool({ name: 'a-b_c' }))).toBe('a-b:c');
  });

  it('honours a prefix opt-out for a server alone in its Space and ignores it (reported) otherwise', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'solo' });
    await h.store.createSpace({ id: 'crowd' });
    await h.namedServer('alpha', { tools: ['read'], prompts: ['hello'] });
    await h.namedServer('beta', { tools: ['write'] });
    await h.store.install('solo', 'alpha', { prefix: false });
    await h.store.install('crowd', 'alpha', { prefix: false });
    await h.store.install('crowd', 'beta');
    await h.store.createClient({ id: 'solo-c', pinnedSpaceId: 'solo' });
    await h.store.createClient({ id: 'crowd-c', pinnedSpaceId: 'crowd' });
    await h.store.grant('solo-c', 'solo', 'all');
    await h.store.grant('crowd-c', 'crowd', 'all');
    const solo = await h.connect('solo-c');
    const crowd = await h.connect('crowd-c');
    expect(await solo.toolNames()).toEqual(['read']);
    expect((await solo.client.listPrompts()).prompts.map((p) => p.name)).toEqual(['hello']);
    expect(firstText(await solo.client.callTool({ name: 'read' }))).toBe('alpha:read');
    expect(await crowd.toolNames()).toEqual(['alpha_read', 'beta_write']);
    expect((await rpcErrorOf(crowd.client.callTool({ name: 'read' }))).message).toContain(
      'Unknown tool: read',
    );
    const reports = h.gateway.status().reports;
    expect(reports.some((r) => r.kind === 'prefix-ignored' && r.spaceId === 'crowd')).toBe(true);
    expect(reports.some((r) => r.kind === 'prefix-ignored' && r.spaceId === 'solo')).toBe(false);
  });

  it('gives a URI offered by two servers to the earlier-installed one and reports the clash', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('first', {
      resources: ['mem://shared', 'mem://first-only'],
      templates: ['tpl://{id}'],
    });
    await h.namedServer('second', {
      resources: ['mem://shared', 'mem://second-only'],
      templates: ['tpl://{id}'],
    });
    await h.store.install('work', 'first');
    await h.store.install('work', 'second');
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'all');
    const c = await h.connect('c');
    const uris = (await c.client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(['mem://shared', 'mem://first-only', 'mem://second-only']);
    const read = async (uri: string) =>
      ((await c.client.readResource({ uri })).contents[0] as { text: string }).text;
    expect(await read('mem://shared')).toBe('first:mem://shared');
    expect(await read('mem://second-only')).toBe('second:mem://second-only');
    expect((await c.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'tpl://{id}',
    ]);
    expect(await read('tpl://42')).toBe('first:tpl://42');
    expect((await rpcErrorOf(c.client.readResource({ uri: 'mem://none' }))).message).toContain(
      'Unknown resource: mem://none',
    );
    const clashes = h.gateway.status().reports.filter((r) => r.kind === 'resource-clash');
    expect(clashes.map((r) => r.message).join('\n')).toContain(
      '"mem://shared" is offered by servers "first" and "second"',
    );
    expect(clashes.some((r) => r.message.includes('tpl://{id}'))).toBe(true);
  });

  it('denies reads of resources and templates outside the grant exactly like unknown ones', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('alpha', { resources: ['mem://open', 'mem://secret'], templates: ['hidden://{id}'] });
    await h.store.install('work', 'alpha');
    await h.store.createFeatureSet('work', {
      id: 'open',
      members: [
        {
          mode: 'include',
          selector: { type: 'feature', kind: 'resource', server: 'alpha', name: 'mem://open' },
        },
      ],
    });
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'open');
    const c = await h.connect('c');
    expect((await c.client.listResources()).resources.map((r) => r.uri)).toEqual(['mem://open']);
    expect((await c.client.listResourceTemplates()).resourceTemplates).toEqual([]);
    for (const uri of ['mem://secret', 'hidden://1', 'mem://missing']) {
      const err = await rpcErrorOf(c.client.readResource({ uri }));
      expect(err.message).toContain(`Unknown resource: ${uri}`);
    }
  });
});
