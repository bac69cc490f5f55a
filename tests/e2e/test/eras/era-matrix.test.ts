import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { createMCPClient } from '@ai-sdk/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, CLI_BIN, runCli } from '../helpers/cli.js';
import { type RunningGateway, startGateway, stopAllGateways } from '../helpers/gateway.js';
import type { TempHome } from '../helpers/home.js';
import { addNodeServer, initHome } from '../helpers/setup.js';
import { defineEraCases, type EraCaseContext } from './era-cases.js';
import {
  type ClientEra,
  connectEra,
  connectLegacy,
  connectModern,
  type EraClient,
  type FixtureVariant,
  fixtureArgs,
  type HttpFixture,
  LEGACY,
  MODERN,
  readEvents,
  startHttpFixture,
} from './era-clients.js';

// Issue #15 acceptance: {2025 client (v1 SDK), 2026 client (v2 SDK pinned to 2026-07-28)} x
// {2025 upstream (v1 SDK), 2026 upstream (v2 SDK, both eras)} x {stdio, HTTP upstream}, all through
// one gateway's HTTP /mcp with a client access key; then @ai-sdk/mcp (2026-07-28 without falling
// back, seen by a recording proxy) and the stdio bridge with a 2026 client.

const VARIANTS: FixtureVariant[] = [
  { era: '2025', transport: 'stdio' },
  { era: '2025', transport: 'http' },
  { era: '2026', transport: 'stdio' },
  { era: '2026', transport: 'http' },
];
const serverId = (v: FixtureVariant) => `u${v.era}${v.transport}`;
const CLIENT_ID = 'matrix';

let home: TempHome;
let gateway: RunningGateway;
let key: string;
const httpFixtures: HttpFixture[] = [];
const eventsOf = (v: FixtureVariant) => join(home.scratch, `${serverId(v)}.jsonl`);
const auth = () => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  home = await initHome();
  for (const variant of VARIANTS) {
    const id = serverId(variant);
    if (variant.transport === 'http') {
      const fixture = await startHttpFixture(variant.era, eventsOf(variant), id);
      httpFixtures.push(fixture);
      await runCli(home, ['server', 'add', id, '--url', fixture.url, '--space', 'personal', '--no-connect']);
    } else {
      await addNodeServer(home, 'personal', id, fixtureArgs(variant, eventsOf(variant), id));
    }
  }
  key = await addClient(home, CLIENT_ID);
  await runCli(home, ['client', 'grant', CLIENT_ID, 'all']);
  gateway = await startGateway(home);
});

afterAll(async () => {
  try {
    await stopAllGateways();
  } finally {
    for (const fixture of httpFixtures) fixture.stop();
    home?.remove();
  }
});

for (const variant of VARIANTS) {
  const id = serverId(variant);
  describe(`${variant.era} upstream over ${variant.transport}`, () => {
    for (const clientEra of ['2025', '2026'] as ClientEra[]) {
      describe(`${clientEra} client through mcpmux /mcp`, () => {
        let context: EraCaseContext | undefined;
        beforeAll(async () => {
          context = {
            client: await connectEra(clientEra, { kind: 'http', url: gateway.url, headers: auth() }),
            clientVersion: clientEra === '2026' ? MODERN : LEGACY,
            prefix: `${id}_`,
            label: id,
            events: eventsOf(variant),
            // The gateway speaks to each upstream in the newest era it supports, whatever the client's.
            upstreamVersions: variant.era === '2025' ? [LEGACY] : [MODERN],
          };
        });
        afterAll(async () => {
          await context?.client.close();
        });
        defineEraCases(() => context!);
      });
    }

    if (variant.era === '2026') {
      describe('mcpmux to a 2026-capable upstream', () => {
        it('speaks 2026-07-28 to it, whatever the era of the client', async () => {
          const before = readEvents(eventsOf(variant)).length;
          const legacy = await connectLegacy({ kind: 'http', url: gateway.url, headers: auth() });
          try {
            expect(await legacy.callText(`${id}_echo`, { text: 'hop' })).toBe('echo:hop');
          } finally {
            await legacy.close();
          }
          const served = readEvents(eventsOf(variant))
            .slice(before)
            .map((e) => (e.event === 'request' ? `${e.method} in ${e.protocolVersion}` : e.event));
          expect(served).toEqual([`tools/call in ${MODERN}`]);
        });
      });
    }

    it(`reports the revision it speaks to the ${variant.era} upstream in /health`, async () => {
      const res = await fetch(gateway.url.replace(/\/mcp$/, '/health'));
      const body = (await res.json()) as { upstreams: { server: string; protocolVersion?: string }[] };
      const upstream = body.upstreams.find((u) => u.server === id);
      expect(upstream?.protocolVersion).toBe(variant.era === '2026' ? MODERN : LEGACY);
    });
  });
}

/** One request seen by the recording proxy. */
interface Recorded {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP proxy in front of the gateway that records every request it forwards. */
async function startRecordingProxy(
  target: string,
): Promise<{ url: string; seen: Recorded[]; server: Server }> {
  const upstream = new URL(target);
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', headers: req.headers, body: body.toString('utf8') });
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      res.on('close', () => forward.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}${upstream.pathname}`, seen, server };
}

/** JSON-RPC methods in a recorded POST body (a message or a batch). */
function methodsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed])
      .map((m) => (m as { method?: unknown }).method)
      .filter((m): m is string => typeof m === 'string');
  } catch {
    return [];
  }
}

describe('@ai-sdk/mcp (Vercel AI SDK) through mcpmux /mcp', () => {
  it('speaks 2026-07-28 without falling back to initialize, lists and calls a tool', async () => {
    const proxy = await startRecordingProxy(gateway.url);
    const client = await createMCPClient({
      transport: { type: 'http', url: proxy.url, headers: auth() },
      clientName: 'mcpmux-era-e2e',
    });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('u2026http_echo');
      const result = await client.callTool({ name: 'u2025stdio_echo', arguments: { text: 'vercel' } });
      expect(result.content).toEqual([{ type: 'text', text: 'echo:vercel' }]);
    } finally {
      await client.close();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
    const posts = proxy.seen.filter((r) => r.method === 'POST');
    const methods = posts.flatMap((r) => methodsOf(r.body));
    expect(methods).toContain('server/discover');
    expect(methods).toEqual(expect.arrayContaining(['tools/list', 'tools/call']));
    expect(methods).not.toContain('initialize');
    for (const post of posts) expect(post.headers['mcp-protocol-version']).toBe(MODERN);
  });
});

describe('mcpmux stdio (the bridge) with a 2026 client', () => {
  let client: EraClient | undefined;
  afterAll(async () => {
    await client?.close();
  });

  it('negotiates 2026-07-28 over the bridge, lists and calls a tool', async () => {
    client = await connectModern({
      kind: 'stdio',
      command: process.execPath,
      args: [CLI_BIN, '--home', home.dir, 'stdio', '--client', CLIENT_ID],
      env: home.env as Record<string, string>,
    });
    expect(client.protocolVersion()).toBe(MODERN);
    expect(await client.toolNames()).toEqual(expect.arrayContaining(['u2025http_echo', 'u2026stdio_echo']));
    expect(await client.callText('u2026stdio_echo', { text: 'bridge' })).toBe('echo:bridge');
  });
});
