import { join } from 'node:path';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start.js';
import {
  connectClient,
  createTestHome,
  INIT,
  mcpHeaders,
  raw,
  startTestServer,
  type TestHome,
} from './helpers.js';

describe('the gateway server over loopback', () => {
  let t: TestHome;
  let server: RunningServer;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t, { http: { maxBodyBytes: 64 * 1024, authCacheMs: 0 } });
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('serves the active Space’s tools to the real SDK client and calls one', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'alpha_echo',
      'alpha_inspect',
      'alpha_progress',
      'alpha_sleep',
      'alpha_whoami',
    ]);
    const result = await client.callTool({ name: 'alpha_echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    await client.close();
  });

  it('never forwards the client’s key or the master key upstream', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    const result = await client.callTool({ name: 'alpha_inspect', arguments: {} });
    const seen = JSON.stringify(result);
    expect(seen).toContain('argv');
    expect(seen).not.toContain(t.keys.alice);
    expect(seen).not.toContain('mcpmux_');
    expect(seen).not.toContain(t.env.MCPMUX_MASTER_KEY);
    await client.close();
  });

  it('answers with JSON when nothing streams, and switches to SSE when progress must stream first', async () => {
    const init = await raw(server.url, { headers: mcpHeaders(t.keys.alice), body: INIT });
    const session = { 'mcp-session-id': String(init.headers['mcp-session-id']) };
    await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, session),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const call = (id: number, meta: object) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'alpha_progress', arguments: {}, ...meta },
      });
    const plain = await raw(server.url, { headers: mcpHeaders(t.keys.alice, session), body: call(1, {}) });
    expect(plain.headers['content-type']).toBe('application/json');
    expect(JSON.parse(plain.body).result.content).toEqual([{ type: 'text', text: 'done' }]);
    const streamed = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, session),
      body: call(2, { _meta: { progressToken: 'p1' } }),
    });
    expect(streamed.headers['content-type']).toBe('text/event-stream');
    const events = streamed.body
      .split('\n\n')
      .filter((e) => e.includes('data: '))
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
    expect(events.map((e) => e.method ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/progress',
      'result',
    ]);
    expect(events[0].params).toMatchObject({ progressToken: 'p1', progress: 1, total: 2 });
    expect(events[2]).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: 'done' }] } });
    const jsonOnly = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, { ...session, accept: 'application/json' }),
      body: call(3, { _meta: { progressToken: 'p2' } }),
    });
    expect(jsonOnly.headers['content-type']).toBe('application/json');
    expect(JSON.parse(jsonOnly.body).id).toBe(3);
  });

  it('answers 401 with a JSON body without a key', async () => {
    const res = await raw(server.url, { headers: mcpHeaders(undefined), body: INIT });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/,
    );
    expect(JSON.parse(res.body).error.message).toMatch(/access key/);
  });

  it('answers 401 for a wrong key and a malformed Authorization header', async () => {
    const wrong = await raw(server.url, { headers: mcpHeaders(`mcpmux_${'A'.repeat(43)}`), body: INIT });
    expect(wrong.status).toBe(401);
    const basic = await raw(server.url, {
      headers: { ...mcpHeaders(undefined), authorization: `Basic ${t.keys.alice}` },
      body: INIT,
    });
    expect(basic.status).toBe(401);
    expect(JSON.parse(basic.body).jsonrpc).toBe('2.0');
  });

  it('rejects a revoked key on the next request, even inside an open session', async () => {
    const store = openSqliteSpaceStore({ path: join(t.home, 'mcpmux.db') });
    const { accessKey } = await store.createClient({ id: 'carol' });
    await store.grant('carol', 'personal', 'all');
    const client = await connectClient(server.url, accessKey);
    await client.listTools();
    await store.revokeAccessKeys('carol');
    await expect(client.listTools()).rejects.toThrow();
    const res = await raw(server.url, { headers: mcpHeaders(accessKey), body: INIT });
    expect(res.status).toBe(401);
    await client.close().catch(() => {});
    await store.close();
  });

  it('rejects an expired key', async () => {
    const store = openSqliteSpaceStore({ path: join(t.home, 'mcpmux.db') });
    const { accessKey } = await store.createClient({ id: 'dave', keyExpiresAt: new Date(Date.now() - 1000) });
    await store.close();
    const res = await raw(server.url, { headers: mcpHeaders(accessKey), body: INIT });
    expect(res.status).toBe(401);
  });

  it('answers 403 for a foreign Origin and for Origin: null', async () => {
    for (const origin of ['https://evil.example.com', 'null', 'http://127.0.0.1.evil.example.com']) {
      const res = await raw(server.url, { headers: mcpHeaders(t.keys.alice, { origin }), body: INIT });
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body).error.message).toMatch(/Origin/);
    }
    const local = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, { origin: `http://localhost:${server.port}` }),
      body: INIT,
    });
    expect(local.status).toBe(200);
  });

  it('answers 403 for a rebinding Host on the loopback bind', async () => {
    for (const host of [
      `evil.example.com:${server.port}`,
      'attacker.test',
      `127.0.0.1.nip.io:${server.port}`,
    ]) {
      const res = await raw(server.url, { headers: mcpHeaders(t.keys.alice, { host }), body: INIT });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error.message).toMatch(/Host/);
    }
  });

  it('answers 413 with a JSON-RPC error for an oversized body, declared or streamed', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'ping',
      params: { pad: 'x'.repeat(70 * 1024) },
    });
    const res = await raw(server.url, { headers: mcpHeaders(t.keys.alice), body: big });
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body);
    expect(body.jsonrpc).toBe('2.0');
    expect(body.error.message).toMatch(/limit/);
    const chunked = await raw(server.url, {
      headers: { ...mcpHeaders(t.keys.alice), 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(chunked.status).toBe(413);
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await raw(server.url, {
        headers: mcpHeaders(t.keys.alice, { 'content-type': type }),
        body: INIT,
      });
      expect(res.status, type).toBe(415);
      expect(JSON.parse(res.body).error.code).toBe(-32600);
    }
  });

  it('answers 404 for an unknown session and for a session of another client', async () => {
    const unknown = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, { 'mcp-session-id': 'no-such-session' }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
    });
    expect(unknown.status).toBe(404);
    const init = await raw(server.url, { headers: mcpHeaders(t.keys.alice), body: INIT });
    const sessionId = String(init.headers['mcp-session-id']);
    expect(sessionId.length).toBeGreaterThanOrEqual(22);
    const stolen = await raw(server.url, {
      headers: mcpHeaders(t.keys.bob, { 'mcp-session-id': sessionId }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }),
    });
    expect(stolen.status).toBe(404);
    const own = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, { 'mcp-session-id': sessionId }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }),
    });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toEqual({ jsonrpc: '2.0', id: 5, result: {} });
  });

  it('closes a session on DELETE, after which its id answers 404', async () => {
    const init = await raw(server.url, { headers: mcpHeaders(t.keys.alice), body: INIT });
    const sessionId = String(init.headers['mcp-session-id']);
    const del = await raw(server.url, {
      method: 'DELETE',
      headers: mcpHeaders(t.keys.alice, { 'mcp-session-id': sessionId }),
    });
    expect(del.status).toBe(200);
    const after = await raw(server.url, {
      headers: mcpHeaders(t.keys.alice, { 'mcp-session-id': sessionId }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' }),
    });
    expect(after.status).toBe(404);
  });

  it('reports status, version, active Space and upstreams on /health without secrets', async () => {
    const res = await raw(server.url.replace('/mcp', '/health'), { method: 'GET', headers: {} });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.activeSpace).toBe('personal');
    expect(Array.isArray(body.upstreams)).toBe(true);
    expect(res.body).not.toContain('mcpmux_');
    expect(res.body).not.toContain(t.env.MCPMUX_MASTER_KEY);
  });

  it('answers 404 JSON for other gateway and API paths and 405 for other methods', async () => {
    // Other paths belong to the console (its single-page app); these do not.
    for (const path of ['/mcp/other', '/health/x', '/api/other']) {
      const other = await raw(server.url.replace('/mcp', path), { method: 'GET' });
      expect(other.status, path).toBe(404);
      expect(JSON.parse(other.body).error, path).toBeDefined();
    }
    const put = await raw(server.url, { method: 'PUT', headers: mcpHeaders(t.keys.alice), body: INIT });
    expect(put.status).toBe(405);
  });
});
