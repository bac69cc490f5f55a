import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openHome } from '../src/home.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js';

/** An environment holding a fresh master key (base64 of 32 bytes). */
export function testEnv(): Record<string, string> {
  return { MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
}

/** The small stdio MCP server of these tests: tools `echo` and `whoami`, named after argv[2]. */
export const ECHO_SERVER = fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url));

export interface TestHome {
  home: string;
  env: Record<string, string>;
  /** Access keys by client id. */
  keys: Record<string, string>;
  cleanup(): void;
}

/**
 * A home with Spaces `personal` (active; server `alpha`) and `work` (server `beta`), and clients
 * `alice` and `bob` (follow-active) granted `all` in both Spaces.
 */
export async function createTestHome(
  options: {
    /** Install the echo servers (default true). */
    servers?: boolean;
    /** The echo servers write their pid here (`ECHO_PID_FILE`). */
    pidFile?: string;
    /** More clients, created without any grant. */
    ungranted?: string[];
  } = {},
): Promise<TestHome> {
  const home = mkdtempSync(join(tmpdir(), 'mcpmux-server-test-'));
  const env = testEnv();
  const opened = await openHome({ home, env, create: true });
  const keys: Record<string, string> = {};
  try {
    const { store } = opened;
    await store.createSpace({ id: 'personal', name: 'Personal' });
    await store.createSpace({ id: 'work', name: 'Work' });
    if (options.servers !== false) {
      for (const [id, space] of [
        ['alpha', 'personal'],
        ['beta', 'work'],
      ] as const) {
        await store.createServer({
          id,
          transport: {
            type: 'stdio',
            command: process.execPath,
            args: [ECHO_SERVER, id],
            ...(options.pidFile === undefined ? {} : { env: { ECHO_PID_FILE: options.pidFile } }),
          },
        });
        await store.install(space, id);
      }
    }
    for (const id of ['alice', 'bob']) {
      const { accessKey } = await store.createClient({ id });
      keys[id] = accessKey;
      await store.grant(id, 'personal', 'all');
      await store.grant(id, 'work', 'all');
    }
    for (const id of options.ungranted ?? []) keys[id] = (await store.createClient({ id })).accessKey;
  } finally {
    await opened.close();
  }
  return { home, env, keys, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes (then throws). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request over loopback (lets tests set Host, Origin and malformed bodies). */
export function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Starts the server on a free loopback port for a test home, logging nothing. */
export function startTestServer(
  t: TestHome,
  options: Partial<StartServerOptions> = {},
): Promise<RunningServer> {
  return startServer({
    home: t.home,
    env: t.env,
    port: 0,
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An `initialize` request body (protocol 2025-11-25, id 1). */
export const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Headers of an MCP POST with this access key (none when undefined), plus `extra`. */
export function mcpHeaders(
  key: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    ...extra,
  };
}

/**
 * Opens a session with raw HTTP (`initialize`, then `notifications/initialized`; no GET stream, so
 * it can go idle). Returns the initialize answer and the session id ('' when refused).
 */
export async function openRawSession(url: string, key: string) {
  const res = await raw(url, { headers: mcpHeaders(key), body: INIT });
  const sessionId = res.headers['mcp-session-id'];
  if (res.status === 200 && typeof sessionId === 'string') {
    await raw(url, {
      headers: mcpHeaders(key, { 'mcp-session-id': sessionId }),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
  }
  return { ...res, sessionId: typeof sessionId === 'string' ? sessionId : '' };
}

/** A raw `ping` on a session. */
export function rawPing(url: string, key: string, sessionId: string, id: string | number = 'p') {
  return raw(url, {
    headers: mcpHeaders(key, { 'mcp-session-id': sessionId }),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
  });
}

/** The real SDK client over Streamable HTTP with this access key (and optionally its own fetch). */
export async function connectClient(url: string, key: string, fetchFn?: typeof fetch): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
      ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
    }),
  );
  return client;
}
