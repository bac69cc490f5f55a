/** Shared helpers of the upstream tests: fixture servers, waiting on conditions, process checks. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolveUpstreamConfig } from '../../src/internal/upstream/pool.js';
import type { UpstreamServerConfig } from '../../src/internal/upstream/types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures');

/** `server-everything`'s entry point (installed for the e2e tests). */
export const EVERYTHING = createRequire(
  join(here, '..', '..', '..', '..', 'tests', 'e2e', 'package.json'),
).resolve('@modelcontextprotocol/server-everything/dist/index.js');

/** A stdio server config running `test/fixtures/<file>` with node. */
export function fixtureServer(
  serverId: string,
  file: string,
  env?: Record<string, string>,
): UpstreamServerConfig {
  return {
    serverId,
    defaultEnabled: false,
    transport: {
      type: 'stdio',
      command: process.execPath,
      args: [join(FIXTURES, file)],
      ...(env === undefined ? {} : { env }),
    },
  };
}

/** A stdio config for `server-everything`. */
export function everythingServer(serverId = 'everything'): UpstreamServerConfig {
  return {
    serverId,
    defaultEnabled: false,
    transport: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
  };
}

/** `resolveConfig` that returns the config as is and reports `secrets` as its secret values. */
export function plainResolver(secrets: string[] = []): ResolveUpstreamConfig {
  return async (_spaceId, server) => ({ config: server, secretValues: secrets });
}

/** Polls `condition` every 10 ms until it is truthy; throws after `timeoutMs`. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True when a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
}

/** Pids of live (non-zombie) descendants of this test process. */
export function descendants(root = process.pid): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,comm='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , , comm]) => comm !== 'ps')
    .map(([pid, ppid, stat]) => ({ pid: Number(pid), ppid: Number(ppid), stat: stat ?? '' }));
  const result: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const row of rows) {
      if (row.ppid === parent && !row.stat.startsWith('Z')) {
        result.push(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return result;
}

/** Members of process group `pgid` that are alive. */
export function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, g, stat]) => Number(g) === pgid && !(stat ?? '').startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The text of the first content item of a tools/call result. */
export function textOf(result: Record<string, unknown>): string {
  const content = result.content as { type: string; text?: string }[] | undefined;
  return content?.[0]?.text ?? '';
}

/** The local IPv4/IPv6 addresses (hex, as in /proc/net/tcp*) listening on `port` (Linux only). */
export function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, p] = (local ?? '').split(':');
      if (p === hexPort && state === '0A' && address !== undefined) out.push(address);
    }
  }
  return out;
}
