import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import {
  EVERYTHING,
  FIXTURES,
  freePort,
  listeningAddresses,
  plainResolver,
  textOf,
  waitFor,
} from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
});

/** Everything the HTTP server processes wrote to stdout and stderr. */
let output = '';

/** Starts a server process and resolves with its port once its stderr says it listens. */
async function startHttpServer(args: string[], port: number): Promise<number> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    output += chunk.toString('utf8');
  });
  const match = await waitFor(
    () => /(?:listening on|running on) (?:port )?(\d+)/i.exec(stderr),
    15_000,
    'the server to listen',
  );
  return Number(match?.[1]);
}

describe('HTTP upstreams', { timeout: 30_000 }, () => {
  it('writes the Mcp-Param-* headers a 2026-07-28 server requires on the tool calls it forwards', async () => {
    const port = await startHttpServer([join(FIXTURES, 'param-headers.mjs')], await freePort());
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', {
      serverId: 'param-headers',
      defaultEnabled: false,
      transport: { type: 'http', url: `http://127.0.0.1:${port}/mcp` },
    });
    expect(pool.status()[0]?.protocolVersion).toBe('2026-07-28');
    const result = await upstream.request({
      method: 'tools/call',
      params: { name: 'route', arguments: { region: 'eu-west', text: 'hi' } },
    });
    expect(textOf(result)).toBe('eu-west:hi');
    // A value a header cannot carry as is travels Base64-encoded and still matches the body.
    const unicode = await upstream.request({
      method: 'tools/call',
      params: { name: 'route', arguments: { region: 'zürich ', text: 'hi' } },
    });
    expect(textOf(unicode)).toBe('zürich :hi');
  });

  it('connects to server-everything over Streamable HTTP bound to loopback and calls a tool', async () => {
    const port = await startHttpServer(
      ['--import', join(FIXTURES, 'loopback-listen.mjs'), EVERYTHING, 'streamableHttp'],
      await freePort(),
    );
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', {
      serverId: 'everything-http',
      defaultEnabled: false,
      transport: { type: 'http', url: `http://127.0.0.1:${port}/mcp` },
    });
    expect(upstream.catalog?.tools.map((t) => t.name)).toContain('echo');
    expect(upstream.catalog?.resourceTemplates.length).toBeGreaterThan(0);
    const result = await upstream.request({
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'over http' } },
    });
    expect(textOf(result)).toContain('over http');
    expect(pool.status()[0]?.pid).toBeUndefined();
    // The preload kept server-everything on loopback (127.0.0.1 is 0100007F in /proc/net/tcp).
    if (process.platform === 'linux') expect(listeningAddresses(port)).toEqual(['0100007F']);
    // Closing ends the HTTP session on the server (DELETE) rather than leaving it to expire.
    await pool.close();
    await waitFor(() => output.includes('Received session termination request'), 5000, 'the DELETE');
  });

  it('connects to server-everything over legacy SSE and calls a tool', async () => {
    const port = await startHttpServer(
      ['--import', join(FIXTURES, 'loopback-listen.mjs'), EVERYTHING, 'sse'],
      await freePort(),
    );
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', {
      serverId: 'everything-sse',
      defaultEnabled: false,
      transport: { type: 'sse', url: `http://127.0.0.1:${port}/sse` },
    });
    expect(upstream.catalog?.tools.map((t) => t.name)).toContain('echo');
    const result = await upstream.request({
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'over sse' } },
    });
    expect(textOf(result)).toContain('over sse');
  });

  it('sends the configured headers and only those to a Streamable HTTP upstream', async () => {
    const port = await startHttpServer([join(FIXTURES, 'http-headers.mjs')], 0);
    pool = createUpstreamPool({ resolveConfig: plainResolver(['resolved-api-key']) });
    const upstream = await pool.acquire('work', {
      serverId: 'headers',
      defaultEnabled: false,
      transport: {
        type: 'http',
        url: `http://127.0.0.1:${port}/mcp`,
        headers: { Authorization: 'Bearer resolved-api-key', 'X-Team': 'blue' },
      },
    });
    const headers = JSON.parse(
      textOf(await upstream.request({ method: 'tools/call', params: { name: 'headers' } })),
    );
    expect(headers.authorization).toBe('Bearer resolved-api-key');
    expect(headers['x-team']).toBe('blue');
    expect(Object.keys(headers).filter((h) => h.startsWith('x-') && h !== 'x-team')).toEqual([]);
  });

  it('rejects a call with UPSTREAM_UNAVAILABLE when the HTTP upstream has gone away', async () => {
    const port = await startHttpServer([join(FIXTURES, 'http-headers.mjs')], 0);
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const upstream = await pool.acquire('work', {
      serverId: 'headers',
      defaultEnabled: false,
      transport: { type: 'http', url: `http://127.0.0.1:${port}/mcp` },
    });
    const child = children[0] as ChildProcess;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    const error = (await upstream
      .request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } })
      .catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toMatch(/^Server "headers" is unavailable \(ready\): connection failed/);
  });
});
