import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isMcpmuxError } from '@mcpmux/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySocketPath, readGatewayInfo } from '../src/gateway-info.js';
import { GatewayInfoSchema } from '../src/gateway-info-schema.js';
import type { RunningServer } from '../src/start.js';
import { SERVER_VERSION } from '../src/version.js';
import { createTestHome, INIT, openRawSession, startTestServer, type TestHome, waitFor } from './helpers.js';

const STORE_CLI = fileURLToPath(new URL('./fixtures/store-cli.mjs', import.meta.url));
const run = promisify(execFile);

/** A raw client of the gateway socket: writes lines, collects the lines it receives. */
class LineClient {
  readonly lines: string[] = [];
  closed = false;
  readonly #socket: Socket;
  #partial = '';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async open(path: string): Promise<LineClient> {
    const socket = connect({ path });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  write(text: string): void {
    this.#socket.write(text);
  }

  send(message: object): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** The `index`-th line received, parsed (waits for it). */
  async line(index: number): Promise<Record<string, unknown>> {
    await waitFor(() => this.lines.length > index || this.closed, 10_000, `line ${index}`);
    const line = this.lines[index];
    if (line === undefined) throw new Error(`the socket closed after ${this.lines.length} lines`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** The JSON-RPC answer with this id (waits for it). */
  async answer(id: number | string): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(
      () => {
        found = this.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.id === id);
        return found !== undefined || this.closed;
      },
      10_000,
      `the answer to ${id}`,
    );
    if (found === undefined) throw new Error(`the socket closed without answering ${id}`);
    return found;
  }

  /** Sends `request` with `id` and waits for its answer. */
  async request(id: number, method: string, params: object = {}): Promise<Record<string, unknown>> {
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.answer(id);
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, 10_000, 'the socket to close');
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** Connects, says hello for `client` and initializes the session; returns the client after `initialized`. */
async function openSocketSession(path: string, client: string): Promise<LineClient> {
  const c = await LineClient.open(path);
  c.send({ mcpmux: 'bridge/1', client });
  expect(await c.line(0)).toEqual({ ok: true, version: SERVER_VERSION });
  c.write(`${INIT}\n`);
  const init = await c.answer(1);
  expect(init.result).toMatchObject({ serverInfo: { name: 'mcpmux' } });
  c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return c;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('the gateway socket and gateway.json', () => {
  let t: TestHome;
  let server: RunningServer;
  const clients: LineClient[] = [];

  beforeAll(async () => {
    t = await createTestHome({ ungranted: ['carol'] });
    server = await startTestServer(t);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('writes gateway.json (0600) with its pid, URL, socket, version, start time and home', () => {
    const file = join(t.home, 'gateway.json');
    expect(mode(file)).toBe(0o600);
    const info = GatewayInfoSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(info).toEqual({
      pid: process.pid,
      url: server.url,
      socket: join(t.home, 'gateway.sock'),
      version: SERVER_VERSION,
      startedAt: expect.any(String),
      home: t.home,
    });
    expect(Date.parse(info.startedAt)).toBeLessThanOrEqual(Date.now());
    expect(server.info).toEqual(info);
  });

  it('listens on <home>/gateway.sock with mode 0600', () => {
    const path = gatewaySocketPath(t.home);
    expect(server.socket).toBe(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(mode(path)).toBe(0o600);
  });

  it('serves a session over the socket: hello, initialize, tools/list and tools/call through a real upstream', async () => {
    const c = await openSocketSession(server.socket, 'alice');
    clients.push(c);
    const list = await c.request(2, 'tools/list');
    const names = ((list.result as { tools: Array<{ name: string }> }).tools ?? []).map((tool) => tool.name);
    expect(names).toContain('alpha_echo');
    const call = await c.request(3, 'tools/call', {
      name: 'alpha_echo',
      arguments: { text: 'over the socket' },
    });
    expect(call.result).toEqual({ content: [{ type: 'text', text: 'over the socket' }] });
    expect(server.gateway.status().sessions).toBeGreaterThan(0);
  });

  it('ends the gateway session when the socket closes', async () => {
    // The sessions of earlier tests end as their sockets close.
    await waitFor(() => server.gateway.status().sessions === 0, 5000, 'no session');
    const c = await openSocketSession(server.socket, 'bob');
    expect(server.gateway.status().sessions).toBe(1);
    c.close();
    await waitFor(() => server.gateway.status().sessions === 0, 5000, 'the session to end');
  });

  it('answers a hello for an unknown client with ok:false NOT_FOUND naming the fix, then closes', async () => {
    const c = await LineClient.open(server.socket);
    clients.push(c);
    c.send({ mcpmux: 'bridge/1', client: 'nobody' });
    const reply = await c.line(0);
    expect(reply).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('mcpmux client add nobody') },
    });
    await c.waitClosed();
  });

  it('answers a garbage, an over-long or another protocol’s hello with an error line, then closes', async () => {
    const cases: Array<[string, RegExp]> = [
      ['GET / HTTP/1.1\r\n', /Not a bridge hello/],
      [`${JSON.stringify({ mcpmux: 'bridge/1' })}\n`, /Not a bridge hello/],
      [`${JSON.stringify({ mcpmux: 'bridge/9', client: 'alice' })}\n`, /speaks bridge\/1 only/],
      [`{"mcpmux":"bridge/1","client":"${'a'.repeat(5000)}"}\n`, /exceeds 4096 bytes/],
      ['x'.repeat(5000), /exceeds 4096 bytes/],
    ];
    for (const [hello, message] of cases) {
      const c = await LineClient.open(server.socket);
      clients.push(c);
      c.write(hello);
      const reply = await c.line(0);
      expect(reply, hello.slice(0, 40)).toEqual({
        ok: false,
        error: { code: 'INVALID_INPUT', message: expect.stringMatching(message) },
      });
      await c.waitClosed();
    }
  });

  it('takes JSON-RPC sent right behind the hello, and answers a bad line with a JSON-RPC error', async () => {
    const c = await LineClient.open(server.socket);
    clients.push(c);
    c.write(`${JSON.stringify({ mcpmux: 'bridge/1', client: 'alice' })}\n${INIT}\n{not json\n`);
    expect(await c.line(0)).toEqual({ ok: true, version: SERVER_VERSION });
    expect((await c.answer(1)).result).toMatchObject({ serverInfo: { name: 'mcpmux' } });
    expect(await c.answer(null as unknown as number)).toMatchObject({ error: { code: -32700 } });
  });

  it('sends tools/list_changed to a socket session when another process grants its client a set', async () => {
    const c = await openSocketSession(server.socket, 'carol');
    clients.push(c);
    expect((await c.request(2, 'tools/list')).result).toEqual({ tools: [] });
    const active = server.gateway.status().activeSpaceId ?? 'personal';
    await run(process.execPath, [STORE_CLI, join(t.home, 'mcpmux.db'), 'grant', 'carol', active, 'all']);
    await waitFor(
      () => c.lines.some((l) => JSON.parse(l).method === 'notifications/tools/list_changed'),
      10_000,
      'tools/list_changed',
    );
    const after = await c.request(3, 'tools/list');
    expect((after.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
  });

  it('refuses to start a second gateway for the same home, naming the running one', async () => {
    const err = await startTestServer(t).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'CONFLICT')).toBe(true);
    expect((err as Error).message).toBe(
      `a gateway is already running for this home (pid ${process.pid}, ${server.url}); use \`mcpmux stop\` or \`mcpmux status\`.`,
    );
    // The running gateway is untouched.
    expect(lstatSync(server.socket).isSocket()).toBe(true);
    expect((await readGatewayInfo(t.home))?.url).toBe(server.url);
  });
});

describe('gateway start and stop', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
  });

