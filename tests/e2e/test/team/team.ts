// Three gateway replicas on one PostgreSQL database behind the documented nginx (docs/team.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { freePort, type RunningGateway, startGateway } from '../helpers/gateway.js';
import type { TempHome } from '../helpers/home.js';
import { type RunningNginx, startNginx } from './nginx.js';

/** One replica: its id, its own home (gateway info, logs, socket) and its process. */
export interface Replica {
  id: string;
  home: TempHome;
  gateway: RunningGateway;
  /** `http://127.0.0.1:<port>`, the replica itself, past nginx. */
  base: string;
}

/** Replicas behind nginx. */
export interface Team {
  replicas: Replica[];
  nginx: RunningNginx;
  /** `http://127.0.0.1:<nginx port>/mcp`: what clients use (also each replica's `--public-url` + `/mcp`). */
  url: string;
  /** The replica with this id. */
  replica(id: string): Replica;
  /** Stops nginx and every replica still running (orphan children fail, as in startGateway). */
  stop(): Promise<void>;
}

/**
 * Where the replicas' shared data lives: a PostgreSQL database; `env` carries `MCPMUX_DATABASE_URL`
 * and the master key, and each replica's home is a directory under `root`.
 */
export interface TeamDatabase {
  env: NodeJS.ProcessEnv;
  root: string;
}

/**
 * Starts replicas r1, r2, r3 (`mcpmux serve --replica-id rN --public-url <nginx>`) on one database,
 * each with its own home directory, then nginx with docs/team.md's configuration in front of them.
 */
export async function startTeam(database: TeamDatabase): Promise<Team> {
  const listen = await freePort();
  const publicUrl = `http://127.0.0.1:${listen}`;
  const replicas: Replica[] = [];
  let nginx: RunningNginx | undefined;
  try {
    for (const id of ['r1', 'r2', 'r3']) {
      const home = replicaHome(database, id);
      const gateway = await startGateway(home, ['--replica-id', id, '--public-url', publicUrl]);
      replicas.push({ id, home, gateway, base: `http://127.0.0.1:${gateway.port}` });
    }
    nginx = await startNginx(
      replicas.map((r) => r.gateway.port),
      listen,
    );
  } catch (error) {
    for (const r of replicas) await r.gateway.stop().catch(() => undefined);
    throw error;
  }
  const n = nginx;
  return {
    replicas,
    nginx: n,
    url: `${n.base}/mcp`,
    replica(id) {
      const found = replicas.find((r) => r.id === id);
      if (found === undefined) throw new Error(`no replica ${id}`);
      return found;
    },
    async stop() {
      await n.stop();
      const errors: unknown[] = [];
      for (const r of replicas) {
        try {
          await r.gateway.stop();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
}

/** A replica's home: local state only; the URL (never in argv) and the master key come from the environment. */
function replicaHome(database: TeamDatabase, id: string): TempHome {
  const dir = join(database.root, `replica-${id}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, scratch: dir, env: database.env, remove: () => undefined };
}

/** Kills a replica with SIGKILL (no drain, no goodbye), as a crash would. */
export function killReplica(replica: Replica): void {
  process.kill(replica.gateway.pid, 'SIGKILL');
}

/** A single-use console login at the replica itself (`mcpmux ui --json` over its socket). */
export async function adminSession(replica: Replica): Promise<{ cookie: string; csrf: string }> {
  const { stdout } = await runCli(replica.home, ['--json', 'ui', '--no-open']);
  const link = new URL((JSON.parse(stdout) as { url: string }).url);
  // The link names the public URL (nginx sends it to r1); ask this replica directly instead.
  const res = await fetch(`${replica.base}${link.pathname}${link.search}`, { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`console login at ${replica.id} failed: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const session = await fetch(`${replica.base}/api/v1/session`, { headers: { cookie } });
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  return { cookie, csrf: csrfToken };
}
