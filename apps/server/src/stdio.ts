import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { McpmuxError } from '@mcpmux/core';
import { createGateway } from '@mcpmux/gateway';
import { openHome } from './home.js';
import { gatewayEnv } from './internal/env.js';
import { DEFAULT_MAX_JSON_DEPTH } from './internal/json-depth.js';
import { StdioLineTransport } from './internal/stdio-transport.js';
import { defaultLogger, type Logger } from './logger.js';
import { SERVER_VERSION } from './version.js';

/** Options of {@link serveStdio}. */
export interface ServeStdioOptions {
  /** The mcpmux home directory (must exist). */
  home: string;
  /** The process environment: `MCPMUX_MASTER_KEY` and `${env:NAME}` values. */
  env: Record<string, string | undefined>;
  /** The client this bridge acts for (the same policy as over HTTP). */
  clientId: string;
  /** Where MCP messages come from (e.g. `process.stdin`). */
  stdin: Readable;
  /** Where MCP messages go (e.g. `process.stdout`); nothing else is ever written there. */
  stdout: Writable;
  /** Logs; never to `stdout`. Default: `defaultLogger` on standard error. */
  logger?: Logger;
  /**
   * Deepest nesting of arrays and objects in one incoming message; a deeper line is answered with
   * JSON-RPC error -32600 before it is parsed. Default 64.
   */
  maxJsonDepth?: number;
  /** Longest incoming line in bytes; a longer one is answered with -32600 and skipped. Default 10 MiB. */
  maxLineBytes?: number;
}

/** The default longest line the stdio bridge reads: 10 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * Serves one client over stdio for apps that only speak stdio: opens the home, starts the gateway
 * (upstream stderr goes to `<home>/logs/<space>/<server>.log`, as with `serve`) and connects a
 * newline-delimited JSON-RPC transport to it for `clientId`. Each incoming line is checked before
 * it is parsed (nesting depth, length); a bad line is answered with a JSON-RPC error and the session
 * goes on. The returned `closed` settles when the input ends or the session closes; by then the
 * gateway (and every upstream child process) and the database are closed.
 *
 * @param options - see {@link ServeStdioOptions}.
 * @throws `NOT_FOUND` when the home or the client does not exist; `VAULT_LOCKED` for a wrong master key.
 * @example
 * ```ts
 * const { closed } = await serveStdio({
 *   home: '/home/me/.mcpmux', env: process.env, clientId: 'claude-desktop',
 *   stdin: process.stdin, stdout: process.stdout,
 * });
 * await closed;
 * ```
 */
export async function serveStdio(options: ServeStdioOptions): Promise<{ closed: Promise<void> }> {
  const logger = options.logger ?? defaultLogger(options.env, process.stderr.isTTY === true);
  const opened = await openHome({ home: options.home, env: options.env, logger });
  try {
    if ((await opened.store.getClient(options.clientId)) === undefined) {
      throw new McpmuxError(
        'NOT_FOUND',
        `Client "${options.clientId}" does not exist. Run \`mcpmux client add ${options.clientId}\`.`,
        { data: { entity: 'client', id: options.clientId } },
      );
    }
  } catch (err) {
    await opened.close();
    throw err;
  }
  const gateway = createGateway({
    store: opened.store,
    vault: opened.vault,
    env: gatewayEnv(options.env),
    logger: logger.child({ component: 'gateway' }),
    logDir: join(opened.home, 'logs'),
    serverInfo: { name: 'mcpmux', version: SERVER_VERSION },
  });
  const transport = new StdioLineTransport(options.stdin, options.stdout, {
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  });
  let resolveClosed: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  try {
    await gateway.start();
    transport.onclose = () => resolveClosed();
    await gateway.connect(transport, { clientId: options.clientId });
  } catch (err) {
    await gateway.close();
    await opened.close();
    throw err;
  }
  const onEnd = (): void => resolveClosed();
  options.stdin.once('end', onEnd);
  options.stdin.once('close', onEnd);
  const closed = ended.then(async () => {
    options.stdin.off('end', onEnd);
    options.stdin.off('close', onEnd);
    await gateway.close();
    await opened.close();
  });
  return { closed };
}
