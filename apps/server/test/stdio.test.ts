import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMcpmuxError } from '@mcpmux/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHome } from '../src/home.js';
import { createLogger } from '../src/logger.js';
import { serveStdio } from '../src/stdio.js';
import { ECHO_SERVER, testEnv, waitFor } from './helpers.js';

const BRIDGE = fileURLToPath(new URL('./fixtures/stdio-bridge.mjs', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the stdio bridge', () => {
  let dir: string;
  let home: string;
  let env: Record<string, string>;
  let pidFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpmux-stdio-test-'));
    home = join(dir, 'home');
    pidFile = join(dir, 'upstream.pid');
    env = testEnv();
    const opened = await openHome({ home, env, create: true });
    await opened.store.createSpace({ id: 'personal' });
    await opened.store.createServer({
      id: 'alpha',
      transport: {
        type: 'stdio',
        command: process.execPath,
        args: [ECHO_SERVER, 'alpha'],
        env: { ECHO_PID_FILE: pidFile },
      },
    });
    await opened.store.install('personal', 'alpha');
    await opened.store.createClient({ id: 'desktop' });
    await opened.store.grant('desktop', 'personal', 'all');
    await opened.store.createClient({ id: 'nobody' });
    await opened.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a granted client over stdio and leaves no process behind when the input ends', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BRIDGE, home, 'desktop'],
      env: { ...env, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(transport);
    const bridgePid = transport.pid ?? 0;
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha_echo',
      'alpha_inspect',
      'alpha_progress',
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
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BRIDGE, home, 'nobody'],
      env: { ...env, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'nobody', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: 'alpha_echo', arguments: { text: 'x' } })).rejects.toThrow();
    await client.close();
  });

  it('refuses an unknown client with NOT_FOUND before reading any input', async () => {
    const err = await serveStdio({
      home,
      env,
      clientId: 'ghost',
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      logger: createLogger({ level: 'silent' }),
    }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'NOT_FOUND')).toBe(true);
  });
});
