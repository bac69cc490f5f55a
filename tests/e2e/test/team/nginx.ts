// Debian's nginx in front of gateway replicas, configured with the block docs/team.md shows, so the
// documented configuration is the tested one.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/gateway.js';
import { killGroup, waitFor } from '../helpers/processes.js';

/** Where Debian's nginx package puts the binary. */
export const NGINX_BIN = '/usr/sbin/nginx';

/** docs/team.md, whose `<!-- test: team-nginx -->` block is the configuration under test. */
export const TEAM_DOC = fileURLToPath(new URL('../../../../docs/team.md', import.meta.url));

/** The replica ports the documented configuration names, r1 to r3. */
export const DOCUMENTED_PORTS = [45818, 45819, 45820] as const;

/**
 * Why the nginx tests cannot run here, or undefined when they can. With `CI` set a missing nginx is
 * a failure, not a skip (CI installs Debian's `nginx` package).
 */
export function nginxUnavailableReason(): string | undefined {
  if (existsSync(NGINX_BIN)) return undefined;
  const reason = `${NGINX_BIN} is missing (install Debian's nginx package: apt-get install nginx)`;
  if (process.env.CI) throw new Error(`${reason}; CI must run the team-mode tests (.ci/run installs it).`);
  return reason;
}

/** The nginx block of docs/team.md, as written there. */
export function documentedNginxBlock(doc = readFileSync(TEAM_DOC, 'utf8')): string {
  const blocks = [...doc.matchAll(/<!--\s*test:\s*team-nginx\s*-->\s*\n```nginx\n([\s\S]*?)\n```/g)];
  if (blocks.length !== 1) {
    throw new Error(`docs/team.md: expected one block marked "test: team-nginx", found ${blocks.length}`);
  }
  return blocks[0]?.[1] ?? '';
}

function replaceAll(text: string, from: string | RegExp, to: string, what: string): string {
  const pattern =
    typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from;
  if (!pattern.test(text))
    throw new Error(`docs/team.md's nginx block no longer has ${what}; update the team tests`);
  pattern.lastIndex = 0;
  return text.replace(pattern, to);
}

/**
 * The documented block with this machine's ports filled in: the replicas' loopback ports instead of
 * 45818-45820, and a plain loopback listener instead of `listen 443 ssl` and its certificate lines
 * (TLS termination is nginx's own business and stays out of the test).
 */
export function fillNginxBlock(block: string, replicaPorts: readonly number[], listenPort: number): string {
  if (replicaPorts.length !== DOCUMENTED_PORTS.length) {
    throw new Error(`the documented configuration has ${DOCUMENTED_PORTS.length} replicas`);
  }
  // Through placeholders, so a new port that equals an old one is not replaced twice.
  let text = block;
  DOCUMENTED_PORTS.forEach((port, i) => {
    text = replaceAll(text, `127.0.0.1:${port}`, `@REPLICA${i}@`, `127.0.0.1:${port}`);
  });
  replicaPorts.forEach((port, i) => {
    text = text.replaceAll(`@REPLICA${i}@`, `127.0.0.1:${port}`);
  });
  text = replaceAll(
    text,
    /^(\s*)listen 443 ssl;$/m,
    `$1listen 127.0.0.1:${listenPort};`,
    "'listen 443 ssl;'",
  );
  text = replaceAll(text, /^\s*ssl_certificate(_key)?\s.*\n/gm, '', 'ssl_certificate lines');
  return text;
}

/** A running nginx. */
export interface RunningNginx {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  /** The configuration file it runs (for failure messages). */
  configFile: string;
  /** nginx's error log so far. */
  errors(): string;
  /** Stops nginx (SIGQUIT, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx on `listenPort` (default: a free loopback port) with the documented configuration routing to
 * `replicaPorts` (r1, r2, r3): `nginx -c FILE -p DIR -e ERRLOG -g 'daemon off;'`, its pid file, logs
 * and temp paths in a fresh directory. As root the workers run as root too (`user root;`) so they can
 * use that directory.
 *
 * @throws Error with nginx's error log when it exits or does not answer within 15 s.
 */
export async function startNginx(
  replicaPorts: readonly number[],
  listenPort?: number,
): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-nginx-'));
  const temp = join(dir, 'temp');
  mkdirSync(temp);
  const port = listenPort ?? (await freePort());
  const block = fillNginxBlock(documentedNginxBlock(), replicaPorts, port);
  const errorLog = join(dir, 'error.log');
  const configFile = join(dir, 'nginx.conf');
  const rootUser = process.getuid?.() === 0 ? 'user root;\n' : '';
  writeFileSync(
    configFile,
    `${rootUser}worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${join(temp, 'body')};
  proxy_temp_path ${join(temp, 'proxy')};
  fastcgi_temp_path ${join(temp, 'fastcgi')};
  uwsgi_temp_path ${join(temp, 'uwsgi')};
  scgi_temp_path ${join(temp, 'scgi')};
${block}
}
`,
  );
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-c', configFile, '-p', dir, '-e', errorLog, '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-10_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? 0;
  const errors = () => {
    const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
    return `${stderr}${log}`.slice(-5000);
  };
  const base = `http://127.0.0.1:${port}`;
  const nginx: RunningNginx = {
    base,
    port,
    configFile,
    errors,
    async stop() {
      if (!exited) {
        killGroup(pid, 'SIGQUIT');
        const stopped = await Promise.race([
          exit.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
        ]);
        if (!stopped) killGroup(pid, 'SIGKILL');
      }
      killGroup(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // nginx itself answers /metrics (404) once it listens, whatever the replicas do.
    await waitFor(
      async () => {
        if (exited) throw new Error('nginx exited');
        return (await fetch(`${base}/metrics`)).status === 404;
      },
      { timeoutMs: 15_000, what: `nginx on port ${port}` },
    );
  } catch (error) {
    const log = errors();
    await nginx.stop();
    throw new Error(`nginx did not start: ${log}`, { cause: error });
  }
  return nginx;
}
