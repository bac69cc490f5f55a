import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectClient,
  createTestHome,
  openRawSession,
  rawPing,
  startTestServer,
  type TestHome,
  waitFor,
} from './helpers.js';

describe('session caps and idle reaping', () => {
  let t: TestHome;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await createTestHome();
    alice = t.keys.alice ?? '';
    bob = t.keys.bob ?? '';
  });

  afterAll(() => t?.cleanup());

  it('refuses a new session over the client’s cap with 429 naming the cap, and never cuts the busy session’s call', async () => {
    const server = await startTestServer(t, { http: { maxSessionsPerClient: 2 } });
    try {
      const busy = await connectClient(server.url, alice);
      // The busy session is the least recently used one once the second session opens.
      const slow = busy.callTool({ name: 'alpha_sleep', arguments: { ms: 2000 } });
      await waitFor(() => server.http.stats().inflight === 1, 10_000, 'the slow call to be in flight');
      expect((await openRawSession(server.url, alice)).status).toBe(200);
      const refused = await openRawSession(server.url, alice);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const body = JSON.parse(refused.body);
      expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32005 } });
      expect(body.error.message).toContain('client "alice" already has 2 open sessions');
      expect(body.error.message).toContain('mcpmux serve --max-sessions-per-client N');
      expect(body.error.message).toContain('serve.maxSessionsPerClient');
      expect((await slow).content).toEqual([{ type: 'text', text: 'awake' }]);
      expect(server.http.stats().sessionsByClient).toEqual({ alice: 2 });
      expect((await openRawSession(server.url, bob)).status).toBe(200);
      await busy.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a session over the total cap with 503 and Retry-After, naming the flag', async () => {
    const server = await startTestServer(t, { http: { maxSessions: 2 } });
    try {
      expect((await openRawSession(server.url, alice)).status).toBe(200);
      expect((await openRawSession(server.url, alice)).status).toBe(200);
      const refused = await openRawSession(server.url, bob);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const message = JSON.parse(refused.body).error.message;
      expect(message).toContain('the gateway has 2 open sessions');
      expect(message).toContain('mcpmux serve --max-sessions N');
      expect(server.http.stats().sessions).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('reaps sessions idle past the idle age, whose ids then answer 404, and makes room with them at the cap', async () => {
    let skipMs = 0;
    const server = await startTestServer(t, {
      http: {
        sessionIdleMs: 60_000,
        reapIntervalMs: 3_600_000,
        maxSessionsPerClient: 1,
        now: () => Date.now() + skipMs,
      },
    });
    try {
      const first = await openRawSession(server.url, alice);
      expect((await openRawSession(server.url, alice)).status).toBe(429);
      skipMs += 61_000;
      // At the cap, the session idle past the limit is closed to make room.
      const second = await openRawSession(server.url, alice);
      expect(second.status).toBe(200);
      expect((await rawPing(server.url, alice, first.sessionId)).status).toBe(404);
      skipMs += 61_000;
      expect(await server.http.reapIdleSessions()).toBe(1);
      expect((await rawPing(server.url, alice, second.sessionId)).status).toBe(404);
      expect(server.http.stats().sessions).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('session settings in <home>/config.json', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
  });

  afterAll(() => t?.cleanup());

  const configFile = () => join(t.home, 'config.json');

  it('takes the per-client cap from the file, and an explicit option overrides it', async () => {
    writeFileSync(
      configFile(),
      JSON.stringify({ serve: { maxSessionsPerClient: 1, sessionIdleTimeout: 600 } }),
    );
    const server = await startTestServer(t);
    try {
      expect((await openRawSession(server.url, t.keys.alice ?? '')).status).toBe(200);
      const refused = await openRawSession(server.url, t.keys.alice ?? '');
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body).error.message).toContain('already has 1 open session,');
      expect(JSON.parse(refused.body).error.message).toContain('after 600 s');
    } finally {
      await server.close();
    }
    const overridden = await startTestServer(t, { http: { maxSessionsPerClient: 2 } });
    try {
      expect((await openRawSession(overridden.url, t.keys.alice ?? '')).status).toBe(200);
      expect((await openRawSession(overridden.url, t.keys.alice ?? '')).status).toBe(200);
      expect((await openRawSession(overridden.url, t.keys.alice ?? '')).status).toBe(429);
    } finally {
      await overridden.close();
    }
  });

  it('refuses to start on a bad file with an error naming the file and the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"serve":{"maxSessionsPerClient":"many"}}', /config\.json: serve\.maxSessionsPerClient: /],
      ['{"serve":{"maxSessionsPerClient":0}}', /config\.json: serve\.maxSessionsPerClient: /],
      ['{"serve":{"maxSesions":10}}', /config\.json: serve\.maxSesions: /],
      ['{"serve":', /config\.json is not valid JSON/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(configFile(), text);
      const err = await startTestServer(t).catch((e: unknown) => e);
      expect(isMcpmuxError(err, 'INVALID_INPUT'), text).toBe(true);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(configFile());
    }
  });
});
