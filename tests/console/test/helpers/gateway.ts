import { createConnection } from 'node:net';
import { consoleAssetsDir } from '@mcpmux/console';
import { createLogger, type RunningServer, startServer } from '@mcpmux/server';
import type { TempHome } from '../../../e2e/test/helpers/home.js';
import { initHome } from '../../../e2e/test/helpers/setup.js';

/** A real gateway (in this process) on a fresh temp home, serving the console and the admin API. */
export interface ConsoleGateway {
  home: TempHome;
  server: RunningServer;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  origin: string;
  /** Stops the gateway (and its upstream children) and removes the home. */
  close(): Promise<void>;
}

/**
 * `mcpmux init` in a temp home (Space `personal`, active), then `startServer` on a free loopback
 * port with logging off. The CLI (`apps/cli/dist`) and `@mcpmux/server` must be built.
 *
 * @example
 * ```ts
 * const gateway = await startConsoleGateway();
 * await page.goto(await mintLoginLink(gateway.server.socket));
 * ```
 */
export async function startConsoleGateway(): Promise<ConsoleGateway> {
  const home = await initHome();
  const server = await startServer({
    home: home.dir,
    env: home.env,
    port: 0,
    logger: createLogger({ level: 'silent' }),
    consoleAssetsDir,
  });
  const origin = new URL(server.url).origin;
  return {
    home,
    server,
    origin,
    async close() {
      await server.close();
      home.remove();
    },
  };
}

/**
 * Asks the running gateway for a single-use console login link over its owner-only socket, as
 * `mcpmux ui` does: the line `{"mcpmux":"admin-login/1"}` answered by `{"url","expiresAt"}`.
 *
 * @throws Error when the gateway answers anything else or closes first.
 */
export function mintLoginLink(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffer = '';
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ mcpmux: 'admin-login/1' })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.end();
      try {
        const reply = JSON.parse(buffer.slice(0, newline)) as { url?: unknown };
        if (typeof reply.url !== 'string') throw new Error(`no url in ${buffer.slice(0, newline)}`);
        resolve(reply.url);
      } catch (error) {
        reject(new Error(`unexpected admin-login reply: ${(error as Error).message}`));
      }
    });
    socket.on('error', fail);
    socket.on('close', () => reject(new Error('the gateway closed the socket without a login link')));
  });
}
