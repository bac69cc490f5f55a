import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectClient,
  createTestHome,
  mcpHeaders,
  openRawSession,
  raw,
  rawPing,
  startTestServer,
  type TestHome,
  waitFor,
} from './helpers.js';

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
      const client = await connectClient(server.url, key, watching);
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
      const reused = await rawPing(server.url, key, sessionId, callId as number);
      expect(reused.status).toBe(200);
      expect(JSON.parse(reused.body)).toEqual({ jsonrpc: '2.0', id: callId, result: {} });
      // Closing the client ends its GET stream; nothing else keeps the session busy.
      await client.close();
      await waitFor(() => server.http.stats().streams === 0, 10_000, 'the GET stream to close');
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(1);
      expect((await rawPing(server.url, key, sessionId)).status).toBe(404);
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
      const { sessionId } = await openRawSession(server.url, alice);
      const call = raw(server.url, {
        headers: mcpHeaders(alice, { 'mcp-session-id': sessionId }),
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
      expect((await rawPing(server.url, alice, sessionId)).status).toBe(200);
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(1);
      expect((await rawPing(server.url, alice, sessionId)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
