import { Writable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { callLogFields } from '../src/call-log.js';
import { openHome } from '../src/home.js';
import { createLogger, type LogLevel } from '../src/logger.js';
import type { RunningServer } from '../src/start.js';
import { connectClient, createTestHome, startTestServer, type TestHome, waitFor } from './helpers.js';

/** The gateway's JSON log, captured: every line parsed. */
function capture(level: LogLevel) {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return {
    logger: createLogger({ level, destination: stream }),
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const CANARY = 'canary-argument-7f3e91';

let t: TestHome | undefined;
let server: RunningServer | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  t?.cleanup();
  client = undefined;
  server = undefined;
  t = undefined;
});

describe('call log', () => {
  it('writes one info line per call with client, Space, server, exposed name, outcome, duration and request id, never the arguments or result', async () => {
    t = await createTestHome();
    const log = capture('info');
    server = await startTestServer(t, { logger: log.logger });
    client = await connectClient(server.url, t.keys.alice ?? '');
    const result = await client.callTool({ name: 'alpha_echo', arguments: { text: CANARY } });
    expect(JSON.stringify(result)).toContain(CANARY);
    await client.callTool({ name: 'nope_missing', arguments: { text: CANARY } }).catch(() => undefined);
    await waitFor(() => log.lines().filter((l) => l.msg === 'call').length === 2, 5000, 'two call lines');
    const calls = log.lines().filter((l) => l.msg === 'call');
    expect(calls[0]).toMatchObject({
      level: 30,
      component: 'gateway',
      client: 'alice',
      space: 'personal',
      server: 'alpha',
      method: 'tools/call',
      name: 'alpha_echo',
      decision: 'allow',
      outcome: 'ok',
    });
    expect(typeof calls[0]?.durationMs).toBe('number');
    expect(['number', 'string']).toContain(typeof calls[0]?.requestId);
    expect(calls[1]).toMatchObject({ client: 'alice', name: 'nope_missing', decision: 'deny', server: null });
    expect(calls[1]?.outcome).not.toBe('ok');
    expect(log.text()).not.toContain(CANARY);
    expect(log.text()).not.toContain(t.keys.alice);
  });

  it('writes no call line at level warn', async () => {
    t = await createTestHome();
    const log = capture('warn');
    server = await startTestServer(t, { logger: log.logger });
    client = await connectClient(server.url, t.keys.alice ?? '');
    await client.callTool({ name: 'alpha_echo', arguments: { text: 'hi' } });
    await client.callTool({ name: 'alpha_whoami', arguments: {} });
    expect(log.lines().filter((l) => l.msg === 'call')).toEqual([]);
    expect(log.lines().filter((l) => (l.level as number) < 40)).toEqual([]);
  });

  it('logs the upstream start and Space switches at info, sessions at debug', async () => {
    t = await createTestHome();
    const log = capture('debug');
    server = await startTestServer(t, { logger: log.logger, watchIntervalMs: 20 });
    client = await connectClient(server.url, t.keys.alice ?? '');
    await client.callTool({ name: 'alpha_echo', arguments: { text: 'hi' } });
    const opened = await openHome({ home: t.home, env: t.env });
    try {
      await opened.store.setActiveSpace('work');
    } finally {
      await opened.close();
    }
    await waitFor(
      () => log.lines().some((l) => l.msg === 'active Space changed' && l.to === 'work'),
      5000,
      'the Space switch line',
    );
    const lines = log.lines();
    expect(lines.find((l) => l.msg === 'active Space changed' && l.to === 'work')).toMatchObject({
      level: 30,
      from: 'personal',
    });
    expect(lines.find((l) => l.msg === 'upstream ready' && l.server === 'alpha')).toMatchObject({
      level: 30,
      space: 'personal',
      state: 'ready',
    });
    expect(lines.find((l) => l.msg === 'session opened')).toMatchObject({
      level: 20,
      client: 'alice',
      space: 'personal',
      protocolVersion: expect.any(String),
    });
  });
});

describe('callLogFields', () => {
  it("keeps a resource URI's query and fragment out of the line (they may carry a token)", () => {
    const fields = callLogFields({
      method: 'resources/read',
      kind: 'resource',
      name: 'https://files.example/doc.pdf?sig=canary-token#page=2',
      clientId: 'cursor',
      sessionId: 's',
      requestId: 7,
      spaceId: 'work',
      serverId: 'files',
      decision: 'allow',
      outcome: 'ok',
      durationMs: 1.234,
    });
    expect(fields.name).toBe('https://files.example/doc.pdf');
    expect(JSON.stringify(fields)).not.toContain('canary-token');
  });

  it("gives a lean client's search its hit count, and no other call one", () => {
    const event = {
      method: 'tools/call',
      kind: 'tool' as const,
      name: 'mcpmux_search_tools',
      clientId: 'cursor',
      sessionId: 's',
      requestId: 8,
      spaceId: 'work',
      serverId: undefined,
      decision: 'allow' as const,
      outcome: 'ok' as const,
      durationMs: 0.42,
    };
    expect(callLogFields({ ...event, hits: 3 })).toMatchObject({
      name: 'mcpmux_search_tools',
      server: null,
      hits: 3,
    });
    expect('hits' in callLogFields(event)).toBe(false);
  });
});
