/** Harness of the gateway tests: a real SQLite store and vault, fixture servers, SDK clients. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteSpaceStore, type SqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { createEnvKeyProvider } from '@mcpmux/vault';
import { openSqliteVault, type SqliteVault } from '@mcpmux/vault/sqlite';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createGateway, type Gateway, type GatewayOptions, type GatewaySession } from '../src/index.js';
import { EVERYTHING, FIXTURES, waitFor } from './upstream/helpers.js';

export { EVERYTHING, FIXTURES, waitFor };

/** A downstream client connected to the gateway over an in-memory transport pair. */
export interface Downstream {
  client: Client;
  session: GatewaySession;
  /** Count of received notifications by method. */
  received: Map<string, number>;
  /** Every `notifications/message` and `notifications/resources/updated` params received. */
  messages: Record<string, unknown>[];
  /** The protocol revision the gateway answered `initialize` with. */
  negotiated: string | undefined;
  count(method: string): number;
  toolNames(): Promise<string[]>;
  close(): Promise<void>;
}

export interface Harness {
  dir: string;
  store: SqliteSpaceStore;
  vault: SqliteVault;
  gateway: Gateway;
  connect(clientId: string, options?: ClientOptions & { protocolVersion?: string }): Promise<Downstream>;
  /** Defines a `ds-named.mjs` server. */
  namedServer(
    id: string,
    features: { tools?: string[]; prompts?: string[]; resources?: string[]; templates?: string[] },
    extra?: { defaultEnabled?: boolean },
  ): Promise<void>;
  /** Defines a server running `test/fixtures/<file>`. */
  fixtureServer(id: string, file: string, env?: Record<string, string>): Promise<void>;
  /**
   * Creates space `work`, installs the already defined `servers` in it and creates each of
   * `clients` with a grant of all of `work`.
   */
  setUpWork(servers: string[], clients: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(options: Partial<GatewayOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-gateway-'));
  const store = openSqliteSpaceStore({ path: join(dir, 'store.db') });
  const vault = await openSqliteVault({
    database: store.database,
    keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
  });
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  const gateway = createGateway({
    store,
    vault,
    env,
    watchIntervalMs: 20,
    listChangedDebounceMs: 10,
    auditFlushMs: 20,
    connectTimeoutMs: 15_000,
    ...options,
  });
  const downstreams = new Set<Downstream>();

  const harness: Harness = {
    dir,
    store,
    vault,
    gateway,
    async connect(clientId, clientOptions = {}) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const session = await gateway.connect(serverSide, { clientId });
      const { protocolVersion, ...rest } = clientOptions;
      const client = new Client({ name: `test-${clientId}`, version: '1.0.0' }, rest);
      const received = new Map<string, number>();
      const messages: Record<string, unknown>[] = [];
      const bump = (method: string): void => {
        received.set(method, (received.get(method) ?? 0) + 1);
      };
      client.setNotificationHandler(ToolListChangedNotificationSchema, () =>
        bump('notifications/tools/list_changed'),
      );
      client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
        bump('notifications/prompts/list_changed'),
      );
      client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
        bump('notifications/resources/list_changed'),
      );
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        bump(n.method);
        messages.push(n.params);
      });
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        bump(n.method);
        messages.push(n.params);
      });
      if (protocolVersion !== undefined) {
        // Speak an older revision: rewrite the version in the initialize request on its way out.
        const send = clientSide.send.bind(clientSide);
        clientSide.send = (message, opts) => {
          const m = message as { method?: string; params?: { protocolVersion?: string } };
          if (m.method === 'initialize' && m.params !== undefined) m.params.protocolVersion = protocolVersion;
          return send(message, opts);
        };
      }
      let negotiated: string | undefined;
      (clientSide as { setProtocolVersion?: (version: string) => void }).setProtocolVersion = (version) => {
        negotiated = version;
      };
      await client.connect(clientSide);
      const downstream: Downstream = {
        negotiated,
        client,
        session,
        received,
        messages,
        count: (method) => received.get(method) ?? 0,
        toolNames: async () => (await client.listTools()).tools.map((t) => t.name).sort(),
        close: async () => {
          downstreams.delete(downstream);
          await client.close();
        },
      };
      downstreams.add(downstream);
      return downstream;
    },
    async namedServer(id, features, extra = {}) {
      await store.createServer({
        id,
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: [join(FIXTURES, 'ds-named.mjs')],
          env: {
            FIXTURE_NAME: id,
            FIXTURE_TOOLS: (features.tools ?? []).join(','),
            FIXTURE_PROMPTS: (features.prompts ?? []).join(','),
            FIXTURE_RESOURCES: (features.resources ?? []).join(','),
            FIXTURE_TEMPLATES: (features.templates ?? []).join(','),
          },
        },
        defaultEnabled: extra.defaultEnabled ?? false,
      });
    },
    async fixtureServer(id, file, env = {}) {
      await store.createServer({
        id,
        transport: { type: 'stdio', command: process.execPath, args: [join(FIXTURES, file)], env },
      });
    },
    async setUpWork(servers, clients) {
      await store.createSpace({ id: 'work' });
      for (const id of servers) await store.install('work', id);
      for (const id of clients) {
        await store.createClient({ id });
        await store.grant(id, 'work', 'all');
      }
    },
    async close() {
      for (const d of [...downstreams]) await d.close().catch(() => undefined);
      await gateway.close();
      await vault.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * A started harness in which client `app` sees one server, `id` running `test/fixtures/<file>`,
 * through space `work`; `app` is connected.
 * @param options gateway options over the harness defaults
 */
export async function createFixtureHarness(
  id: string,
  file: string,
  options: Partial<GatewayOptions> = {},
): Promise<{ h: Harness; app: Downstream }> {
  const h = await createHarness(options);
  try {
    await h.fixtureServer(id, file);
    await h.setUpWork([id], ['app']);
    await h.gateway.start();
    return { h, app: await h.connect('app') };
  } catch (err) {
    await h.close();
    throw err;
  }
}

/** The text of the first content item of a result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.text ?? '';
}

/** The JSON-RPC error a promise rejects with: `{ code, message }` (message as the client sees it). */
export async function rpcErrorOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { code: Number(e.code), message: String(e.message) };
  }
  throw new Error('expected the request to fail');
}
