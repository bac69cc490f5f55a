import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, CLI_BIN, packageFile, runCli } from '../helpers/cli.js';
import { type RunningGateway, startGateway, stopAllGateways } from '../helpers/gateway.js';
import type { TempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/processes.js';
import { addNodeServer, initHome } from '../helpers/setup.js';
import { MODERN } from './era-clients.js';

// Issue #15, tried as a user: what real clients from npm hit through mcpmux. The v2 SDK client is
// used the way an app would (versionNegotiation 'auto', list changes through ClientOptions.listChanged,
// sampling and elicitation handlers registered), against the registry's server-everything (a 2025-era
// server) in Space `personal` and server-memory in Space `work`.

const CLIENT_ID = 'app';
let home: TempHome;
let gateway: RunningGateway;
let key: string;

beforeAll(async () => {
  home = await initHome();
  await addNodeServer(home, 'personal', 'everything', [
    packageFile('@modelcontextprotocol/server-everything/dist/index.js'),
    'stdio',
  ]);
  await runCli(home, ['space', 'create', 'work']);
  await addNodeServer(home, 'work', 'memory', [
    packageFile('@modelcontextprotocol/server-memory/dist/index.js'),
  ]);
  key = await addClient(home, CLIENT_ID);
  await runCli(home, ['client', 'grant', CLIENT_ID, 'all', '--space', 'personal']);
  await runCli(home, ['client', 'grant', CLIENT_ID, 'all', '--space', 'work']);
  gateway = await startGateway(home);
});

afterAll(async () => {
  try {
    await stopAllGateways();
  } finally {
    home?.remove();
  }
});

/** A v2 SDK client as an app configures it: auto negotiation, list changes, sampling and elicitation. */
async function connectApp(kind: 'http' | 'stdio') {
  const toolLists: string[][] = [];
  const client = new Client(
    { name: 'real-client-e2e', version: '1.0.0' },
    {
      versionNegotiation: { mode: 'auto' },
      capabilities: { sampling: {}, elicitation: { form: {} } },
      listChanged: {
        tools: {
          onChanged: (error, tools) => {
            if (error === null) toolLists.push((tools ?? []).map((t) => t.name));
          },
        },
      },
    },
  );
  client.setRequestHandler('sampling/createMessage', async () => ({
    role: 'assistant',
    content: { type: 'text', text: 'sampled' },
    model: 'test',
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { color: 'blue' },
  }));
  const transport =
    kind === 'http'
      ? new StreamableHTTPClientTransport(new URL(gateway.url), {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        })
      : new StdioClientTransport({
          command: process.execPath,
          args: [CLI_BIN, '--home', home.dir, 'stdio', '--client', CLIENT_ID],
          env: home.env as Record<string, string>,
        });
  await client.connect(transport);
  return { client, toolLists };
}

/** The joined text of a tool result. */
function textOf(result: { content?: unknown }): string {
  const parts = (result.content ?? []) as { type: string; text?: string }[];
  return parts.map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
}

for (const kind of ['http', 'stdio'] as const) {
  describe(`a v2 SDK app with versionNegotiation 'auto' over ${kind === 'http' ? 'HTTP /mcp' : 'the stdio bridge'}`, () => {
    it('negotiates 2026-07-28 and sees a Space switch as a new tool list on its listen stream', async () => {
      const { client, toolLists } = await connectApp(kind);
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
        const personal = (await client.listTools()).tools.map((t) => t.name);
        expect(personal).toContain('everything_echo');
        await runCli(home, ['space', 'use', 'work']);
        const work = await waitFor(() => toolLists.find((names) => names.includes('memory_read_graph')), {
          what: 'a tools list_changed showing the work Space',
        });
        expect(work).not.toContain('everything_echo');
        expect((await client.listTools()).tools.map((t) => t.name)).toEqual(work);
      } finally {
        await runCli(home, ['space', 'use', 'personal']);
        await client.close();
      }
    });

    // docs/protocol-eras.md: a 2025 server asking a 2026 client during a call is "not crossed: the
    // server's request fails closed with an error naming why". The app declared sampling and
    // elicitation, so an error saying it "did not declare the capability" names the wrong reason.
    it('tells a 2025 server that asks the 2026 app for sampling or elicitation that the era is why', async () => {
      const { client } = await connectApp(kind);
      try {
        // The previous test switched back to the personal Space; the gateway sees that through the store.
        await waitFor(
          async () => (await client.listTools()).tools.some((t) => t.name === 'everything_echo'),
          { what: 'the personal Space again' },
        );
        for (const tool of [
          'everything_trigger-sampling-request',
          'everything_trigger-elicitation-request',
        ]) {
          const text = textOf(
            await client.callTool({ name: tool, arguments: { prompt: 'hi', maxTokens: 5 } }),
          );
          expect(text, tool).toContain(MODERN);
          expect(text, tool).not.toContain('did not declare the capability');
        }
      } finally {
        await client.close();
      }
    });
  });
}
