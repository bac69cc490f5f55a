import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMcpmuxError } from '@mcpmux/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { serveStdio } from '../src/stdio.js';
import { alive, createTestHome, INIT, type TestHome, waitFor } from './helpers.js';

const BRIDGE = fileURLToPath(new URL('./fixtures/stdio-bridge.mjs', import.meta.url));

describe('the stdio bridge', () => {
  let t: TestHome;
  let pidFile: string;

  beforeAll(async () => {
    pidFile = join(tmpdir(), `mcpmux-stdio-pid-${randomUUID()}`);
    t = await createTestHome({ ungranted: ['nobody'], pidFile });
  });

  afterAll(() => {
    t?.cleanup();
    rmSync(pidFile, { force: true });
  });

  async function bridge(clientId: string): Promise<{ client: Client; pid: number }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BRIDGE, t.home, clientId],
      env: { ...t.env, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: clientId, version: '1.0.0' });
    await client.connect(transport);
    return { client, pid: transport.pid ?? 0 };
  }

  it('serves a granted client over stdio and leaves no process behind when the input ends', async () => {
    const { client, pid: bridgePid } = await bridge('alice');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha_echo',
      'alpha_inspect',
      'alpha_progress',
      'alpha_sleep',
      'alpha_whoami',
    ]);
    const result = await client.callTool({ name: 'alpha_echo', arguments: { text: 'over stdio' } });
    expect(result.content).toEqual([{ type: 'text', text: 'over stdio' }]);
    await waitFor(() => existsSync(pidFile), 5000, 'the upstream pid file');
    const upstreamPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(upstreamPid)).toBe(true);
    await client.close();
    await waitFor(() => !alive(bridgePid), 10_000, 'the bridge to exit');
    await waitFor(() => !alive(upstreamPid), 10_000, 'the upstream to exit');
  });

  it('applies the same policy: a client without grants sees no tools', async () => {
    const { client } = await bridge('nobody');
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: 'alpha_echo', arguments: { text: 'x' } })).rejects.toThrow();
    await client.close();
  });

  it('keeps an upstream’s stderr in <home>/logs/<space>/<server>.log, as serve does', async () => {
    const log = join(t.home, 'logs', 'personal', 'alpha.log');
    const { client } = await bridge('alice');
    await client.callTool({ name: 'alpha_echo', arguments: { text: 'x' } });
    await waitFor(
      () => existsSync(log) && readFileSync(log, 'utf8').includes('echo server alpha starting'),
      10_000,
      'the upstream stderr line in the log',
    );
    await client.close();
  });

  it('answers a line nested deeper than 64 levels with -32600 before parsing it, and keeps serving', async () => {
    const child = spawn(process.execPath, [BRIDGE, t.home, 'alice'], {
      env: { ...t.env, PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await replies.next()).value));
    const send = (line: string) => child.stdin.write(`${line}\n`);
    try {
      send(INIT);
      expect((await next()).id).toBe(1);
      send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
      send(
        `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"alpha_echo","arguments":{"deep":${deep}}}}`,
      );
      expect(await next()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: expect.stringContaining('JSON nested deeper than 64 levels') },
      });
      send('{"jsonrpc":"2.0","id":3,"method":"ping"}');
      expect(await next()).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  it('refuses an unknown client with NOT_FOUND before reading any input', async () => {
    const err = await serveStdio({
      home: t.home,
      env: t.env,
      clientId: 'ghost',
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      logger: createLogger({ level: 'silent' }),
    }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'NOT_FOUND')).toBe(true);
  });
});
