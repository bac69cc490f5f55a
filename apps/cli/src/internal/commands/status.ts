// `status` and what other commands ask of the running gateway: kept apart from the heavier command
// modules so that `status`, `tools` and `server show` load only the home's light entry.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { VaultDatabase } from '@mcpmux/vault';
import { type Ctx, shortDate } from '../context.js';
import { loadHome, loadVault } from '../deps.js';
import { errorLine } from '../error-line.js';
import { gatewayPaths, runningGateway } from '../gateway-files.js';

/** One upstream as the gateway's `/health` reports it. */
interface UpstreamHealth {
  space: string;
  server: string;
  state: string;
  /** The MCP revision spoken with the server while it is ready (e.g. `2026-07-28`). */
  protocolVersion?: string;
  restarts: number;
}

/** The running gateway as `status` shows it: `gateway.json` plus what `/health` says. */
export interface GatewayStatus {
  running: true;
  url: string;
  pid: number;
  version: string;
  startedAt: string;
  socket: string;
  log: string;
  /** Each upstream's state and restarts; `null` when `/health` did not answer. */
  upstreams: UpstreamHealth[] | null;
  /** Open sessions per client (HTTP and bridges); `null` when `/health` did not answer. */
  sessionsByClient: Record<string, number> | null;
}

/**
 * GETs `url` and parses its JSON body; undefined on any failure, a non-2xx status or after
 * `timeoutMs`. Through `node:http`, not `fetch`: the first `fetch` of a process loads undici, which
 * costs a short command more than the request itself (about 75 ms here).
 */
async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const req = request(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => resolve(undefined));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function fetchHealth(
  url: string,
): Promise<{ upstreams: UpstreamHealth[]; sessionsByClient: Record<string, number> } | null> {
  try {
    const body = (await getJson(url.replace(/\/mcp$/, '/health'), 2000)) as
      | { upstreams?: unknown; sessionsByClient?: unknown }
      | undefined;
    if (typeof body !== 'object' || body === null) return null;
    const upstreams = Array.isArray(body.upstreams)
      ? body.upstreams.map((u: Record<string, unknown>) => ({
          space: String(u.space),
          server: String(u.server),
          state: String(u.state),
          ...(typeof u.protocolVersion === 'string' ? { protocolVersion: u.protocolVersion } : {}),
          restarts: Number(u.restarts ?? 0),
        }))
      : [];
    const sessionsByClient: Record<string, number> = {};
    if (typeof body.sessionsByClient === 'object' && body.sessionsByClient !== null) {
      for (const [client, n] of Object.entries(body.sessionsByClient)) {
        if (typeof n === 'number' && n > 0) sessionsByClient[client] = n;
      }
    }
    return { upstreams, sessionsByClient };
  } catch {
    return null;
  }
}

/** The home's running gateway with its upstreams, or `null` when none runs. */
export async function gatewayStatus(home: string): Promise<GatewayStatus | null> {
  const info = await runningGateway(home);
  if (info === undefined) return null;
  const health = await fetchHealth(info.url);
  return {
    running: true,
    url: info.url,
    pid: info.pid,
    version: info.version,
    startedAt: info.startedAt,
    socket: info.socket,
    log: gatewayPaths(home).log,
    upstreams: health?.upstreams ?? null,
    sessionsByClient: health?.sessionsByClient ?? null,
  };
}

/**
 * `status`: home, active Space, servers, clients, and the home's gateway (from `gateway.json` and
 * `/health`), all read without the vault key; then whether the vault unlocks with this shell's key
 * source. A locked vault is printed last as one `error:` line on stderr, exit code 1.
 */
