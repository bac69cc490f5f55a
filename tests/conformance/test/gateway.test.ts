import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, openHome, startServer } from '@mcpmux/server';
import { conformanceSuite } from './suite.js';

// (b) The official suite against the mcpmux gateway with the fixture as its only upstream (stdio,
// prefixing off), served by `startServer` with an anonymous client granted `all`.
const FIXTURE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

await conformanceSuite(
  'conformance suite against the gateway with the fixture behind it',
  'gateway',
  async () => {
    if (!existsSync(FIXTURE))
      throw new Error('Build the fixture first: pnpm --filter @mcpmux/conformance-tests build');
    const home = mkdtempSync(join(tmpdir(), 'mcpmux-conformance-gw-'));
    const env = { MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
    const opened = await openHome({ home, env, create: true });
    await opened.store.createSpace({ id: 'conformance' });
    await opened.store.createServer({
      id: 'fixture',
      transport: { type: 'stdio', command: process.execPath, args: [FIXTURE, '--stdio'] },
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
  },
);