  afterAll(() => t?.cleanup());

  it('removes gateway.json and the socket on close', async () => {
    const server = await startTestServer(t);
    expect(existsSync(join(t.home, 'gateway.json'))).toBe(true);
    await server.close();
    expect(existsSync(join(t.home, 'gateway.json'))).toBe(false);
    expect(existsSync(join(t.home, 'gateway.sock'))).toBe(false);
    expect(await readGatewayInfo(t.home)).toBeUndefined();
  });

  it('replaces a socket file left by a killed process', async () => {
    const path = gatewaySocketPath(t.home);
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('up\\n'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(createInterface({ input: holder.stdout as NodeJS.ReadableStream }), 'line');
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(lstatSync(path).isSocket()).toBe(true);
    const server = await startTestServer(t);
    try {
      const c = await openSocketSession(server.socket, 'alice');
      c.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a socket path longer than the platform allows, suggesting a shorter --home', async () => {
    const long = join(t.home, 'x'.repeat(120));
    const err = await startTestServer({ ...t, home: long }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as Error).message).toMatch(/shorter path: `--home DIR`/);
  });

  it('says a port is held by another home’s gateway, or by another program, instead of EADDRINUSE', async () => {
    const other = await createTestHome({ servers: false });
    const first = await startTestServer(other);
    let tcp: TcpServer | undefined;
    try {
      const err = await startTestServer(t, { port: first.port }).catch((e: unknown) => e);
      expect(isMcpmuxError(err, 'CONFLICT')).toBe(true);
      expect((err as Error).message).toBe(
        `a gateway of another mcpmux home is already running at ${first.url} (pid ${process.pid}, home ${resolve(other.home)}); use --port, or stop it with \`mcpmux stop --home ${resolve(other.home)}\`.`,
      );
      expect((err as Error).message).not.toMatch(/EADDRINUSE|\n\s+at /);
      // The failed start left nothing behind: the next one works.
      expect(existsSync(join(t.home, 'gateway.json'))).toBe(false);
      expect(existsSync(join(t.home, 'gateway.sock'))).toBe(false);

      tcp = createTcpServer();
      await new Promise<void>((resolve) => tcp?.listen(0, '127.0.0.1', resolve));
      const port = (tcp.address() as { port: number }).port;
      const err2 = await startTestServer(t, { port }).catch((e: unknown) => e);
      expect((err2 as Error).message).toBe(
        `port ${port} is in use by another program (EADDRINUSE on 127.0.0.1); use --port.`,
      );
    } finally {
      tcp?.close();
      await first.close();
      other.cleanup();
    }
  });
});

describe('session caps across HTTP and the socket', () => {
  let t: TestHome;

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
  });

  afterAll(() => t?.cleanup());

  it('counts socket sessions in the per-client cap of HTTP sessions, and the other way round', async () => {
    const server = await startTestServer(t, { http: { maxSessionsPerClient: 1 } });
    try {
      const c = await openSocketSession(server.socket, 'alice');
      const refused = await openRawSession(server.url, t.keys.alice ?? '');
      expect(refused.status).toBe(429);
      c.close();
      await waitFor(() => server.gateway.status().sessions === 0, 5000, 'the socket session to end');
      expect((await openRawSession(server.url, t.keys.alice ?? '')).status).toBe(200);
      const second = await LineClient.open(server.socket);
      second.send({ mcpmux: 'bridge/1', client: 'alice' });
      expect(await second.line(0)).toEqual({
        ok: false,
        error: {
          code: 'FORBIDDEN',
          message: expect.stringContaining('already has 1 open session, its limit'),
        },
      });
      await second.waitClosed();
      // Another client has room.
      (await openSocketSession(server.socket, 'bob')).close();
    } finally {
      await server.close();
    }
  });
});