export async function status(ctx: Ctx): Promise<number> {
  // Team mode (docs/team.md): the store and the vault are in PostgreSQL; the home holds local state.
  const teamUrl = ctx.database ?? (ctx.io.env.MCPMUX_DATABASE_URL || undefined);
  // The vault's module loads while the store is read (module files are read off the main thread):
  // waiting for each in turn left the process idle for tens of milliseconds. A failure to load it
  // is reported by checkVault, which imports it again.
  if (teamUrl === undefined) loadVault().catch(() => undefined);
  const { DATABASE_FILE, redactDatabaseUrl } = await loadHome();
  const dbPath = join(ctx.home, DATABASE_FILE);
  if (teamUrl === undefined && !existsSync(dbPath)) {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${ctx.home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: ctx.home },
    });
  }
  const [gateway, { openSqliteSpaceStore }] = await Promise.all([
    gatewayStatus(ctx.home),
    import('@mcpmux/space-store/sqlite'),
  ]);
  const sqlite = teamUrl === undefined ? openSqliteSpaceStore({ path: dbPath }) : undefined;
  const store =
    sqlite ??
    (await (await import('@mcpmux/space-store/postgres')).openPostgresSpaceStore({ url: teamUrl ?? '' }));
  const { spaces, active, clients, servers, definedServers } = await (async () => {
    try {
      const [spaces, active, clients, defs] = await Promise.all([
        store.listSpaces(),
        store.getActiveSpace(),
        store.listClients(),
        store.listServers(),
      ]);
      const effective = active ? await store.effectiveServers(active.id) : [];
      return {
        spaces,
        active,
        clients: clients.map((c) => c.id),
        servers: effective.map((e) => e.serverId),
        definedServers: defs.length,
      };
    } catch (e) {
      await store.close();
      throw e;
    }
  })();
  let vault: VaultState;
  try {
    vault =
      sqlite === undefined ? await checkTeamVault(ctx, teamUrl ?? '') : await checkVault(ctx, sqlite.sql);
  } finally {
    await store.close();
  }
  // DESIGN §7: `gateway` is exactly { running, url, pid, version } | null; the rest stands beside it.
  const data = {
    home: ctx.home,
    activeSpace: active?.id ?? null,
    gateway:
      gateway === null
        ? null
        : { running: gateway.running, url: gateway.url, pid: gateway.pid, version: gateway.version },
    database: teamUrl === undefined ? dbPath : redactDatabaseUrl(teamUrl),
    spaces: spaces.map((s) => s.id),
    servers,
    definedServers,
    clients,
    vault,
    ...(gateway === null
      ? {}
      : {
          gatewayStartedAt: gateway.startedAt,
          gatewaySocket: gateway.socket,
          gatewayLog: gateway.log,
          upstreams: gateway.upstreams,
          sessionsByClient: gateway.sessionsByClient,
        }),
  };
  if (ctx.json) {
    ctx.out.data(data);
    return vault.unlocked ? 0 : 1;
  }
  const o = ctx.out;
  const rows: [string, string][] = [
    ['Home', ctx.home],
    [
      'Active Space',
      active ? `${active.id} (of ${spaces.length}: ${spaces.map((s) => s.id).join(', ')})` : 'none',
    ],
    ['Servers', servers.length > 0 ? servers.join(', ') : 'none in the active Space'],
    ['Clients', clients.length > 0 ? clients.join(', ') : 'none'],
    [
      'Gateway',
      gateway
        ? `${o.color.green(`running at ${gateway.url}`)} (pid ${gateway.pid}, version ${gateway.version}, since ${shortDate(new Date(gateway.startedAt))} UTC)`
        : 'not running (start it with `mcpmux start`; apps connected with `mcpmux connect` start it themselves)',
    ],
  ];
  if (teamUrl !== undefined) rows.splice(1, 0, ['Database', redactDatabaseUrl(teamUrl)]);
  if (gateway) {
    rows.push(['Logs', gateway.log]);
    const ups = gateway.upstreams;
    const lines =
      ups === null
        ? ['(the gateway did not answer /health)']
        : ups.length === 0
          ? ['none running']
          : ups.map((u) => {
              const state = u.state === 'ready' ? o.color.green(u.state) : o.color.yellow(u.state);
              return `${u.space}/${u.server}: ${state}${u.restarts > 0 ? ` (${u.restarts} restarts)` : ''}`;
            });
    lines.forEach((line, i) => {
      rows.push([i === 0 ? 'Upstreams' : '', line]);
    });
    const byClient = gateway.sessionsByClient;
    if (byClient !== null) {
      const entries = Object.entries(byClient).sort(([a], [b]) => a.localeCompare(b));
      rows.push([
        'Sessions',
        entries.length === 0 ? 'none open' : entries.map(([client, n]) => `${client}: ${n}`).join(', '),
      ]);
    }
  }
  rows.push(['Vault', vault.unlocked ? `unlocks (key from ${vault.keySource})` : o.color.red('locked')]);
  for (const [k, v] of rows) o.line(`${o.color.bold(k.padEnd(13))}${v}`.trimEnd());
  if (!vault.unlocked) {
    o.note(`error: ${vault.error}`);
    return 1;
  }
  return 0;
}

/** Whether this shell's key source unlocks the home's vault (what every vault command needs). */
type VaultState = { unlocked: true; keySource: string } | { unlocked: false; error: string };

/**
 * Opens the home's vault on the store's connection with the key provider this environment selects
 * (as `openHome` does, without a logger) and closes it again. Never throws: a failure is the
 * one-line error that a vault command would print.
 */
async function checkVault(ctx: Ctx, sql: VaultDatabase): Promise<VaultState> {
  try {
    const { openHomeVault } = await loadHome();
    const { vault, keySource } = await openHomeVault(sql, { env: ctx.io.env, home: ctx.home });
    await vault.close();
    return { unlocked: true, keySource };
  } catch (e) {
    return { unlocked: false, error: errorLine(e).slice('error: '.length) };
  }
}

/** {@link checkVault} for team mode: the vault in the PostgreSQL database, the key as `serve` takes it. */
async function checkTeamVault(ctx: Ctx, url: string): Promise<VaultState> {
  try {
    const { openHome } = await loadHome();
    const opened = await openHome({ home: ctx.home, env: ctx.io.env, database: url });
    await opened.close();
    return { unlocked: true, keySource: opened.keySource };
  } catch (e) {
    return { unlocked: false, error: errorLine(e).slice('error: '.length) };
  }
}

/**
 * Why `server` has no discovered features in `space`, true to whether the home's gateway runs and
 * what its `/health` says of that Space's copy of the server.
 */
export async function notConnected(
  home: string,
  server: string,
  space: string,
): Promise<{ summary: string; detail: string }> {
  const [{ describeNotConnected }, gateway] = await Promise.all([loadHome(), gatewayStatus(home)]);
  if (gateway === null) return describeNotConnected(server, space, undefined);
  const upstream = gateway.upstreams?.find((u) => u.space === space && u.server === server);
  return describeNotConnected(server, space, {
    url: gateway.url,
    pid: gateway.pid,
    ...(upstream === undefined ? {} : { upstreamState: upstream.state }),
  });
}
