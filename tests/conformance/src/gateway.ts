import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, openHome, startServer } from '@mcpmux/server';

// The built fixture, from `src/` (vitest) and from `dist/` alike.
const FIXTURE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A server under test: its MCP endpoint and how to stop it. */
export interface Target {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the mcpmux gateway (`startServer`, anonymous client granted `all`) in a fresh home with the
 * fixture as its only upstream over stdio, prefixing off.
 *
 * @param options.fixtureArgs - extra arguments after `--stdio`, e.g. `['--legacy-only']` for an
 *   upstream that speaks 2025-11-25 only.
 */
export async function startGatewayWithFixture(options: { fixtureArgs?: string[] } = {}): Promise<Target> {
  if (!existsSync(FIXTURE))
    throw new Error('Build the fixture first: pnpm --filter @mcpmux/conformance-tests build');
  const home = mkdtempSync(join(tmpdir(), 'mcpmux-conformance-gw-'));
  const env = { MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
  const opened = await openHome({ home, env, create: true });
  await opened.store.createSpace({ id: 'conformance' });
  await opened.store.createServer({
    id: 'fixture',
    transport: {
      type: 'stdio',
      command: process.execPath,
      args: [FIXTURE, '--stdio', ...(options.fixtureArgs ?? [])],
    },
  });
  await opened.store.install('conformance', 'fixture', { prefix: false });
  await opened.store.createClient({ id: 'conformance' });
  await opened.store.grant('conformance', 'conformance', 'all');
  await opened.close();
  const server = await startServer({
    home,
    env,
    port: 0,
    anonymousClientId: 'conformance',
    logger: createLogger({ level: 'warn' }),
  });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
