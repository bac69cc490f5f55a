import { join } from 'node:path';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHarness,
  EVERYTHING,
  FIXTURES,
  firstText,
  type Harness,
  rpcErrorOf,
  waitFor,
} from './harness.js';

// One gateway in front of server-everything (and a paginated fixture) for the whole file.
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ pageSize: 5 });
  await h.store.createSpace({ id: 'work' });
  await h.store.createServer({
    id: 'everything',
    transport: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
  });
  await h.store.createServer({
    id: 'lc',
    transport: {
      type: 'stdio',
      command: process.execPath,
      args: [join(FIXTURES, 'list-changing.mjs')],
      env: { FIXTURE_TOOL_COUNT: '12', FIXTURE_PAGE_SIZE: '3' },
    },
  });
  await h.store.install('work', 'everything', { alias: 'ev' });
  await h.store.install('work', 'lc');
  await h.store.createClient({ id: 'app' });
  await h.store.createClient({ id: 'other' });
  await h.store.grant('app', 'work', 'all');
  await h.store.grant('other', 'work', 'server-all:lc');
  await h.gateway.start();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('protocol coverage through the gateway', { timeout: 30_000 }, () => {
  it('negotiates the latest revision and an older one', async () => {
    const latest = await h.connect('app');
    expect(latest.negotiated).toBe('2025-11-25');
    const older = await h.connect('app', { protocolVersion: '2025-03-26' });
    expect(older.negotiated).toBe('2025-03-26');
    expect(
      firstText(await older.client.callTool({ name: 'ev_echo', arguments: { message: 'hi' } })),
    ).toContain('hi');
    await latest.client.ping();
  });

  it('serves every list in pages with opaque cursors', async () => {
    const c = await h.connect('other');
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await c.client.listTools(cursor === undefined ? {} : { cursor });
      expect(page.tools.length).toBeLessThanOrEqual(5);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('lc_tool_011');
    const resources = await c.client.listResources();
    expect(resources.resources).toHaveLength(5);
    expect(resources.nextCursor).toBeDefined();
    const err = await rpcErrorOf(c.client.listTools({ cursor: 'bogus!' }));
    expect(err.code).toBe(-32602);
  });

  it('relays progress notifications with the downstream token', async () => {
    const c = await h.connect('app');
    const progress: { progress: number; total?: number | undefined }[] = [];
    const result = await c.client.callTool(
      { name: 'ev_trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p) },
    );
    expect(firstText(result)).toContain('Long running operation completed');
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.total === 3)).toBe(true);
  });

  it('relays sampling to the session that made the call', async () => {
    const bystander = await h.connect('app', { capabilities: { sampling: {} } });
    let bystanderAsked = false;
    bystander.client.setRequestHandler(CreateMessageRequestSchema, async () => {
      bystanderAsked = true;
      return { model: 'wrong', role: 'assistant', content: { type: 'text', text: 'from bystander' } };
    });
    const c = await h.connect('app', { capabilities: { sampling: {} } });
    const asked: unknown[] = [];
    c.client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      asked.push(req.params.messages);
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled answer' } };
    });
    const result = await c.client.callTool({
      name: 'ev_trigger-sampling-request',
      arguments: { prompt: 'Say hi', maxTokens: 10 },
    });
    expect(JSON.stringify(result)).toContain('sampled answer');
    expect(asked).toHaveLength(1);
    expect(bystanderAsked).toBe(false);
  });

  it('relays elicitation and its answer', async () => {
    const c = await h.connect('app', { capabilities: { elicitation: { form: {} } } });
    let schema: unknown;
    c.client.setRequestHandler(ElicitRequestSchema, async (req) => {
      schema = (req.params as { requestedSchema?: unknown }).requestedSchema;
      return { action: 'decline' };
    });
    const result = await c.client.callTool({ name: 'ev_trigger-elicitation-request', arguments: {} });
    expect(schema).toBeDefined();
    expect(JSON.stringify(result)).toContain('declined');
  });

  it('relays roots/list to the calling session', async () => {
    const c = await h.connect('app', { capabilities: { roots: { listChanged: true } } });
    c.client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///projects/demo', name: 'demo' }],
    }));
    const result = await c.client.callTool({ name: 'ev_get-roots-list', arguments: {} });
    expect(JSON.stringify(result)).toContain('file:///projects/demo');
  });

  // After the server->client tests: a cancelled call counts as in flight for a few seconds when
  // routing them (another session's sampling request would fail closed meanwhile).
  it('cancels the upstream call when the downstream cancels', async () => {
    const c = await h.connect('app');
    const controller = new AbortController();
    let progressed = false;
    const call = c.client.callTool(
      { name: 'ev_trigger-long-running-operation', arguments: { duration: 60, steps: 600 } },
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
    // The upstream still serves the next call.
    expect(
      firstText(await c.client.callTool({ name: 'ev_echo', arguments: { message: 'after' } })),
    ).toContain('after');
  });

  it('routes completion by the exposed prompt name', async () => {
    const c = await h.connect('app');
    const done = await c.client.complete({
      ref: { type: 'ref/prompt', name: 'ev_completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    expect(done.completion.values).toEqual(['Engineering']);
    const err = await rpcErrorOf(
      c.client.complete({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'x', value: '' },
      }),
    );
    expect(err.message).toContain('Unknown prompt: completable-prompt');
  });

  it('sends resource updates only to subscribed sessions and upstream log messages by level', async () => {
    const subscriber = await h.connect('app');
    const quiet = await h.connect('app');
    await subscriber.client.setLoggingLevel('debug');
    await quiet.client.setLoggingLevel('error');
    const [resource] = (await subscriber.client.listResources()).resources.filter((r) =>
      r.uri.startsWith('demo://'),
    );
    expect(resource).toBeDefined();
    const uri = resource?.uri ?? '';
    await subscriber.client.subscribeResource({ uri });
    // server-everything logs each subscribe at level info: the debug session gets it, the error one not.
    await waitFor(
      () => subscriber.messages.some((m) => String(m.data).includes('Received Subscribe Resource request')),
      10_000,
      'log message',
    );
    await subscriber.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    await waitFor(() => subscriber.messages.some((m) => m.uri === uri), 10_000, 'resources/updated');
    expect(quiet.messages.some((m) => m.uri === uri)).toBe(false);
    expect(quiet.messages.some((m) => String(m.data).includes('Received Subscribe'))).toBe(false);
    expect(h.gateway.status().subscriptions).toBe(1);
    await subscriber.client.unsubscribeResource({ uri });
    expect(h.gateway.status().subscriptions).toBe(0);
    await subscriber.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    const denied = await rpcErrorOf(quiet.client.subscribeResource({ uri: 'demo://nope' }));
    expect(denied.message).toContain('Unknown resource: demo://nope');
  });

  it('answers an upstream that is down with an error naming the server and its state', async () => {
    const c = await h.connect('app');
    await h.store.createServer({
      id: 'broken',
      transport: { type: 'stdio', command: '/nonexistent/mcp-server-binary' },
    });
    await h.store.install('work', 'broken');
    // The failing upstream contributes nothing and breaks nothing.
    await waitFor(
      () =>
        h.gateway
          .status()
          .reports.some((r) => r.kind === 'upstream-failed' && r.message.includes('"broken"')),
      15_000,
      'failure report',
    );
    expect((await c.client.listTools()).tools.some((t) => t.name.startsWith('ev_'))).toBe(true);
    expect(firstText(await c.client.callTool({ name: 'ev_echo', arguments: { message: 'ok' } }))).toContain(
      'ok',
    );
    await h.store.uninstall('work', 'broken');
  });
});
