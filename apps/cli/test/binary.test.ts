// Real subprocess runs of the BUILT binary (`pnpm --filter mcpmux build` first).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryServerArgs } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
let dir: string;
let env: Record<string, string>;

function mcpmux(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env,
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Waits (bounded) until `check` returns a value. */
async function until<T>(check: () => T | undefined, what: string, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpmux-bin-'));
  env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    MCPMUX_HOME: join(dir, 'home'),
    MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built binary', () => {
  it('keeps the shebang', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs init, client add (key on the last line), server add with discovery and tools --json', () => {
    const init = mcpmux(['init']);
    expect(init.code).toBe(0);
    const add = mcpmux(['client', 'add', 'agent']);
    expect(add.code).toBe(0);
    key = add.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^mcpmux_[A-Za-z0-9_-]{43}$/);
    const server = mcpmux(memoryServerArgs(dir));
    expect(server.stderr).toBe('');
    expect(server.stdout).toMatch(/Connected: \d+ tools/);
    expect(mcpmux(['client', 'grant', 'agent', 'server-all:memory']).code).toBe(0);
    const tools = mcpmux(['tools', '--client', 'agent', '--json']);
    expect(tools.code).toBe(0);
    const rows = JSON.parse(tools.stdout) as {
      kind: string;
      server: string;
      name: string;
      exposedName: string;
    }[];
    expect(rows).toContainEqual({
      kind: 'tool',
      server: 'memory',
      name: 'read_graph',
      exposedName: 'memory_read_graph',
    });
    const err = mcpmux(['space', 'use', 'nope']);
    expect(err.code).toBe(1);
    expect(err.stderr).toBe(
      'error: Space "nope" does not exist. Spaces: personal (active). Create it with `mcpmux space create nope`.\n',
    );
  }, 60_000);

  it('serves /health and lists tools to a real SDK client over Streamable HTTP, then stops on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errOut = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      errOut += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await until(
        () => /listening on (http:\S+)/.exec(out)?.[1],
        `the listening line (stderr: ${errOut})`,
      );
      const health = await fetch(url.replace(/\/mcp$/, '/health'));
      expect(health.status).toBe(200);
      const client = new Client({ name: 'cli-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        }),
      );
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('memory_read_graph');
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it("bridges one client over stdio to the home's gateway, and with --standalone from its own", async () => {
    expect(mcpmux(['start', '--port', '0']).code).toBe(0);
    try {
      for (const extra of [[], ['--standalone']]) {
        const client = new Client({ name: 'cli-stdio-test', version: '1.0.0' });
        const transport = new StdioClientTransport({
          command: process.execPath,
          args: [BIN, 'stdio', '--client', 'agent', ...extra],
          env,
          stderr: 'pipe',
        });
        await client.connect(transport);
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toContain('memory_read_graph');
        await client.close();
      }
    } finally {
      expect(mcpmux(['stop']).code).toBe(0);
    }
  }, 60_000);
});
