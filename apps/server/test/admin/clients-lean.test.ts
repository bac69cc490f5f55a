/** Admin API: clients carry `lean` and `pinnedTools`; a PATCH reaches a live MCP session (DESIGN §14). */
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/start.js';
import { connectClient, createTestHome, startTestServer, type TestHome, waitFor } from '../helpers.js';
import { type AdminLogin, api, login } from './admin-helpers.js';

const META = ['mcpmux_call_tool', 'mcpmux_describe_tool', 'mcpmux_search_tools'];

describe('admin API: lean mode of clients', () => {
  let t: TestHome;
  let server: RunningServer;
  let s: AdminLogin;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t, { admin: { keepAliveMs: 60_000 } });
    s = await login(server);
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('creates a lean client with pinned tools and lists it with them', async () => {
    const created = await api(server, s, 'POST', '/api/v1/clients', {
      id: 'slim',
      lean: true,
      pinnedTools: ['alpha_echo'],
    });
    expect(created.status).toBe(201);
    expect((created.json as { client: unknown }).client).toMatchObject({
      lean: true,
      pinnedTools: ['alpha_echo'],
    });
    const listed = (await api(server, s, 'GET', '/api/v1/clients')).json as unknown as {
      id: string;
      lean: boolean;
      pinnedTools: string[];
    }[];
    expect(listed.find((c) => c.id === 'slim')).toMatchObject({ lean: true, pinnedTools: ['alpha_echo'] });
    expect(listed.find((c) => c.id === 'alice')).toMatchObject({ lean: false, pinnedTools: [] });
    const bad = await api(server, s, 'PATCH', '/api/v1/clients/slim', { pinnedTools: 'alpha_echo' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('pinnedTools');
    const tooMany = await api(server, s, 'PATCH', '/api/v1/clients/slim', {
      pinnedTools: Array.from({ length: 101 }, (_, i) => `t${i}`),
    });
    expect(tooMany.status).toBe(400);
  });

  it('switches a connected client to lean mode and back: its session gets list_changed', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    try {
      let changed = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      const names = async () => (await client.listTools()).tools.map((x) => x.name).sort();
      const before = await names();
      expect(before).toContain('alpha_echo');

      const patched = await api(server, s, 'PATCH', '/api/v1/clients/alice', {
        lean: true,
        pinnedTools: ['alpha_echo'],
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ id: 'alice', lean: true, pinnedTools: ['alpha_echo'] });
      await waitFor(() => changed > 0, 10_000, 'list_changed after lean on');
      expect(await names()).toEqual(['alpha_echo', ...META]);

      await api(server, s, 'PATCH', '/api/v1/clients/alice', { lean: false });
      await waitFor(() => changed > 1, 10_000, 'list_changed after lean off');
      expect(await names()).toEqual(before);
    } finally {
      await client.close();
    }
  });
});
