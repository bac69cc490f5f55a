// MCP client sessions for the benchmark: the real SDK client over Streamable HTTP, legacy SSE or
// stdio, with a nonce-checked echo call. An HTTP endpoint with `era: '2026'` is driven by the v2 SDK
// client pinned to MCP 2026-07-28 (no handshake, no server-side session); every other endpoint by the
// v1 SDK client (2025-11-25, `initialize` and a session).
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const info = { name: 'mcpmux-bench', version: '1.0.0' };

/** The 2026 protocol revision a `era: '2026'` endpoint is driven in. */
export const MODERN = '2026-07-28';

/**
 * Opens one MCP session (for a 2026-07-28 client: one connected client, the server keeps no state).
 * @param {{ kind: 'http' | 'sse', url: string, headers?: Record<string,string>, era?: '2025' | '2026' } | { kind: 'stdio', command: string, args: string[], env?: Record<string,string> }} endpoint
 */
export async function openSession(endpoint) {
  if (endpoint.era === '2026') return openModernSession(endpoint);
  const client = new Client(info, { capabilities: {} });
  let transport;
  if (endpoint.kind === 'http') {
    transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
      requestInit: { headers: endpoint.headers ?? {} },
    });
  } else if (endpoint.kind === 'sse') {
    transport = new SSEClientTransport(new URL(endpoint.url), {
      requestInit: { headers: endpoint.headers ?? {} },
    });
  } else {
    transport = new StdioClientTransport({
      command: endpoint.command,
      args: endpoint.args,
      env: endpoint.env,
      stderr: 'ignore',
    });
  }
  await client.connect(transport);
  return {
    client,
    transport,
    async close() {
      if (endpoint.kind === 'http') {
        try {
          await transport.terminateSession();
        } catch {
          // the server may not support DELETE
        }
      }
      await client.close().catch(() => {});
    },
  };
}

/** The v2 SDK client pinned to 2026-07-28 (`server/discover`, no fallback to 2025) over HTTP. */
async function openModernSession(endpoint) {
  if (endpoint.kind !== 'http')
    throw new Error(`a 2026-07-28 client needs an HTTP endpoint, not ${endpoint.kind}`);
  const client = new ModernClient(info, { versionNegotiation: { mode: { pin: MODERN } } });
  const transport = new ModernHttpTransport(new URL(endpoint.url), {
    requestInit: { headers: endpoint.headers ?? {} },
  });
  await client.connect(transport);
  const negotiated = client.getNegotiatedProtocolVersion();
  if (negotiated !== MODERN) {
    await client.close().catch(() => {});
    throw new Error(`the 2026 client negotiated ${negotiated}, not ${MODERN}`);
  }
  return {
    client,
    transport,
    async close() {
      await client.close().catch(() => {});
    },
  };
}

/** Calls the echo tool with `message` and returns true when the reply echoes exactly that message. */
export async function echo(session, toolName, message) {
  const result = await session.client.callTool({ name: toolName, arguments: { message } });
  const text = result.content?.[0]?.text;
  return text === `Echo: ${message}`;
}

/** Finds the exposed name of the upstream `echo` tool (peers prefix it differently). */
export async function findEchoTool(session) {
  const { tools } = await session.client.listTools();
  const exact = tools.find((t) => t.name === 'echo');
  if (exact) return exact.name;
  const prefixed = tools.find((t) => /(^|[_.:-])echo$/.test(t.name));
  if (!prefixed) throw new Error(`no echo tool among ${tools.length} tools`);
  return prefixed.name;
}
