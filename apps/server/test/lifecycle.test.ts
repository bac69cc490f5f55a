import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpServer } from '../src/http-server.js';
import { alive, createTestHome, INIT, raw, startTestServer, type TestHome, waitFor } from './helpers.js';

describe('server lifecycle and policy', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome();
  });

  afterAll(() => t?.cleanup());

  it('refuses a non-loopback bind without allowNonLoopback, and an anonymous client on one', () => {
    const gateway = { connect: async () => ({ close: async () => {} }) };
    const authenticate = async () => undefined;
    const refused = (() => {
      try {
        createMcpHttpServer({ gateway, authenticate, host: '0.0.0.0' });
      } catch (err) {
        return err;
      }
    })();
    expect(isMcpmuxError(refused, 'FORBIDDEN')).toBe(true);
    const anonymous = (() => {
      try {
        createMcpHttpServer({
          gateway,
          authenticate,
          host: '0.0.0.0',
          allowNonLoopback: true,
          anonymousClientId: 'x',
        });
      } catch (err) {
        return err;
      }
    })();
    expect(isMcpmuxError(anonymous, 'FORBIDDEN')).toBe(true);
  });

  it('warns when it listens beyond loopback, where /health needs a key', async () => {
    const warnings: string[] = [];
    const http = createMcpHttpServer({
      gateway: { connect: async () => ({ close: async () => {} }) },
      authenticate: async () => undefined,
      host: '0.0.0.0',
      port: 0,
      allowNonLoopback: true,
      logger: { info: () => {}, error: () => {}, warn: (_o, msg) => warnings.push(msg ?? '') },
    });
    const { port } = await http.listen();
    try {
      expect(warnings.join('\n')).toMatch(/non-loopback/);
      // Beyond loopback, /health needs a key too.
      const health = await raw(`http://127.0.0.1:${port}/health`, { method: 'GET' });
      expect(health.status).toBe(401);
    } finally {
      await http.close();
    }
  });

  it('serves requests without a key as the anonymous client on loopback, but still refuses a wrong key', async () => {
    const server = await startTestServer(t, { anonymousClientId: 'alice' });
    try {
      const client = new Client({ name: 'anon', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      expect((await client.listTools()).tools.length).toBe(5);
      await client.close();
      const wrong = await raw(server.url, {
        headers: { 'content-type': 'application/json', authorization: 'Bearer mcpmux_wrong' },
        body: INIT,
      });
      expect(wrong.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('drains on close: an in-flight call finishes, sessions end, the port closes and no upstream process is left', async () => {
    const pidFile = join(tmpdir(), `mcpmux-close-pid-${randomUUID()}`);
    const home = await createTestHome({ pidFile });
    const server = await startTestServer(home);
    const accessKey = home.keys.alice ?? '';
    try {
      const client = new Client({ name: 'c', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { authorization: `Bearer ${accessKey}` } },
        }),
      );
      await client.callTool({ name: 'alpha_echo', arguments: { text: 'x' } });
      await waitFor(() => existsSync(pidFile), 5000, 'the upstream pid file');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(pid)).toBe(true);
      const slow = client.callTool({ name: 'alpha_sleep', arguments: { ms: 300 } });
      await waitFor(() => server.http.stats().inflight === 1, 5000, 'the call to be in flight');
      const closed = server.close();
      expect((await slow).content).toEqual([{ type: 'text', text: 'awake' }]);
      await closed;
      expect(server.http.stats().sessions).toBe(0);
      await waitFor(() => !alive(pid), 10_000, 'the upstream to exit');
      await expect(raw(server.url, { body: INIT })).rejects.toThrow();
      await client.close().catch(() => {});
    } finally {
      await server.close();
      home.cleanup();
      rmSync(pidFile, { force: true });
    }
  });
});
