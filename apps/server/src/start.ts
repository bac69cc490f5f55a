import { lstat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { consoleAssetsDir as builtConsole } from '@mcpmux/console';
import { McpmuxError } from '@mcpmux/core';
import { createGateway, type Gateway, type GatewayObserver } from '@mcpmux/gateway';
import { createActivityCounter } from './admin/activity.js';
import { type AdminApi, createAdminApi } from './admin/admin-api.js';
import type { AdminAuthOptions } from './admin/auth.js';
import { createUpstreamSignIns } from './admin/sign-ins.js';
import { createCallLog } from './call-log.js';
import { readHomeConfig } from './config.js';
import {
  type GatewayInfo,
  gatewaySocketPath,
  MAX_SOCKET_PATH_BYTES,
  probeGatewaySocket,
  readGatewayInfo,
  removeGatewayInfo,
  writeGatewayInfo,
} from './gateway-info.js';
import { openHome } from './home.js';
import {
  createMcpHttpServer,
  DEFAULT_HOST,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_CLIENT,
  DEFAULT_PORT,
  HEALTH_PATH,
  type McpHttpServer,
  type McpHttpServerOptions,
} from './http-server.js';
import { gatewayEnv } from './internal/env.js';
import { DEFAULT_MAX_JSON_DEPTH } from './internal/json-depth.js';
import { combineObservers } from './internal/observers.js';
import { findPortHolder } from './internal/port-holder.js';
import { createSocketServer, type SocketServer } from './internal/socket-server.js';
import { defaultLogger, type Logger } from './logger.js';
import { createGatewayMetrics, createSessionTally } from './metrics.js';
import { createOAuthServer, type OAuthServer, type OAuthServerOptions } from './oauth/oauth-server.js';
import { DEFAULT_MAX_LINE_BYTES } from './stdio.js';
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
  /**
   * The URL clients reach the gateway at behind a load balancer or TLS proxy
   * (`https://mcp.example.com`): allowed Host and Origin, the OAuth issuer and resource, the console's
   * MCP URL; a non-loopback bind then needs no `allowNonLoopback` (docs/team.md). Default none.
   */
  publicUrl?: string;
  /**
   * Team mode: the PostgreSQL database (`postgres://...`) instead of `<home>/mcpmux.db`. Default:
   * `MCPMUX_DATABASE_URL` from `env`, else the home's SQLite file. See `openHome`.
   */
  database?: string;
  /** Team mode: the master key file. Default: `MCPMUX_MASTER_KEY_FILE` from `env`. */
  masterKeyFile?: string;
  /**
   * This replica's id (`[a-z0-9]{1,16}`) when several gateways share one database: the prefix of
   * the session ids it issues, which the load balancer routes on, and the `Mcpmux-Replica` header.
   * Default none.
   */
  replicaId?: string;
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
  /** Serve Prometheus metrics at `GET /metrics` (loopback peers on a loopback bind). Default `true`. */
  metrics?: boolean;
  /**
   * The console's built assets, served at `/`. Default: `@mcpmux/console`'s `consoleAssetsDir`;
   * `false`: none (`/` then says the console is not built; the admin API works either way).
   */
  consoleAssetsDir?: string | false;
  /** Admin login tokens and sessions: clock and lifetimes (5 min, 12 h); the events keep-alive (15 s). */
  admin?: AdminAuthOptions & { keepAliveMs?: number };
  /** OAuth for apps signing in to `/mcp`: rate limit and (tests) loopback metadata documents. Default on. */
  oauth?: Pick<OAuthServerOptions, 'cimd' | 'rateLimitPerMinute' | 'now'>;
}

