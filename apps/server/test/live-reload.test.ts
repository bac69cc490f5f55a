import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start.js';
import { createTestHome, startTestServer, type TestHome, waitFor } from './helpers.js';

const STORE_CLI = fileURLToPath(new URL('./fixtures/store-cli.mjs', import.meta.url));
const run = promisify(execFile);

describe('live reload across processes', () => {
  let t: TestHome;
  let server: RunningServer;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t);
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  async function connect(key: string): Promise<{ client: Client; changes: () => number }> {
    const client = new Client({ name: 'follower', version: '1.0.0' });
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    return { client, changes: () => changes };
  }

  it('tells a follow-active client about a Space switch made by another process, then lists the new Space’s tools', async () => {
    const { client, changes } = await connect(t.keys.alice ?? '');
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'alpha_echo',
      'alpha_inspect',
      'alpha_progress',
      'alpha_sleep',
      'alpha_whoami',
    ]);
    // The GET stream must be open before the change, or the notification has nowhere to go.
    await waitFor(() => server.http.stats().streams === 1, 5000, 'the GET stream');
    await run(process.execPath, [STORE_CLI, join(t.home, 'mcpmux.db'), 'use', 'work']);
    await waitFor(() => changes() > 0, 10_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'beta_echo',
      'beta_inspect',
      'beta_progress',
      'beta_sleep',
      'beta_whoami',
    ]);
    const result = await client.callTool({ name: 'beta_whoami', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'beta' }]);
    await client.close();
  });

  it('tells a client that lost its grant in another process, after which it sees no tools', async () => {
    const { client, changes } = await connect(t.keys.bob ?? '');
    const before = (await client.listTools()).tools.length;
    expect(before).toBeGreaterThan(0);
    await waitFor(() => server.http.stats().streams === 1, 5000, 'the GET stream');
    const active = server.gateway.status().activeSpaceId ?? 'work';
    await run(process.execPath, [STORE_CLI, join(t.home, 'mcpmux.db'), 'ungrant', 'bob', active, 'all']);
    await waitFor(() => changes() > 0, 10_000, 'tools/list_changed');
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();
  });
});
