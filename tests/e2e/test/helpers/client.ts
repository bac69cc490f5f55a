import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CallToolResult,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { CLI_BIN } from './cli.js';
import type { TempHome } from './home.js';
import { commandLineOf, descendantsOf, isAlive, waitFor } from './processes.js';

/** Anything that lists tools page by page (either SDK's client). */
export interface ToolLister {
  listTools(params: {
    cursor?: string;
  }): Promise<{ tools: { name: string }[]; nextCursor?: string | undefined }>;
}

/** Every tool name a client sees, all pages followed, sorted. */
export async function allToolNames(client: ToolLister): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names.sort();
}

/** Counts of `notifications/*\/list_changed` a session received. */
export interface ListChangedCounts {
  tools: number;
  prompts: number;
  resources: number;
}

/** A connected SDK client plus what it observed. */
export interface McpSession {
  client: Client;
  listChanged: ListChangedCounts;
  /** Sorted tool names from `tools/list` (all pages). */
  toolNames(): Promise<string[]>;
  /** Sorted prompt names from `prompts/list`. */
  promptNames(): Promise<string[]>;
  /** Sorted resource URIs from `resources/list`. */
  resourceUris(): Promise<string[]>;
  /** `tools/call` returning the joined text content; MCP errors (result or JSON-RPC) are thrown. */
  callText(name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

function wrap(client: Client, onClose: () => Promise<void>): McpSession {
  const listChanged: ListChangedCounts = { tools: 0, prompts: 0, resources: 0 };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged.tools++;
  });
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
    listChanged.prompts++;
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged.resources++;
  });
  return {
    client,
    listChanged,
    toolNames: () => allToolNames(client),
    async promptNames() {
      const { prompts } = await client.listPrompts();
      return prompts.map((p) => p.name).sort();
    },
    async resourceUris() {
      const { resources } = await client.listResources();
      return resources.map((r) => r.uri).sort();
    },
    async callText(name, args = {}) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const text = result.content
        .map((c) => (c.type === 'text' ? c.text : ''))
        .join('')
        .trim();
      if (result.isError) throw new Error(`tool ${name} returned an error: ${text}`);
      return text;
    },
    close: onClose,
  };
}

const clientInfo = { name: 'mcpmux-e2e', version: '1.0.0' };

/**
 * Connects the real SDK `Client` over Streamable HTTP with `Authorization: Bearer <key>`.
 *
 * @throws whatever the SDK throws when the gateway refuses the connection (e.g. 401).
 * @example
 * ```ts
 * const session = await connectHttp(gateway.url, key);
 * expect(await session.toolNames()).toContain('env-echo_whoami');
 * ```
 */
export async function connectHttp(url: string, key: string): Promise<McpSession> {
  const client = new Client(clientInfo, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return wrap(client, async () => {
    try {
      await transport.terminateSession();
    } catch {
      // the gateway may already be gone
    }
    await client.close();
  });
}

/**
 * Starts `mcpmux stdio --client ID` for a home and connects the SDK `StdioClientTransport` to it.
 * `close()` ends the bridge and checks that it left no child processes behind.
 *
 * @throws Error listing orphaned processes on close.
 * @example
 * ```ts
 * const session = await connectStdio(home, 'desktop');
 * ```
 */
export async function connectStdio(home: TempHome, clientId: string): Promise<McpSession> {
  const client = new Client(clientInfo, { capabilities: {} });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, '--home', home.dir, 'stdio', '--client', clientId],
    env: home.env as Record<string, string>,
    stderr: 'pipe',
  });
  await client.connect(transport);
  return wrap(client, async () => {
    const pid = transport.pid;
    const seen =
      pid === null
        ? new Map<number, string>()
        : new Map(descendantsOf(pid).map((p) => [p, commandLineOf(p)]));
    await client.close();
    const all = pid === null ? [...seen.keys()] : [pid, ...seen.keys()];
    let left: number[] = [];
    try {
      await waitFor(
        () => {
          left = all.filter(isAlive);
          return left.length === 0;
        },
        { timeoutMs: 10_000, what: 'the stdio bridge and its upstreams to exit' },
      );
    } catch {
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      throw new Error(
        `stdio bridge left processes behind: ${left.map((p) => `${p} ${seen.get(p) ?? ''}`).join('; ')}`,
      );
    }
  });
}
