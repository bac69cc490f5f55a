import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, firstText, type Harness, rpcErrorOf, waitFor } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('policy through the gateway', { timeout: 30_000 }, () => {
  it('shows two clients of one Space different lists and lets each call only its own tools', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('alpha', { tools: ['read', 'write', 'delete'] });
    await h.store.install('work', 'alpha');
    await h.store.createFeatureSet('work', {
      id: 'readers',
      members: [
        { mode: 'include', selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'read' } },
      ],
    });
    await h.store.createFeatureSet('work', {
      id: 'writers',
      members: [
        { mode: 'include', selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'write' } },
      ],
    });
    await h.store.createClient({ id: 'reader' });
    await h.store.createClient({ id: 'writer' });
    await h.store.grant('reader', 'work', 'readers');
    await h.store.grant('writer', 'work', 'writers');
    await h.gateway.start();

    const reader = await h.connect('reader');
    const writer = await h.connect('writer');
    expect(await reader.toolNames()).toEqual(['alpha_read']);
    expect(await writer.toolNames()).toEqual(['alpha_write']);

    expect(
      firstText(await reader.client.callTool({ name: 'alpha_read', arguments: { value: 'ARGUMENT-VALUE' } })),
    ).toBe('alpha:read');
    const denied = await rpcErrorOf(reader.client.callTool({ name: 'alpha_write' }));
    const unknown = await rpcErrorOf(reader.client.callTool({ name: 'alpha_nope' }));
    expect(denied.code).toBe(ErrorCode.InvalidParams);
    expect(unknown.code).toBe(ErrorCode.InvalidParams);
    expect(denied.message.replace('alpha_write', 'X')).toBe(unknown.message.replace('alpha_nope', 'X'));
    expect(denied.message).toContain('Unknown tool: alpha_write');
    expect(firstText(await writer.client.callTool({ name: 'alpha_write' }))).toBe('alpha:write');

    // Every call is audited: allowed and denied, never with arguments.
    await waitFor(async () => (await h.store.listAudit({ clientId: 'reader' })).length >= 3, 5_000, 'audit');
    const audit = await h.store.listAudit({ clientId: 'reader' });
    const decisions = audit.map((e) => `${e.action}:${e.decision}:${e.outcome}`).sort();
    expect(decisions).toEqual(['tools/call:allow:ok', 'tools/call:deny:error', 'tools/call:deny:error']);
    const allowed = audit.find((e) => e.decision === 'allow');
    expect(allowed?.feature).toEqual({ kind: 'tool', server: 'alpha', name: 'read' });
    expect(allowed?.spaceId).toBe('work');
    expect(JSON.stringify(audit)).not.toContain('ARGUMENT-VALUE');
  });

  it('lets an exclude beat an include of the same tool', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('alpha', { tools: ['ro_list', 'write', 'delete'] });
    await h.store.install('work', 'alpha');
    await h.store.createFeatureSet('work', {
      id: 'no-delete',
      members: [
        { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'delete' } },
      ],
    });
    await h.store.createFeatureSet('work', {
      id: 'dev',
      members: [
        { mode: 'include', selector: { type: 'server', server: 'alpha' } },
        { mode: 'include', selector: { type: 'featureSet', id: 'no-delete' } },
      ],
    });
    await h.store.createClient({ id: 'dev' });
    await h.store.grant('dev', 'work', 'dev');
    const dev = await h.connect('dev');
    expect(await dev.toolNames()).toEqual(['alpha_ro_list', 'alpha_write']);
    const err = await rpcErrorOf(dev.client.callTool({ name: 'alpha_delete' }));
    expect(err.message).toContain('Unknown tool: alpha_delete');
  });

  it('keeps a pinned client in its Space while a follow-active one is notified and sees the new Space', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'home' });
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('homesrv', { tools: ['cook'] });
    await h.namedServer('worksrv', { tools: ['ship'] });
    await h.store.install('home', 'homesrv');
    await h.store.install('work', 'worksrv');
    await h.store.createClient({ id: 'follower' });
    await h.store.createClient({ id: 'pinned', pinnedSpaceId: 'home' });
    for (const c of ['follower', 'pinned']) {
      await h.store.grant(c, 'home', 'all');
      await h.store.grant(c, 'work', 'all');
    }
    await h.gateway.start();
    const follower = await h.connect('follower');
    const pinned = await h.connect('pinned');
    expect(await follower.toolNames()).toEqual(['homesrv_cook']);
    expect(await pinned.toolNames()).toEqual(['homesrv_cook']);

    await h.store.setActiveSpace('work');
    await waitFor(() => follower.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed');
    expect(await follower.toolNames()).toEqual(['worksrv_ship']);
    expect(firstText(await follower.client.callTool({ name: 'worksrv_ship' }))).toBe('worksrv:ship');
    expect(await pinned.toolNames()).toEqual(['homesrv_cook']);
    expect(pinned.count('notifications/tools/list_changed')).toBe(0);
    expect(firstText(await pinned.client.callTool({ name: 'homesrv_cook' }))).toBe('homesrv:cook');
  });

  it('gives each Space its own secret TOKEN for the same server', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'one' });
    await h.store.createSpace({ id: 'two' });
    await h.fixtureServer('echo', 'env-echo.mjs', { TOKEN: '${secret:TOKEN}' });
    await h.store.install('one', 'echo');
    await h.store.install('two', 'echo');
    await h.vault.set({ spaceId: 'one', serverId: 'echo' }, 'TOKEN', 'token-of-one');
    await h.vault.set({ spaceId: 'two', serverId: 'echo' }, 'TOKEN', 'token-of-two');
    await h.store.createClient({ id: 'c1', pinnedSpaceId: 'one' });
    await h.store.createClient({ id: 'c2', pinnedSpaceId: 'two' });
    await h.store.grant('c1', 'one', 'all');
    await h.store.grant('c2', 'two', 'all');
    const c1 = await h.connect('c1');
    const c2 = await h.connect('c2');
    const echo = (d: typeof c1) => d.client.callTool({ name: 'echo_echo_env', arguments: { name: 'TOKEN' } });
    expect(firstText(await echo(c1))).toBe('token-of-one');
    expect(firstText(await echo(c2))).toBe('token-of-two');
    const upstreams = h.gateway.status().upstreams.filter((u) => u.serverId === 'echo');
    expect(upstreams.map((u) => u.spaceId).sort()).toEqual(['one', 'two']);
    expect(JSON.stringify(h.gateway.status())).not.toContain('token-of');
  });

  it('shows a default-enabled server in every Space until a Space disables it locally', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'one' });
    await h.store.createSpace({ id: 'two' });
    await h.namedServer('shared', { tools: ['search'] }, { defaultEnabled: true });
    await h.store.createClient({ id: 'c1', pinnedSpaceId: 'one' });
    await h.store.createClient({ id: 'c2', pinnedSpaceId: 'two' });
    await h.store.grant('c1', 'one', 'all');
    await h.store.grant('c2', 'two', 'all');
    await h.gateway.start();
    const c1 = await h.connect('c1');
    const c2 = await h.connect('c2');
    expect(await c1.toolNames()).toEqual(['shared_search']);
    expect(await c2.toolNames()).toEqual(['shared_search']);

    await h.store.setEnabled('two', 'shared', false);
    await waitFor(() => c2.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed in two');
    expect(await c2.toolNames()).toEqual([]);
    expect(await c1.toolNames()).toEqual(['shared_search']);
    expect(c1.count('notifications/tools/list_changed')).toBe(0);
  });

  it('sends list_changed when a grant is added and the new tool becomes callable', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('alpha', { tools: ['read'], prompts: ['greet'] });
    await h.store.install('work', 'alpha');
    await h.store.createClient({ id: 'c' });
    await h.gateway.start();
    const c = await h.connect('c');
    expect(await c.toolNames()).toEqual([]);
    expect((await c.client.listPrompts()).prompts).toEqual([]);
    await h.store.grant('c', 'work', 'server-all:alpha');
    await waitFor(() => c.count('notifications/tools/list_changed') > 0, 10_000, 'list_changed');
    await waitFor(() => c.count('notifications/prompts/list_changed') > 0, 10_000, 'prompts list_changed');
    expect(c.count('notifications/resources/list_changed')).toBe(0);
    expect(await c.toolNames()).toEqual(['alpha_read']);
    const prompt = await c.client.getPrompt({ name: 'alpha_greet' });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'alpha:greet' });
  });
});
