import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { Ctx } from '../context.js';
import { loadServer } from '../deps.js';
import type { LOG_FORMAT_CHOICES, LOG_LEVEL_CHOICES } from '../gateway-process.js';

/** Resolves `wait` when `signal` aborts, or on SIGINT/SIGTERM when no signal was given; `dispose` stops listening. */
export function shutdownRequested(signal: AbortSignal | undefined): {
  wait: Promise<void>;
  dispose: () => void;
} {
  let dispose = () => {};
  const wait = new Promise<void>((resolve) => {
    if (signal) {
      if (signal.aborted) return resolve();
      const onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      dispose = () => signal.removeEventListener('abort', onAbort);
      return;
    }
    const done = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  return { wait, dispose };
}

/** Options of `serve`, as parsed. */
interface ServeOptions {
  host?: string;
  port?: number;
  anonymous?: string;
  allowNonLoopback?: boolean;
  publicUrl?: string;
  replicaId?: string;
  masterKeyFile?: string;
  maxSessionsPerClient?: number;
  maxSessions?: number;
  sessionIdleTimeout?: number;
  logLevel?: (typeof LOG_LEVEL_CHOICES)[number];
  logFormat?: (typeof LOG_FORMAT_CHOICES)[number];
}

/**
 * Starts the active Space's literal stdio upstreams before the gateway's modules load (the gateway
 * adopts them: `@mcpmux/gateway/prespawn`), so that their start-up overlaps the gateway's. SQLite
 * homes only, and not when a gateway socket already exists (another gateway may be running). Never
 * fails: `startServer` reports every real problem.
 */
async function prespawnActiveSpace(ctx: Ctx): Promise<void> {
  if (ctx.database !== undefined || nonEmpty(ctx.io.env.MCPMUX_DATABASE_URL) !== undefined) return;
  const dbPath = join(ctx.home, 'mcpmux.db');
  if (!existsSync(dbPath) || existsSync(join(ctx.home, 'gateway.sock'))) return;
  try {
    const [{ openSqliteSpaceStore }, { prespawnUpstreams }] = await Promise.all([
      import('@mcpmux/space-store/sqlite'),
      import('@mcpmux/gateway/prespawn'),
    ]);
    const store = openSqliteSpaceStore({ path: dbPath });
    try {
      await prespawnUpstreams({ store, env: ctx.io.env });
    } finally {
      await store.close();
    }
  } catch {
    // an optimisation only
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function atLeastOne(value: number | undefined, flag: string): void {
  if (value !== undefined && value < 1) {
    throw new McpmuxError('INVALID_INPUT', `${flag} must be at least 1.`, { data: { field: flag } });
  }
}

/**
 * `serve [--host H] [--port P] [--anonymous CLIENT] [--allow-non-loopback]
 * [--public-url URL] [--replica-id ID] [--max-sessions-per-client N] [--max-sessions N]
 * [--session-idle-timeout SECONDS] [--log-level L] [--log-format pretty|json]`; `--public-url` and
 * `--replica-id` default to `MCPMUX_PUBLIC_URL` and `MCPMUX_REPLICA_ID` (team mode, docs/team.md);
 * the global `--database URL` (or `MCPMUX_DATABASE_URL`) runs it on PostgreSQL with the master key
 * from `MCPMUX_MASTER_KEY` or `--master-key-file` (`MCPMUX_MASTER_KEY_FILE`);
 * the session flags override the `serve` settings of
 * `<home>/config.json`. Log lines go to the io's standard error: level `--log-level`, else
 * `MCPMUX_LOG_LEVEL`, else info; format `--log-format`, else pretty on a terminal and JSON otherwise.
 */
export async function serve(ctx: Ctx, opts: ServeOptions): Promise<number> {
  if (opts.port !== undefined && opts.port > 65535) {
    throw new McpmuxError('INVALID_INPUT', '--port must be between 0 and 65535.', {
      data: { field: 'port' },
    });
  }
  atLeastOne(opts.maxSessionsPerClient, '--max-sessions-per-client');
  atLeastOne(opts.maxSessions, '--max-sessions');
  atLeastOne(opts.sessionIdleTimeout, '--session-idle-timeout');
  const publicUrl = opts.publicUrl ?? nonEmpty(ctx.io.env.MCPMUX_PUBLIC_URL);
  const replicaId = opts.replicaId ?? nonEmpty(ctx.io.env.MCPMUX_REPLICA_ID);
  await prespawnActiveSpace(ctx);
  const { startServer, defaultLogger } = await loadServer();
  const stderr = ctx.io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const logger = defaultLogger(ctx.io.env, stderr.isTTY === true, {
    ...(opts.logLevel === undefined ? {} : { level: opts.logLevel }),
    ...(opts.logFormat === undefined ? {} : { format: opts.logFormat }),
    // The process's own stderr: pino's synchronous fd 2 (nothing lost on a crash); else the given stream.
    ...(ctx.io.stderr === process.stderr ? {} : { destination: ctx.io.stderr }),
  });
  const server = await startServer({
    home: ctx.home,
    env: ctx.io.env,
    logger,
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    ...(opts.anonymous !== undefined ? { anonymousClientId: opts.anonymous } : {}),
    ...(opts.allowNonLoopback === true ? { allowNonLoopback: true } : {}),
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...(replicaId === undefined ? {} : { replicaId }),
    ...(ctx.database === undefined ? {} : { database: ctx.database }),
    ...(opts.masterKeyFile === undefined ? {} : { masterKeyFile: opts.masterKeyFile }),
    http: {
      ...(opts.maxSessionsPerClient === undefined ? {} : { maxSessionsPerClient: opts.maxSessionsPerClient }),
      ...(opts.maxSessions === undefined ? {} : { maxSessions: opts.maxSessions }),
      ...(opts.sessionIdleTimeout === undefined ? {} : { sessionIdleMs: opts.sessionIdleTimeout * 1000 }),
    },
  });
  if (ctx.json) ctx.out.data({ url: server.url, port: server.port });
  else {
    ctx.out.line(`mcpmux gateway listening on ${server.url}`);
    ctx.out.line(`Health: ${server.url.replace(/\/mcp$/, '/health')}. Press Ctrl-C to stop.`);
  }
  const shutdown = shutdownRequested(ctx.io.signal);
  await shutdown.wait;
  shutdown.dispose();
  await server.close();
  if (!ctx.json) ctx.out.note('mcpmux gateway stopped.');
  return 0;
}

/**
 * `stdio --client ID [--standalone]`: relays the app's stdio to the home's one gateway (started when
 * none runs; see `bridge/relay.ts`). `--standalone` serves the app from a private gateway in this
 * process instead (its own vault access and upstreams), as before the shared gateway.
 */
export async function stdio(ctx: Ctx, opts: { client: string; standalone?: boolean }): Promise<number> {
  if (opts.standalone !== true) {
    const { runBridge } = await import('../bridge/relay.js');
    const controller = new AbortController();
    const shutdown = shutdownRequested(ctx.io.signal);
    void shutdown.wait.then(() => controller.abort());
    try {
      return await runBridge({
        home: ctx.home,
        env: ctx.io.env,
        client: opts.client,
        stdin: ctx.io.stdin,
        stdout: ctx.io.stdout,
        stderr: ctx.io.stderr,
        signal: controller.signal,
      });
    } finally {
      shutdown.dispose();
    }
  }
  const { serveStdio } = await loadServer();
  const { closed } = await serveStdio({
    home: ctx.home,
    env: ctx.io.env,
    clientId: opts.client,
    stdin: ctx.io.stdin,
    stdout: ctx.io.stdout,
  });
  let done = false;
  const finished = closed.then(() => {
    done = true;
  });
  const shutdown = shutdownRequested(ctx.io.signal);
  await Promise.race([finished, shutdown.wait]);
  shutdown.dispose();
  // A signal: end the session as if the app closed stdin, which closes the gateway and the home.
  if (!done) ctx.io.stdin.destroy();
  await finished;
  return 0;
}
