import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { createGateway, type Gateway } from '@mcpmux/gateway';
import { readHomeConfig } from './config.js';
import { openHome } from './home.js';
import {
  createMcpHttpServer,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type McpHttpServer,
  type McpHttpServerOptions,
} from './http-server.js';
import { gatewayEnv } from './internal/env.js';
import { defaultLogger, type Logger } from './logger.js';
import { SERVER_VERSION } from './version.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** The mcpmux home directory (must exist: `mcpmux init`). */
  home: string;
  /** The process environment: `MCPMUX_MASTER_KEY` and the values of `${env:NAME}` references. */
  env: Record<string, string | undefined>;
  /** Bind address. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 45818. */
  port?: number;
  /** Requests without a key act as this client (loopback binds only). Default none. */
  anonymousClientId?: string;
  /** Required for a non-loopback `host`; a warning is logged. Default `false`. */
  allowNonLoopback?: boolean;
  /** Extra allowed Origins besides loopback ones. Default none. */
  allowedOrigins?: string[];
  /** Where logs go. Default: `defaultLogger` (level `MCPMUX_LOG_LEVEL` or `info`; pretty on a terminal, else JSON; standard error). */
  logger?: Logger;
  /**
   * HTTP limits and session policy (body limit, JSON depth, idle reaping, session caps, key-check
   * cache). The session caps and idle time default to the `serve` settings of `<home>/config.json`,
   * then to the HTTP server's defaults; values given here win.
   */
  http?: Pick<
    McpHttpServerOptions,
    | 'maxBodyBytes'
    | 'maxJsonDepth'
    | 'sessionIdleMs'
    | 'reapIntervalMs'
    | 'maxSessionsPerClient'
    | 'maxSessions'
    | 'authCacheMs'
    | 'drainMs'
    | 'now'
  >;
  /** Per-call upstream timeout in ms. Default: the gateway's (60 s). */
  callTimeoutMs?: number;
  /** How often the store is polled for other processes' writes, in ms. Default: the store's (50 ms). */
  watchIntervalMs?: number;
}

/** A running gateway server. */
export interface RunningServer {
  /** `http://HOST:PORT/mcp`. */
  url: string;
  port: number;
  /** The gateway behind the endpoint (status, sessions). */
  gateway: Gateway;
  /** The HTTP layer (session stats, reaping). */
  http: McpHttpServer;
  /** Drains: stops accepting, closes every session, the gateway (no child process left) and the database. */
  close(): Promise<void>;
}

/**
 * Starts the mcpmux gateway server: opens the home (store + vault), builds and starts the gateway
 * (it follows the store's change signal, so CLI changes reach clients live), and serves Streamable
 * HTTP at `http://127.0.0.1:45818/mcp` plus `GET /health`. The caller wires SIGINT/SIGTERM to
 * `close()`.
 *
 * @param options - see {@link StartServerOptions}; `home` and `env` are required.
 * @throws `NOT_FOUND` when the home does not exist; `VAULT_LOCKED` when the master key is wrong;
 *   `FORBIDDEN` for a non-loopback bind without `allowNonLoopback` or an anonymous client on one;
 *   `INVALID_INPUT` when `<home>/config.json` is not valid (the message names the file and field).
 * @example
 * ```ts
 * const server = await startServer({ home: '/home/me/.mcpmux', env: process.env, port: 0 });
 * console.log(server.url);
 * process.once('SIGTERM', () => void server.close());
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? defaultLogger(options.env, process.stderr.isTTY === true);
  const opened = await openHome({ home: options.home, env: options.env, logger });
  let settings: StartServerOptions['http'];
  try {
    const serve = (await readHomeConfig(opened.home)).serve ?? {};
    settings = {
      ...(serve.maxSessionsPerClient === undefined
        ? {}
        : { maxSessionsPerClient: serve.maxSessionsPerClient }),
      ...(serve.maxSessions === undefined ? {} : { maxSessions: serve.maxSessions }),
      ...(serve.sessionIdleTimeout === undefined ? {} : { sessionIdleMs: serve.sessionIdleTimeout * 1000 }),
      ...options.http,
    };
  } catch (err) {
    await opened.close();
    throw err;
  }
  let gateway: Gateway | undefined;
  let http: McpHttpServer | undefined;
  try {
    const anonymous = options.anonymousClientId;
    if (anonymous !== undefined && (await opened.store.getClient(anonymous)) === undefined) {
      throw new McpmuxError(
        'NOT_FOUND',
        `Client "${anonymous}" does not exist. Run \`mcpmux client add ${anonymous}\`.`,
        { data: { entity: 'client', id: anonymous } },
      );
    }
    gateway = createGateway({
      store: opened.store,
      vault: opened.vault,
      env: gatewayEnv(options.env),
      logger: logger.child({ component: 'gateway' }),
      logDir: join(opened.home, 'logs'),
      serverInfo: { name: 'mcpmux', version: SERVER_VERSION },
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
      ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
    });
    await gateway.start();
    const g = gateway;
    http = createMcpHttpServer({
      ...settings,
      gateway: g,
      authenticate: (key) => opened.store.authenticate(key),
      health: () => {
        const status = g.status();
        return {
          version: SERVER_VERSION,
          activeSpace: status.activeSpaceId ?? null,
          upstreams: status.upstreams.map((u) => ({
            space: u.spaceId,
            server: u.serverId,
            state: u.state,
            restarts: u.restarts,
            tools: u.tools,
            prompts: u.prompts,
            resources: u.resources,
          })),
        };
      },
      host: options.host ?? DEFAULT_HOST,
      port: options.port ?? DEFAULT_PORT,
      ...(anonymous === undefined ? {} : { anonymousClientId: anonymous }),
      ...(options.allowNonLoopback === undefined ? {} : { allowNonLoopback: options.allowNonLoopback }),
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      logger: logger.child({ component: 'http' }),
    });
    const h = http;
    const unwatch = opened.store.watch((change) => {
      if (change.kinds.has('client')) h.invalidateAuth();
    });
    const { url, port } = await http.listen();
    logger.info({ url, version: SERVER_VERSION, anonymous: anonymous ?? null }, 'mcpmux gateway listening');
    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      gateway: g,
      http: h,
      close: () => {
        closing ??= (async () => {
          unwatch();
          await h.close();
          await g.close();
          await opened.close();
          logger.info({}, 'mcpmux gateway stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await http?.close();
    await gateway?.close();
    await opened.close();
    throw err;
  }
}
