import { isMcpmuxError } from '@mcpmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpServer } from '../src/http-server.js';
import type { RunningServer } from '../src/start.js';
import {
  createTestHome,
  mcpHeaders,
  openRawSession,
  raw,
  rawPing,
  startTestServer,
  type TestHome,
} from './helpers.js';

const PUBLIC = 'https://mcp.example.test';

describe('team mode: replica ids and the public URL (DESIGN §12)', () => {
  let t: TestHome;
  let a: RunningServer;
  let b: RunningServer;
  let bHome: TestHome;
  let alice: string;

  beforeAll(async () => {
    t = await createTestHome();
    bHome = await createTestHome();
    alice = t.keys.alice ?? '';
    a = await startTestServer(t, { replicaId: 'r1', publicUrl: PUBLIC });
    b = await startTestServer(bHome, { replicaId: 'r2' });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    t?.cleanup();
    bHome?.cleanup();
  });

  it('issues session ids that start with the replica id and names the replica in every response', async () => {
    const opened = await openRawSession(a.url, alice);
    expect(opened.status).toBe(200);
    expect(opened.sessionId).toMatch(/^r1\.[A-Za-z0-9_-]{22}$/);
    expect(opened.headers['mcpmux-replica']).toBe('r1');
    const ping = await rawPing(a.url, alice, opened.sessionId);
    expect(ping.status).toBe(200);
    expect(ping.headers['mcpmux-replica']).toBe('r1');
    const health = await raw(a.url.replace(/\/mcp$/, '/health'), { method: 'GET' });
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', replica: 'r1' });
    const refused = await raw(a.url, { headers: mcpHeaders(undefined), body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers['mcpmux-replica']).toBe('r1');
  });

  it('answers a session another replica issued with 404 and JSON-RPC error -32001, and the SDK client starts over on it', async () => {
    const opened = await openRawSession(a.url, alice);
    const elsewhere = await rawPing(b.url, bHome.keys.alice ?? '', opened.sessionId);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers['content-type']).toBe('application/json');
    const body = JSON.parse(elsewhere.body);
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001 } });
    expect(body.error.message).toMatch(/^Session not found/);
    expect(body.error.message).toContain('replica r2');
    expect(body.error.message).toContain('Initialize a new session');
    for (const method of ['GET', 'DELETE']) {
      const res = await raw(b.url, {
        method,
        headers: mcpHeaders(bHome.keys.alice, {
          'mcp-session-id': opened.sessionId,
          accept: 'text/event-stream',
        }),
      });
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe(-32001);
    }
  });

  it('accepts the public host and refuses any other non-loopback Host (DNS rebinding)', async () => {
    const ok = await raw(a.url, { headers: mcpHeaders(alice, { host: 'mcp.example.test' }), body: '{}' });
    expect(ok.status).not.toBe(403);
    const withPort = await openRawSession(a.url, alice);
    expect(withPort.status).toBe(200);
    const evil = await raw(a.url, { headers: mcpHeaders(alice, { host: 'evil.example.test' }), body: '{}' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.message).toContain('Host');
  });

  it('allows the public origin and refuses other origins', async () => {
    const base = { host: 'mcp.example.test' };
    const good = await raw(a.url, {
      headers: mcpHeaders(alice, { ...base, origin: PUBLIC }),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(good.status).toBe(200);
    const bad = await raw(a.url, {
      headers: mcpHeaders(alice, { ...base, origin: 'https://evil.example.test' }),
      body: '{}',
    });
    expect(bad.status).toBe(403);
    expect(JSON.parse(bad.body).error.message).toContain('Origin');
  });

  it('names the public URL as the OAuth issuer and resource, whatever the Host', async () => {
    const root = a.url.replace(/\/mcp$/, '');
    for (const host of ['mcp.example.test', `127.0.0.1:${a.port}`]) {
      const pr = await raw(`${root}/.well-known/oauth-protected-resource/mcp`, {
        method: 'GET',
        headers: { host },
      });
      expect(JSON.parse(pr.body)).toMatchObject({
        resource: `${PUBLIC}/mcp`,
        authorization_servers: [PUBLIC],
      });
      const as = await raw(`${root}/.well-known/oauth-authorization-server`, {
        method: 'GET',
        headers: { host },
      });
      expect(JSON.parse(as.body)).toMatchObject({
        issuer: PUBLIC,
        authorization_endpoint: `${PUBLIC}/oauth/authorize`,
        token_endpoint: `${PUBLIC}/oauth/token`,
      });
    }
    const challenge = await raw(a.url, {
      headers: mcpHeaders(undefined, { host: 'mcp.example.test' }),
      body: '{}',
    });
    expect(challenge.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${PUBLIC}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('treats requests under the public host as remote: /health needs a key and /metrics is refused', async () => {
    const root = a.url.replace(/\/mcp$/, '');
    const viaProxy = { host: 'mcp.example.test' };
    expect((await raw(`${root}/health`, { method: 'GET', headers: viaProxy })).status).toBe(401);
    const keyed = await raw(`${root}/health`, {
      method: 'GET',
      headers: { ...viaProxy, authorization: `Bearer ${alice}` },
    });
    expect(keyed.status).toBe(200);
    expect((await raw(`${root}/metrics`, { method: 'GET', headers: viaProxy })).status).toBe(403);
    // Asked on this machine by its loopback name, both answer as before.
    expect((await raw(`${root}/health`, { method: 'GET' })).status).toBe(200);
    expect((await raw(`${root}/metrics`, { method: 'GET' })).status).toBe(200);
  });

  it('mints console login links under the public URL, and the console accepts its https origin', async () => {
    const link = a.adminLoginLink();
    expect(link.url.startsWith(`${PUBLIC}/login?`)).toBe(true);
    const token = new URL(link.url).searchParams.get('token') ?? '';
    const root = a.url.replace(/\/mcp$/, '');
    const headers = { host: 'mcp.example.test', origin: PUBLIC };
    const login = await raw(`${root}/login?token=${token}`, { method: 'GET', headers });
    expect(login.status).toBe(303);
    expect(String(login.headers['set-cookie'])).toContain('HttpOnly');
    const evil = await raw(`${root}/login?token=x`, {
      method: 'GET',
      headers: { host: 'mcp.example.test', origin: 'https://evil.example.test' },
    });
    expect(evil.status).toBe(403);
  });

  it('rate-limits OAuth requests behind a local proxy by the X-Real-IP it sets', async () => {
    const home = await createTestHome({ servers: false });
    const limited = await startTestServer(home, { publicUrl: PUBLIC, oauth: { rateLimitPerMinute: 1 } });
    try {
      const url = limited.url.replace(/\/mcp$/, '/.well-known/oauth-authorization-server');
      const from = (ip: string) => raw(url, { method: 'GET', headers: { 'x-real-ip': ip } });
      expect((await from('203.0.113.7')).status).toBe(200);
      expect((await from('203.0.113.7')).status).toBe(429);
      expect((await from('203.0.113.8')).status).toBe(200);
    } finally {
      await limited.close();
      home.cleanup();
    }
  });

  it('binds beyond loopback with a public URL and no --allow-non-loopback, but never with an anonymous client', async () => {
    const gateway = { connect: async () => ({ close: async () => {} }) };
    const authenticate = async () => undefined;
    const http = createMcpHttpServer({ gateway, authenticate, host: '0.0.0.0', port: 0, publicUrl: PUBLIC });
    await http.listen();
    await http.close();
    const refusals = [
      () => createMcpHttpServer({ gateway, authenticate, host: '0.0.0.0' }),
      () => createMcpHttpServer({ gateway, authenticate, publicUrl: PUBLIC, anonymousClientId: 'x' }),
    ];
    for (const refused of refusals) {
      let thrown: unknown;
      try {
        refused();
      } catch (err) {
        thrown = err;
      }
      expect(isMcpmuxError(thrown, 'FORBIDDEN')).toBe(true);
    }
    let bad: unknown;
    try {
      createMcpHttpServer({ gateway, authenticate, replicaId: 'R-1' });
    } catch (err) {
      bad = err;
    }
    expect(isMcpmuxError(bad, 'INVALID_INPUT')).toBe(true);
    expect(String(bad)).toContain('--replica-id');
  });
});
