import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHome } from '../src/home.js';
import type { RunningServer } from '../src/start.js';
import {
  connectClient,
  createTestHome,
  mcpHeaders,
  raw,
  startTestServer,
  type TestHome,
  waitFor,
} from './helpers.js';

const UPSTREAM = fileURLToPath(new URL('./fixtures/metrics-upstream.mjs', import.meta.url));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels (undefined when absent). */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)
    ?.value;
}

describe('GET /metrics', () => {
  let t: TestHome;
  let server: RunningServer;
  let metricsUrl: string;
  const secret = `canary-secret-${randomBytes(6).toString('hex')}`;
  const argument = `canary-argument-${randomBytes(6).toString('hex')}`;

  async function scrape(): Promise<{ text: string; samples: Sample[] }> {
    const res = await raw(metricsUrl, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.body, samples: parseMetrics(res.body) };
  }

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
    const opened = await openHome({ home: t.home, env: t.env });
    try {
      await opened.store.createServer({
        id: 'gamma',
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: [UPSTREAM],
          env: { TOKEN: '${secret:TOKEN}' },
        },
      });
      await opened.store.install('personal', 'gamma');
      await opened.vault.set({ spaceId: 'personal', serverId: 'gamma' }, 'TOKEN', secret);
    } finally {
      await opened.close();
    }
    server = await startTestServer(t, { callTimeoutMs: 300 });
    metricsUrl = server.url.replace(/\/mcp$/, '/metrics');
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('counts allowed, denied, failed and timed-out calls exactly, by Space, server and outcome', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    try {
      const ok = await client.callTool({ name: 'gamma_secret', arguments: {} });
      // The upstream really got the secret: the canary below is meaningful.
      expect(JSON.stringify(ok.content)).toContain(secret);
      await client.callTool({ name: 'gamma_echo', arguments: { text: argument } });
      await expect(
        client.callTool({ name: 'nope_nothing', arguments: { text: argument } }),
      ).rejects.toThrow();
      await expect(client.callTool({ name: 'gamma_fail', arguments: {} })).rejects.toThrow(/always fails/);
      await expect(client.callTool({ name: 'gamma_sleep', arguments: { ms: 10_000 } })).rejects.toThrow();
    } finally {
      await endSession(client);
    }
    const { samples } = await scrape();
    const calls = (server: string, decision: string, outcome: string) =>
      sampleValue(samples, 'mcpmux_calls_total', {
        space: 'personal',
        server,
        method: 'tools/call',
        decision,
        outcome,
      });
    expect(calls('gamma', 'allow', 'ok')).toBe(2);
    expect(calls('gamma', 'allow', 'error')).toBe(1);
    expect(calls('gamma', 'allow', 'timeout')).toBe(1);
    expect(calls('', 'deny', 'error')).toBe(1);
    expect(samples.filter((s) => s.name === 'mcpmux_calls_total').reduce((n, s) => n + s.value, 0)).toBe(5);
    expect(
      sampleValue(samples, 'mcpmux_call_duration_seconds_count', { server: 'gamma', method: 'tools/call' }),
    ).toBe(4);
    expect(
      sampleValue(samples, 'mcpmux_call_duration_seconds_bucket', {
        server: 'gamma',
        method: 'tools/call',
        le: '+Inf',
      }),
    ).toBe(4);
    // One upstream, counted in exactly one state; the process metrics share the registry.
    const upstreams = samples.filter((s) => s.name === 'mcpmux_upstreams');
    expect(upstreams.map((s) => s.labels.state)).toEqual(
      expect.arrayContaining(['ready', 'connecting', 'backoff', 'circuit-open', 'idle', 'closed']),
    );
    expect(upstreams.reduce((n, s) => n + s.value, 0)).toBe(1);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('tracks sessions by client and protocol revision up and down, and lists them on /health', async () => {
    const a1 = await connectClient(server.url, t.keys.alice ?? '');
    const a2 = await connectClient(server.url, t.keys.alice ?? '');
    const b1 = await connectClient(server.url, t.keys.bob ?? '');
    const sessions = async (client: string) =>
      sampleValue((await scrape()).samples, 'mcpmux_sessions', { client, protocol: LATEST_PROTOCOL_VERSION });
    try {
      await waitFor(
        async () => (await sessions('alice')) === 2 && (await sessions('bob')) === 1,
        5000,
        'alice at 2 sessions, bob at 1',
      );
      const health = JSON.parse((await raw(server.url.replace(/\/mcp$/, '/health'), { method: 'GET' })).body);
      expect(health.sessionsByClient).toEqual({ alice: 2, bob: 1 });
      await endSession(a2);
      await waitFor(async () => (await sessions('alice')) === 1, 5000, 'alice at 1 session');
      expect(await sessions('bob')).toBe(1);
    } finally {
      await Promise.all([a1, a2, b1].map((c) => endSession(c)));
    }
    await waitFor(async () => (await sessions('alice')) === 0 && (await sessions('bob')) === 0);
  });

  it('counts requests refused for their key, Origin or Host by reason', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const refused = [
      [mcpHeaders(undefined), 401],
      [mcpHeaders(`mcpmux_${'x'.repeat(40)}`), 401],
      [mcpHeaders(undefined, { authorization: 'Basic abc' }), 401],
      [mcpHeaders(t.keys.alice, { origin: 'https://evil.example' }), 403],
      [mcpHeaders(t.keys.alice, { host: 'evil.example' }), 403],
    ] as const;
    for (const [headers, status] of refused) {
      expect((await raw(server.url, { headers, body: init })).status).toBe(status);
    }
    const { samples } = await scrape();
    for (const reason of ['missing_key', 'unknown_key', 'malformed_header', 'bad_origin', 'bad_host']) {
      expect(sampleValue(samples, 'mcpmux_auth_failures_total', { reason }), reason).toBe(1);
    }
  });

  it('never shows a secret, an access key or a tool argument', async () => {
    const { text } = await scrape();
    expect(text).toContain('mcpmux_calls_total');
    for (const canary of [
      secret,
      argument,
      t.keys.alice ?? '?',
      t.keys.bob ?? '?',
      t.env.MCPMUX_MASTER_KEY,
    ]) {
      expect(text).not.toContain(canary);
    }
    // No tool names, session ids or request ids as labels either.
    expect(text).not.toMatch(/gamma_(echo|secret|fail|sleep)/);
    expect(text).not.toMatch(/session_?id=|request_?id=/i);
  });

  it('counts list_changed sent to a session and restarts of a crashed upstream', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    const value = async (name: string, labels: Record<string, string>) =>
      sampleValue((await scrape()).samples, name, labels) ?? 0;
    try {
      await client.listTools();
      const listChanged = await value('mcpmux_list_changed_total', { kind: 'tools' });
      // A write by another process (as the CLI's): alice loses the tools, her session is told.
      const opened = await openHome({ home: t.home, env: t.env });
      try {
        await opened.store.ungrant('alice', 'personal', 'all');
        await waitFor(
          async () => (await value('mcpmux_list_changed_total', { kind: 'tools' })) === listChanged + 1,
          5000,
          'one more tools list_changed',
        );
      } finally {
        await opened.store.grant('alice', 'personal', 'all');
        await opened.close();
      }
      await waitFor(async () => (await client.listTools()).tools.length > 0, 5000, 'the tools back');
      const labels = { space: 'personal', server: 'gamma' };
      const restarts = await value('mcpmux_upstream_restarts_total', labels);
      await expect(client.callTool({ name: 'gamma_crash', arguments: {} })).rejects.toThrow();
      await waitFor(
        async () => (await value('mcpmux_upstream_restarts_total', labels)) === restarts + 1,
        10_000,
        'one restart of gamma',
      );
    } finally {
      await endSession(client);
    }
  });

  it('keeps the Origin and Host guards of /mcp', async () => {
    const origin = await raw(metricsUrl, { method: 'GET', headers: { origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    const host = await raw(metricsUrl, { method: 'GET', headers: { host: 'evil.example' } });
    expect(host.status).toBe(403);
  });
});

describe('GET /metrics with metrics turned off', () => {
  it('answers 404 saying metrics are off', async () => {
    const t = await createTestHome({ servers: false });
    const server = await startTestServer(t, { metrics: false });
    try {
      const res = await raw(server.url.replace(/\/mcp$/, '/metrics'), { method: 'GET' });
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).error.message).toMatch(/metrics are turned off/);
    } finally {
      await server.close();
      t.cleanup();
    }
  });
});

/** Ends a client's session with HTTP DELETE, then closes it. */
async function endSession(client: Client): Promise<void> {
  const transport = client.transport as StreamableHTTPClientTransport | undefined;
  await transport?.terminateSession().catch(() => undefined);
  await client.close();
}
