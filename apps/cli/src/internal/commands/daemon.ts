import { McpmuxError } from '@mcpmux/core';
import type { Ctx } from '../context.js';
import { gatewayPaths } from '../gateway-files.js';
import {
  type GatewayInfo,
  type LOG_FORMAT_CHOICES,
  type LOG_LEVEL_CHOICES,
  startGateway,
  stopGateway,
} from '../gateway-process.js';

/** Options of `start` and `restart`, as parsed. */
export interface StartOptions {
  host?: string;
  port?: number;
  logLevel?: (typeof LOG_LEVEL_CHOICES)[number];
  logFormat?: (typeof LOG_FORMAT_CHOICES)[number];
}

/** The `--json` shape of `start`, `stop` and `restart`. */
function summary(info: GatewayInfo | undefined, running: boolean) {
  return {
    running,
    url: info?.url ?? null,
    pid: info?.pid ?? null,
    version: info?.version ?? null,
  };
}

function checkPort(port: number | undefined): void {
  if (port !== undefined && port > 65535) {
    throw new McpmuxError('INVALID_INPUT', '--port must be between 0 and 65535.', {
      data: { field: 'port' },
    });
  }
}

/** The host and port a gateway URL names (`http://HOST:PORT/mcp`). */
function addressOf(url: string): { host?: string; port?: number } {
  try {
    const u = new URL(url);
    return {
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      ...(u.port === '' ? {} : { port: Number(u.port) }),
    };
  } catch {
    return {};
  }
}

async function startWith(ctx: Ctx, opts: StartOptions) {
  return startGateway({
    home: ctx.home,
    // `--database`: handed to the detached gateway in its environment, never in its argv.
    env: ctx.database === undefined ? ctx.io.env : { ...ctx.io.env, MCPMUX_DATABASE_URL: ctx.database },
    ...(opts.port === undefined ? {} : { port: opts.port }),
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }),
    ...(opts.logFormat === undefined ? {} : { logFormat: opts.logFormat }),
  });
}

/**
 * `start [--host H] [--port P] [--log-level L] [--log-format F]`: runs the gateway detached; a no-op
 * when it already runs.
 */
export async function start(ctx: Ctx, opts: StartOptions): Promise<number> {
  checkPort(opts.port);
  const { info, started } = await startWith(ctx, opts);
  if (ctx.json) {
    ctx.out.data({ ...summary(info, true), started });
    return 0;
  }
  if (started) {
    ctx.out.line(`mcpmux gateway started at ${info.url} (pid ${info.pid}).`);
    ctx.out.line(`Logs: ${gatewayPaths(ctx.home).log}. Stop it with \`mcpmux stop\`.`);
    return 0;
  }
  ctx.out.line(`mcpmux gateway already running at ${info.url} (pid ${info.pid}).`);
  const asked = opts.port !== undefined && opts.port !== 0 && addressOf(info.url).port !== opts.port;
  if (asked) ctx.out.note(`To move it to port ${opts.port}: \`mcpmux restart --port ${opts.port}\`.`);
  const logFlags = [
    ...(opts.logLevel === undefined ? [] : [`--log-level ${opts.logLevel}`]),
    ...(opts.logFormat === undefined ? [] : [`--log-format ${opts.logFormat}`]),
  ];
  if (logFlags.length > 0) {
    ctx.out.note(
      `Its logging is unchanged; to apply ${logFlags.join(' ')}: \`mcpmux restart ${logFlags.join(' ')}\`.`,
    );
  }
  return 0;
}

/** `stop`: stops the gateway (SIGTERM, then SIGKILL after a bounded wait); "not running" is fine. */
export async function stop(ctx: Ctx): Promise<number> {
  const { info, killed } = await stopGateway({ home: ctx.home });
  if (ctx.json) {
    ctx.out.data({ ...summary(info, false), stopped: info !== undefined });
    return 0;
  }
  if (info === undefined) {
    ctx.out.line('mcpmux gateway is not running; nothing to stop.');
    return 0;
  }
  ctx.out.line(`mcpmux gateway stopped (pid ${info.pid}).`);
  if (killed) ctx.out.warn(`it did not stop after SIGTERM and was killed (SIGKILL); see its log.`);
  return 0;
}

/**
 * `restart [--host H] [--port P] [--log-level L] [--log-format F]`: stop, then start a new process,
 * on the address the stopped gateway used unless `--host`/`--port` say otherwise.
 */
export async function restart(ctx: Ctx, opts: StartOptions): Promise<number> {
  checkPort(opts.port);
  // No stop marker: the bridges of running apps reconnect to the new gateway.
  const stopped = await stopGateway({ home: ctx.home, marker: false });
  const previous = stopped.info ? addressOf(stopped.info.url) : {};
  const { info } = await startWith(ctx, { ...previous, ...opts });
  if (ctx.json) {
    ctx.out.data({ ...summary(info, true), previousPid: stopped.info?.pid ?? null });
    return 0;
  }
  ctx.out.line(
    stopped.info
      ? `mcpmux gateway restarted at ${info.url} (pid ${info.pid}, was ${stopped.info.pid}).`
      : `mcpmux gateway was not running; started at ${info.url} (pid ${info.pid}).`,
  );
  ctx.out.line(`Logs: ${gatewayPaths(ctx.home).log}.`);
  return 0;
}
