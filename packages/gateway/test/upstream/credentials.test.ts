import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import type { UpstreamServerConfig } from '../../src/internal/upstream/types.js';
import { fixtureServer, textOf, waitFor } from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const SECRET_REF = '${secret:TOKEN}';

const TOKENS: Record<string, string> = { work: 'work-secret-7f3a9c', home: 'home-secret-1b2d4e' };

/** Resolves `${secret:TOKEN}` in env values with the Space's token, like the vault does. */
async function resolveConfig(spaceId: string, server: UpstreamServerConfig) {
  const token = TOKENS[spaceId] ?? '';
  if (server.transport.type !== 'stdio') return { config: server, secretValues: [] };
  const env = Object.fromEntries(
    Object.entries(server.transport.env ?? {}).map(([k, v]) => [k, v.replaceAll(SECRET_REF, token)]),
  );
  return { config: { ...server, transport: { ...server.transport, env } }, secretValues: [token] };
}

const call = (name: string, args?: Record<string, unknown>) => ({
  method: 'tools/call',
  params: args === undefined ? { name } : { name, arguments: args },
});

describe('credentials and environment', { timeout: 30_000 }, () => {
  it("gives each Space's upstream only its own credential", async () => {
    pool = createUpstreamPool({ resolveConfig });
    const server = fixtureServer('echo', 'env-echo.mjs', {
      API_TOKEN: SECRET_REF,
      FIXTURE_NAME: 'echo',
    });
    const work = await pool.acquire('work', server);
    const home = await pool.acquire('home', server);
    expect(work).not.toBe(home);
    expect(textOf(await work.request(call('echo_env', { name: 'API_TOKEN' })))).toBe(TOKENS.work);
    expect(textOf(await home.request(call('echo_env', { name: 'API_TOKEN' })))).toBe(TOKENS.home);
    expect(textOf(await home.request(call('whoami')))).toBe('echo');
    expect(work.key).toMatch(/^work\/echo\/[0-9a-f]{64}$/);
    expect(work.key).not.toContain(TOKENS.work);
  });

  it('passes only the allow-listed base environment plus the server env', async () => {
    pool = createUpstreamPool({
      resolveConfig,
      baseEnv: {
        PATH: process.env.PATH,
        HOME: '/home/fixture',
        GATEWAY_ONLY_SECRET: 'must-not-leak',
        LANG: 'C.UTF-8',
      },
    });
    const upstream = await pool.acquire('work', fixtureServer('echo', 'env-echo.mjs', { EXTRA: 'declared' }));
    const env = async (name: string) => textOf(await upstream.request(call('echo_env', { name })));
    expect(await env('HOME')).toBe('/home/fixture');
    expect(await env('LANG')).toBe('C.UTF-8');
    expect(await env('EXTRA')).toBe('declared');
    expect(await env('GATEWAY_ONLY_SECRET')).toBe('');
  });

  it('writes stderr to the per-server log with secret values redacted', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'mcpmux-logs-'));
    pool = createUpstreamPool({ resolveConfig, logDir });
    const server = fixtureServer('echo', 'env-echo.mjs', {
      API_TOKEN: SECRET_REF,
      FIXTURE_NAME: `prefix-${SECRET_REF}-suffix`,
    });
    const upstream = await pool.acquire('work', server);
    await upstream.request(call('stderr_env', { name: 'API_TOKEN' }));
    const file = join(logDir, 'work', 'echo.log');
    const log = await waitFor(
      () => {
        try {
          const text = readFileSync(file, 'utf8');
          return text.includes('API_TOKEN=') ? text : undefined;
        } catch {
          return undefined;
        }
      },
      5000,
      'the log line',
    );
    expect(log).toContain('env-echo started as prefix-[REDACTED]-suffix');
    expect(log).toContain('API_TOKEN=[REDACTED]');
    expect(log).not.toContain(TOKENS.work);
  });
});