/** A running gateway server. */
export interface RunningServer {
  /** `http://HOST:PORT/mcp`. */
  url: string;
  port: number;
  /** The Unix socket local bridges connect to, `<home>/gateway.sock`. */
  socket: string;
  /** What this gateway wrote to `<home>/gateway.json`. */
  info: GatewayInfo;
  /** The gateway behind the endpoint (status, sessions). */
  gateway: Gateway;
  /** The HTTP layer (session stats, reaping). */
  http: McpHttpServer;
  /** The admin API and console (`/`, `/login`, `/api/v1`). */
  admin: AdminApi;
  /** The OAuth authorization server of `/mcp` and its pending consent requests. */
  oauth: OAuthServer;
  /** A single-use admin login link (what `mcpmux ui` gets over the socket), valid for 5 minutes. */
  adminLoginLink(): { url: string; expiresAt: string };
  /**
   * Drains: removes `<home>/gateway.json` (when it is still this process's), stops accepting,
   * closes every session (HTTP and socket), the gateway (no child process left), the database, and
   * removes the socket file. Idempotent.
   */
  close(): Promise<void>;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The "already running" error, naming the other gateway when its `gateway.json` is readable. */
async function alreadyRunning(home: string): Promise<McpmuxError> {
  const info = await readGatewayInfo(home);
  const which = info === undefined ? 'it is still starting' : `pid ${info.pid}, ${info.url}`;
  return new McpmuxError(
    'CONFLICT',
    `a gateway is already running for this home (${which}); use \`mcpmux stop\` or \`mcpmux status\`.`,
    {
      data: { entity: 'gateway', id: home, ...(info === undefined ? {} : { pid: info.pid, url: info.url }) },
    },
  );
}

/**
 * Makes the socket path free to listen on: fails when a live gateway answers there, removes a
 * socket file nothing listens on (left by a killed gateway).
 */
async function claimSocketPath(home: string, path: string): Promise<void> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `The gateway's socket path ${path} is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket path may have here. ` +
        'Use a home with a shorter path: `--home DIR` or MCPMUX_HOME.',
      { data: { field: 'home', path } },
    );
  }
  let before: Awaited<ReturnType<typeof lstat>>;
  try {
    before = await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!before.isSocket()) {
    throw new McpmuxError(
      'CONFLICT',
      `${path} exists and is not a socket. Remove it, then start the gateway again.`,
      { data: { path } },
    );
  }
  const probe = await probeGatewaySocket(path);
  if (probe === 'live') throw await alreadyRunning(home);
  if (probe === 'absent') return;
  // Stale: removed only if it is still the same file (another gateway may have just replaced it).
  const after = await lstat(path).catch(() => undefined);
  if (after !== undefined && after.ino === before.ino && after.dev === before.dev) {
    await unlink(path).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err;
    });
  }
}

