import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start.js';
import { createTestHome, raw, startTestServer, type TestHome, waitFor } from './helpers.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function headers(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    ...extra,
  };
}

/** Opens a session with raw HTTP (no GET stream, so it can go idle); returns the answer. */
async function openRaw(server: RunningServer, key: string) {
  const res = await raw(server.url, { headers: headers(key), body: INIT });
  const sessionId = res.headers['mcp-session-id'];
  if (res.status === 200 && typeof sessionId === 'string') {
    await raw(server.url, {
      headers: headers(key, { 'mcp-session-id': sessionId }),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
  }
  return { ...res, sessionId: typeof sessionId === 'string' ? sessionId : '' };
}

function ping(server: RunningServer, key: string, sessionId: string, id: string | number = 'p') {
  return raw(server.url, {
    headers: headers(key, { 'mcp-session-id': sessionId }),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
  });
}

async function connectClient(server: RunningServer, key: string, fetchFn?: typeof fetch): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
      ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
    }),
  );
  return client;
}

describe('requests that end early', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome();
  });

  afterAll(() => t?.cleanup());

  it('ends the POST of a call the client cancels, frees its id for reuse and lets the session go idle and be reaped', async () => {
    let skipMs = 0;
    const server = await startTestServer(t, {
      http: { sessionIdleMs: 60_000, reapIntervalMs: 3_600_000, now: () => Date.now() + skipMs },
    });
    const key = t.keys.alice ?? '';
    // Watches the real client's tools/call POST: its id, and when its response body ends.
    let callId: unknown;
    let callPost: Promise<{ status: number; contentType: string | null }> | undefined;
    const watching: typeof fetch = (input, init) => {
      const pending = fetch(input, init);
      const body = typeof init?.body === 'string' ? init.body : '';
      if (init?.method === 'POST' && body.includes('"tools/call"')) {
        callId = JSON.parse(body).id;
        // Registered before the client's own await, so the copy is taken before it reads the body.
        callPost = pending.then(async (res) => {
          await res.clone().text();
          return { status: res.status, contentType: res.headers.get('content-type') };
        });
      }
      return pending;
    };
    try {
      const client = await connectClient(server, key, watching);
      const transport = client.transport as StreamableHTTPClientTransport;
      const sessionId = transport.sessionId ?? '';
      const abort = new AbortController();
      const call = client
        .callTool({ name: 'alpha_sleep', arguments: { ms: 60_000 } }, undefined, { signal: abort.signal })
        .catch((err: unknown) => err);
      await waitFor(() => server.http.stats().inflight === 1, 10_000, 'the call to be in flight');
      abort.abort();
      expect(await call).toBeInstanceOf(Error);
      if (callPost === undefined) throw new Error('the tools/call POST was not seen');
      const ended = await callPost;
      expect(ended.status).toBe(200);
      expect(ended.contentType).toBe('text/event-stream');
      expect(server.http.stats().inflight).toBe(0);
      const reused = await ping(server, key, sessionId, callId as number);
      expect(reused.status).toBe(200);
      expect(JSON.parse(reused.body)).toEqual({ jsonrpc: '2.0', id: callId, result: {} });
      // Closing the client ends its GET stream; nothing else keeps the session busy.
      await client.close();
      await waitFor(() => server.http.stats().streams === 0, 10_000, 'the GET stream to close');
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(1);
      expect((await ping(server, key, sessionId)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('never reaps a session with a call in flight, and starts its idle clock when the call ends', async () => {
    let skipMs = 0;
    const server = await startTestServer(t, {
      http: { sessionIdleMs: 60_000, reapIntervalMs: 3_600_000, now: () => Date.now() + skipMs },
    });
    const alice = t.keys.alice ?? '';
    try {
      const { sessionId } = await openRaw(server, alice);
      const call = raw(server.url, {
        headers: headers(alice, { 'mcp-session-id': sessionId }),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'alpha_sleep', arguments: { ms: 300 } },
        }),
      });
      await waitFor(() => server.http.stats().inflight === 1, 10_000, 'the call to be in flight');
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(0);
      expect((await call).status).toBe(200);
      expect(await server.http.reapIdleSessions()).toBe(0);
      expect((await ping(server, alice, sessionId)).status).toBe(200);
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(1);
      expect((await ping(server, alice, sessionId)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
