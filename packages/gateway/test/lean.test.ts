/**
 * Lean mode (DESIGN §14, issue #21): a lean client lists three meta-tools plus its pinned tools;
 * search, describe and call go through the same resolved view, enforcement and audit as direct
 * calls; it all works for 2025 sessions and for 2026-07-28 stateless requests (`gateway.fetch`).
 */
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CallToolResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, EVERYTHING, firstText, type Harness, rpcErrorOf, waitFor } from './harness.js';

const META = ['mcpmux_call_tool', 'mcpmux_describe_tool', 'mcpmux_search_tools'];

interface Hit {
  name: string;
  description: string;
  score: number;
  inputSchema?: unknown;
}

/** Something that can call a tool: a 2025 session's SDK client or a 2026-07-28 one. */
interface ToolCaller {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
}

async function search(
  client: ToolCaller,
  query: string,
  extra: Record<string, unknown> = {},
): Promise<Hit[]> {
  const result = (await client.callTool({
    name: 'mcpmux_search_tools',
    arguments: { query, ...extra },
  })) as { structuredContent?: { tools: Hit[] }; isError?: boolean };
  expect(result.isError).not.toBe(true);
  return result.structuredContent?.tools ?? [];
}

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
  await h.store.createSpace({ id: 'work' });
  await h.namedServer('alpha', { tools: ['read_file', 'write_file', 'delete_repo', 'ro_list_items'] });
  await h.store.createServer({
    id: 'everything',
    transport: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
  });
  await h.store.install('work', 'alpha');
  await h.store.install('work', 'everything', { alias: 'ev' });
  // `safe`: everything except alpha's delete_repo.
  await h.store.createFeatureSet('work', {
    id: 'safe',
    members: [
      { mode: 'include', selector: { type: 'server', server: 'alpha' } },
      { mode: 'include', selector: { type: 'server', server: 'everything' } },
      { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'delete_repo' } },
    ],
  });
  await h.store.createFeatureSet('work', {
    id: 'alpha-only',
    members: [{ mode: 'include', selector: { type: 'server', server: 'alpha' } }],
  });
  await h.store.createClient({
    id: 'lean',
    lean: true,
    pinnedTools: ['alpha_read_file', 'alpha_delete_repo', 'ev_does-not-exist'],
  });
  await h.store.createClient({ id: 'full' });
  for (const id of ['lean', 'full']) await h.store.grant(id, 'work', 'safe');
  await h.gateway.start();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('lean mode', { timeout: 30_000 }, () => {
  it('lists the three meta-tools plus the pinned tools the client may use, and nothing else', async () => {
    const lean = await h.connect('lean');
    expect(await lean.toolNames()).toEqual(['alpha_read_file', ...META]);
    const { tools } = await lean.client.listTools();
    const searchTool = tools.find((t) => t.name === 'mcpmux_search_tools');
    expect(searchTool?.inputSchema.required).toEqual(['query']);
    expect(searchTool?.annotations?.readOnlyHint).toBe(true);

    const full = await h.connect('full');
    const names = await full.toolNames();
    expect(names).toContain('alpha_read_file');
    expect(names).toContain('ev_echo');
    expect(names).not.toContain('alpha_delete_repo');
    expect(names.filter((n) => n.startsWith('mcpmux_'))).toEqual([]);
    // A client that is not lean has no meta-tools to call.
    const err = await rpcErrorOf(
      full.client.callTool({ name: 'mcpmux_search_tools', arguments: { query: 'x' } }),
    );
    expect(err.message).toContain('Unknown tool: mcpmux_search_tools');
  });

  it('searches only the tools the client may use, over names split into words and descriptions', async () => {
    const lean = await h.connect('lean');
    const echo = await search(lean.client, 'echo back a message');
    expect(echo[0]?.name).toBe('ev_echo');
    expect(echo[0]?.description.length).toBeLessThanOrEqual(160);
    expect(echo[0]?.inputSchema).toBeUndefined();
    const files = await search(lean.client, 'write a file', { includeSchema: true, limit: 2 });
    expect(files.length).toBeLessThanOrEqual(2);
    expect(files[0]?.name).toBe('alpha_write_file');
    expect(files[0]?.inputSchema).toEqual({ type: 'object', properties: { value: { type: 'string' } } });
    // The denied tool is never found, whatever the query.
    for (const query of ['delete repo', 'delete_repo', 'alpha_delete_repo', 'Tool delete_repo of alpha']) {
      expect((await search(lean.client, query, { limit: 50 })).map((t) => t.name)).not.toContain(
        'alpha_delete_repo',
      );
    }
    const bad = (await lean.client.callTool({ name: 'mcpmux_search_tools', arguments: { limit: 3 } })) as {
      isError?: boolean;
    };
    expect(bad.isError).toBe(true);
  });

  it('describes an allowed tool in full and a denied one exactly like a missing one', async () => {
    const lean = await h.connect('lean');
    const described = (await lean.client.callTool({
      name: 'mcpmux_describe_tool',
      arguments: { name: 'alpha_ro_list_items' },
    })) as { structuredContent?: Record<string, unknown> };
    expect(described.structuredContent).toEqual({
      name: 'alpha_ro_list_items',
      description: 'Tool ro_list_items of alpha.',
      inputSchema: { type: 'object', properties: { value: { type: 'string' } } },
      annotations: { readOnlyHint: true },
    });
    const describe = async (name: string) =>
      (await lean.client.callTool({ name: 'mcpmux_describe_tool', arguments: { name } })) as {
        isError?: boolean;
        content: { text: string }[];
      };
    const denied = await describe('alpha_delete_repo');
    const missing = await describe('alpha_nope');
    expect(denied.isError).toBe(true);
    expect(denied.content[0]?.text).toContain('Unknown tool: alpha_delete_repo');
    expect(denied.content[0]?.text).toContain('mcpmux_search_tools');
    expect(denied.content[0]?.text.replace('alpha_delete_repo', 'X')).toBe(
      missing.content[0]?.text.replace('alpha_nope', 'X'),
    );
  });

  it('calls through mcpmux_call_tool exactly like a direct call: result, audit, denial', async () => {
    const lean = await h.connect('lean');
    // The calls below, not the searches and describes of the tests before (audited too, under the
    // meta-tool: test/lean-audit.test.ts).
    const since = new Date();
    const calls = async () =>
      (await h.store.listAudit({ clientId: 'lean', since })).filter((e) => e.detail?.metaTool === undefined);
    const direct = await lean.client.callTool({ name: 'ev_echo', arguments: { message: 'hi' } });
    const meta = await lean.client.callTool({
      name: 'mcpmux_call_tool',
      arguments: { name: 'ev_echo', arguments: { message: 'hi' } },
    });
    expect(meta).toEqual(direct);
    expect(firstText(meta)).toContain('hi');

    const deniedDirect = await rpcErrorOf(lean.client.callTool({ name: 'alpha_delete_repo', arguments: {} }));
    const deniedMeta = await rpcErrorOf(
      lean.client.callTool({ name: 'mcpmux_call_tool', arguments: { name: 'alpha_delete_repo' } }),
    );
    expect(deniedMeta).toEqual(deniedDirect);
    expect(deniedMeta.code).toBe(ErrorCode.InvalidParams);
    expect(deniedMeta.message).toContain('Unknown tool: alpha_delete_repo');

    const noName = await rpcErrorOf(lean.client.callTool({ name: 'mcpmux_call_tool', arguments: {} }));
    expect(noName.code).toBe(ErrorCode.InvalidParams);
    expect(noName.message).toContain('mcpmux_search_tools');

    await waitFor(async () => (await calls()).length >= 4, 5_000, 'audit');
    const audit = await calls();
    expect(audit).toHaveLength(4);
    const strip = (e: (typeof audit)[number]) => ({
      action: e.action,
      decision: e.decision,
      outcome: e.outcome,
      feature: e.feature,
      detail: e.detail,
      spaceId: e.spaceId,
    });
    const allowed = audit.filter((e) => e.decision === 'allow').map(strip);
    const denied = audit.filter((e) => e.decision === 'deny').map(strip);
    expect(allowed).toHaveLength(2);
    expect(allowed[0]).toEqual(allowed[1]);
    expect(allowed[0]?.feature).toEqual({ kind: 'tool', server: 'everything', name: 'echo' });
    expect(denied).toHaveLength(2);
    expect(denied[0]).toEqual(denied[1]);
    expect(denied[0]?.detail).toMatchObject({ requested: { kind: 'tool', name: 'alpha_delete_repo' } });
    // The meta-tool never appears as the audited feature.
    expect(JSON.stringify(audit)).not.toContain('mcpmux_call_tool');
  });

  it('relays progress and cancellation of a call made through mcpmux_call_tool', async () => {
    const lean = await h.connect('lean');
    const progress: number[] = [];
    const result = await lean.client.callTool(
      {
        name: 'mcpmux_call_tool',
        arguments: { name: 'ev_trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(firstText(result)).toContain('Long running operation completed');
    expect(progress).toEqual([1, 2, 3]);

    const controller = new AbortController();
    let progressed = false;
    const call = lean.client.callTool(
      {
        name: 'mcpmux_call_tool',
        arguments: { name: 'ev_trigger-long-running-operation', arguments: { duration: 60, steps: 600 } },
      },
      CallToolResultSchema,
      {
        signal: controller.signal,
        onprogress: () => {
          progressed = true;
        },
      },
    );
    await waitFor(() => progressed, 10_000, 'first progress');
    expect(h.gateway.status().inFlight).toBeGreaterThan(0);
    controller.abort('user cancelled');
    await expect(call).rejects.toThrow();
    await waitFor(() => h.gateway.status().inFlight === 0, 5_000, 'upstream call ended');
  });

  it('shows a grant change in search at once, and a lean toggle as list_changed', async () => {
    await h.store.createClient({ id: 'grower', lean: true });
    await h.store.grant('grower', 'work', 'alpha-only');
    const grower = await h.connect('grower');
    expect(await grower.toolNames()).toEqual(META);
    expect((await search(grower.client, 'echo', { limit: 50 })).map((t) => t.name)).not.toContain('ev_echo');
    expect(firstText(await grower.client.callTool({ name: 'alpha_read_file' }))).toBe('alpha:read_file');

    await h.store.grant('grower', 'work', 'all');
    await waitFor(
      async () => (await search(grower.client, 'echo')).some((t) => t.name === 'ev_echo'),
      5_000,
      'ev_echo in search after the grant',
    );
    await h.store.ungrant('grower', 'work', 'all');
    await waitFor(
      async () => !(await search(grower.client, 'echo', { limit: 50 })).some((t) => t.name === 'ev_echo'),
      5_000,
      'ev_echo gone from search after the ungrant',
    );

    // Leaving lean mode reaches the live session as any client change does.
    await h.store.updateClient('grower', { lean: false });
    await waitFor(() => grower.count('notifications/tools/list_changed') > 0, 5_000, 'list_changed');
    expect(await grower.toolNames()).toContain('alpha_read_file');
    expect((await grower.toolNames()).filter((n) => n.startsWith('mcpmux_'))).toEqual([]);
    await h.store.updateClient('grower', { lean: true, pinnedTools: ['alpha_write_file'] });
    await waitFor(() => grower.count('notifications/tools/list_changed') > 1, 5_000, 'second list_changed');
    expect(await grower.toolNames()).toEqual(['alpha_write_file', ...META]);
  });

  it("answers a first search in a Space that is not connected yet from all of the Space's tools", async () => {
    await h.store.createSpace({ id: 'side' });
    await h.namedServer('beta', { tools: ['ship_release'] });
    await h.store.install('side', 'beta');
    await h.store.createClient({ id: 'sider', lean: true, pinnedSpaceId: 'side' });
    await h.store.grant('sider', 'side', 'all');
    const sider = await h.connect('sider');
    // No list first: the search is the session's first request in that Space.
    expect((await search(sider.client, 'ship a release')).map((t) => t.name)).toEqual(['beta_ship_release']);
  });

  it('serves 2026-07-28 stateless requests (gateway.fetch) the same way', async () => {
    const client = new ModernClient(
      { name: 'lean-2026', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
      fetch: (url, init) => h.gateway.fetch(new Request(url, init), { clientId: 'lean' }),
    });
    await client.connect(transport);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['alpha_read_file', ...META]);
      const hits = await search(client as unknown as ToolCaller, 'echo back a message');
      expect(hits[0]?.name).toBe('ev_echo');
      const called = await client.callTool({
        name: 'mcpmux_call_tool',
        arguments: { name: 'ev_echo', arguments: { message: 'stateless' } },
      });
      expect(firstText(called)).toContain('stateless');
      const denied = await rpcErrorOf(
        client.callTool({ name: 'mcpmux_call_tool', arguments: { name: 'alpha_delete_repo' } }),
      );
      expect(denied.message).toContain('Unknown tool: alpha_delete_repo');
      expect(
        (await search(client as unknown as ToolCaller, 'delete repo', { limit: 50 })).map((t) => t.name),
      ).not.toContain('alpha_delete_repo');
    } finally {
      await client.close();
    }
  });
});

describe('lean mode name clashes', { timeout: 30_000 }, () => {
  it('lets the meta-tools win over an installation aliased mcpmux and reports the clash', async () => {
    const c = await createHarness();
    try {
      await c.store.createSpace({ id: 'work' });
      await c.namedServer('clash', { tools: ['search_tools', 'other'] });
      await c.store.install('work', 'clash', { alias: 'mcpmux' });
      await c.store.createClient({ id: 'lean', lean: true, pinnedTools: ['mcpmux_other'] });
      await c.store.createClient({ id: 'full' });
      await c.store.grant('lean', 'work', 'all');
      await c.store.grant('full', 'work', 'all');
      await c.gateway.start();
      const lean = await c.connect('lean');
      expect(await lean.toolNames()).toEqual([...META.slice(0, 2), 'mcpmux_other', 'mcpmux_search_tools']);
      // The meta-tool answers its name; the server's tool stays reachable through mcpmux_call_tool.
      const hits = await search(lean.client, 'other');
      expect(hits[0]?.name).toBe('mcpmux_other');
      const through = await lean.client.callTool({
        name: 'mcpmux_call_tool',
        arguments: { name: 'mcpmux_search_tools', arguments: {} },
      });
      expect(firstText(through)).toBe('clash:search_tools');
      const report = c.gateway.status().reports.find((r) => r.kind === 'meta-tool-clash');
      expect(report?.message).toContain('"mcpmux_search_tools"');
      expect(report?.message).toContain('alias');
      // A client that is not lean sees the server's tool under that name, as before.
      const full = await c.connect('full');
      expect(await full.toolNames()).toEqual(['mcpmux_other', 'mcpmux_search_tools']);
      expect(firstText(await full.client.callTool({ name: 'mcpmux_search_tools' }))).toBe(
        'clash:search_tools',
      );
    } finally {
      await c.close();
    }
  });
});