/** True when an mcpmux gateway answers `GET /health` at this base URL (within 1 s). */
async function isMcpmuxAt(url: string): Promise<boolean> {
  try {
    const res = await fetch(url.replace(/\/mcp$/, HEALTH_PATH), { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: unknown; version?: unknown };
    return body.status === 'ok' && typeof body.version === 'string';
  } catch {
    return false;
  }
}

/** The error for a TCP port already in use, saying who holds it when that can be known. */
async function portInUse(home: string, host: string, port: number, cause: unknown): Promise<McpmuxError> {
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/mcp`;
  const info = await readGatewayInfo(home);
  const data = { field: 'port', port };
  if (info !== undefined && info.pid !== process.pid && new URL(info.url).port === String(port)) {
    return new McpmuxError(
      'CONFLICT',
      `a gateway is already running at ${info.url} (pid ${info.pid}); use --port or \`mcpmux stop\`.`,
      { data: { ...data, pid: info.pid, url: info.url }, cause },
    );
  }
  if (await isMcpmuxAt(url)) {
    // Another home's gateway: name its process and, when /proc says, its home (never this one's).
    const holder = await findPortHolder(port).catch(() => undefined);
    const own = gatewaySocketPath(home);
    const homes = (holder?.gatewayHomes ?? []).filter((h) => gatewaySocketPath(h) !== own);
    const other = homes.length === 1 ? homes[0] : undefined;
    const who =
      holder === undefined ? '' : ` (pid ${holder.pid}${other === undefined ? '' : `, home ${other}`})`;
    return new McpmuxError(
      'CONFLICT',
      `a gateway of another mcpmux home is already running at ${url}${who}; use --port, or stop it with \`mcpmux stop --home ${other ?? 'THAT_HOME'}\`.`,
      {
        data: {
          ...data,
          url,
          ...(holder === undefined ? {} : { pid: holder.pid }),
          ...(other === undefined ? {} : { home: other }),
        },
        cause,
      },
    );
  }
  return new McpmuxError(
    'CONFLICT',
    `port ${port} is in use by another program (EADDRINUSE on ${shown}); use --port.`,
    { data, cause },
  );
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
  const home = resolve(options.home);
  const socketPath = gatewaySocketPath(home);
  // Before the vault is opened: a second gateway for the same home fails fast.
  await claimSocketPath(home, socketPath);
  const opened = await openHome({
    home,
    env: options.env,
    logger,
    ...(options.database === undefined ? {} : { database: options.database }),
    ...(options.masterKeyFile === undefined ? {} : { masterKeyFile: options.masterKeyFile }),
  });
  let settings: StartServerOptions['http'];
  let host: string;
  let requestedPort: number;
  try {
    const serve = (await readHomeConfig(opened.home)).serve ?? {};
    host = options.host ?? serve.host ?? DEFAULT_HOST;
    requestedPort = options.port ?? serve.port ?? DEFAULT_PORT;
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
  let sock: SocketServer | undefined;
  try {
    const anonymous = options.anonymousClientId;
    if (anonymous !== undefined && (await opened.store.getClient(anonymous)) === undefined) {
      throw new McpmuxError(
        'NOT_FOUND',
        `Client "${anonymous}" does not exist. Run \`mcpmux client add ${anonymous}\`.`,
        { data: { entity: 'client', id: anonymous } },
      );
    }
    // Sessions per client for /health; Prometheus metrics unless turned off.
    const tally = createSessionTally();
    const metrics =
      options.metrics === false
        ? undefined
        : createGatewayMetrics({ upstreams: () => gateway?.status().upstreams ?? [] });
    // The admin API and console, with its live events and per-minute counts.
    const adminClock = options.admin?.now ?? Date.now;
    const oauth = createOAuthServer({
      store: opened.store,
      ...options.oauth,
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    });
    let baseUrl = '';
    const signIns = createUpstreamSignIns({
      store: opened.store,
      vault: opened.vault,
      env: gatewayEnv(options.env),
    });
    const admin = createAdminApi({
      deps: {
        store: opened.store,
        vault: opened.vault,
        gateway: {
          status: () => (gateway as Gateway).status(),
          restartUpstream: (spaceId, serverId) => (gateway as Gateway).restartUpstream(spaceId, serverId),
        },
        version: SERVER_VERSION,
        logDir: join(opened.home, 'logs'),
        sessionsByClient: () => tally.byClient(),
        activity: createActivityCounter(adminClock),
        mcpUrl: () => `${(options.publicUrl ?? baseUrl).replace(/\/$/, '')}/mcp`,
        now: adminClock,
        consent: oauth,
        signIns,
      },
      ...(options.consoleAssetsDir === false
        ? {}
        : { consoleAssetsDir: options.consoleAssetsDir ?? builtConsole }),
      auth: {
        now: adminClock,
        ...(options.admin?.loginTtlMs === undefined ? {} : { loginTtlMs: options.admin.loginTtlMs }),
        ...(options.admin?.sessionMs === undefined ? {} : { sessionMs: options.admin.sessionMs }),
      },
      ...(options.admin?.keepAliveMs === undefined ? {} : { keepAliveMs: options.admin.keepAliveMs }),
      logger: logger.child({ component: 'admin' }),
    });
    // Behind a load balancer the link names the public URL (nginx sends the console to one replica).
    const adminLoginLink = () => admin.mintLoginLink((options.publicUrl ?? baseUrl).replace(/\/$/, ''));
    // Who hears of calls, sessions, list changes and upstream states (metrics, logs, the console).
    const observers: GatewayObserver[] = [];
    observers.push(createCallLog(logger.child({ component: 'gateway' })));
    observers.push(tally.observer, ...(metrics === undefined ? [] : [metrics.observer]), admin.observer);
    gateway = createGateway({
      observer: combineObservers(observers),
      store: opened.store,
      vault: opened.vault,
      env: gatewayEnv(options.env),
      logger: logger.child({ component: 'gateway' }),
      logDir: join(opened.home, 'logs'),
      serverInfo: { name: 'mcpmux', version: SERVER_VERSION },
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
      ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
    });
    // The active Space's upstreams start connecting now; the server listens meanwhile (a session's
    // first list request waits for them, bounded), so the upstreams' own start-up overlaps ours.
    // Awaited before returning, so `startServer` still resolves with the upstreams warmed.
    const started = gateway.start();
    started.catch(() => undefined); // awaited below; this only avoids an unhandled rejection meanwhile
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
            ...(u.protocolVersion === undefined ? {} : { protocolVersion: u.protocolVersion }),
            restarts: u.restarts,
            tools: u.tools,
            prompts: u.prompts,
            resources: u.resources,
          })),
          sessionsByClient: tally.byClient(),
        };
      },
      ...(metrics === undefined ? {} : { metrics, onAuthFailure: (reason) => metrics.authFailure(reason) }),
      externalSessions: { count: (clientId) => sock?.count(clientId) ?? 0 },
      host,
      port: requestedPort,
      ...(anonymous === undefined ? {} : { anonymousClientId: anonymous }),
      ...(options.allowNonLoopback === undefined ? {} : { allowNonLoopback: options.allowNonLoopback }),
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
      ...(options.replicaId === undefined ? {} : { replicaId: options.replicaId }),
      logger: logger.child({ component: 'http' }),
      admin,
      oauth,
    });
    const h = http;
    const unwatch = opened.store.watch((change) => {
      if (change.kinds.has('client')) h.invalidateAuth();
      admin.onStoreChange(change);
    });
    const s = createSocketServer({
      path: socketPath,
      gateway: g,
      version: SERVER_VERSION,
      maxJsonDepth: settings?.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
      maxLineBytes: DEFAULT_MAX_LINE_BYTES,
      maxSessionsPerClient: settings?.maxSessionsPerClient ?? DEFAULT_MAX_SESSIONS_PER_CLIENT,
      maxSessions: settings?.maxSessions ?? DEFAULT_MAX_SESSIONS,
      others: {
        count: (clientId) => {
          const stats = h.stats();
          return clientId === undefined ? stats.sessions : (stats.sessionsByClient[clientId] ?? 0);
        },
        reapIdle: () => h.reapIdleSessions(),
      },
      logger: logger.child({ component: 'socket' }),
      adminLogin: adminLoginLink,
    });
    sock = s;
    // Claimed again: another gateway may have started while this one opened the home.
    await claimSocketPath(home, socketPath);
    try {
      await s.listen();
    } catch (err) {
      if (errnoCode(err) === 'EADDRINUSE') throw await alreadyRunning(home);
      throw err;
    }
    let listening: { url: string; port: number };
    try {
      listening = await h.listen();
    } catch (err) {
      if (errnoCode(err) === 'EADDRINUSE') throw await portInUse(home, host, requestedPort, err);
      throw err;
    }
    const { url, port } = listening;
    baseUrl = url.replace(/\/mcp$/, '');
    const info: GatewayInfo = {
      pid: process.pid,
      url,
      socket: socketPath,
      version: SERVER_VERSION,
      startedAt: new Date().toISOString(),
      home,
    };
    // Logged once listening, before the info file that `mcpmux start` waits for (not once the
    // upstreams are warm): the log then already says where the gateway listens and on what database.
    logger.info(
      {
        url,
        socket: socketPath,
        version: SERVER_VERSION,
        anonymous: anonymous ?? null,
        ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
        ...(options.replicaId === undefined ? {} : { replica: options.replicaId }),
        ...(opened.databaseUrl === undefined ? {} : { database: opened.databaseUrl }),
      },
      'mcpmux gateway listening',
    );
    await writeGatewayInfo(home, info);
    await started;
    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      socket: socketPath,
      info,
      gateway: g,
      http: h,
      admin,
      oauth,
      adminLoginLink,
      close: () => {
        closing ??= (async () => {
          await removeGatewayInfo(home, process.pid);
          unwatch();
          signIns.close();
          admin.close();
          // Closing the socket listener also removes the socket file.
          await Promise.all([s.close(), h.close()]);
          await g.close();
          await opened.close();
          logger.info({}, 'mcpmux gateway stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await removeGatewayInfo(home, process.pid);
    await sock?.close();
    await http?.close();
    await gateway?.close();
    await opened.close();
    throw err;
  }
}
