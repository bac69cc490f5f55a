// How the bridge finds and starts the home's gateway without loading what a gateway needs. Starting
// runs `mcpmux start` (ensureGateway: the lock, the detached spawn, the wait) in a child process, so
// the workspace packages, zod and the database driver are loaded there and never in the bridge,
// whose memory stays at Node's own whichever bridge happened to start the gateway.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeError } from './channel.js';

/** What the bridge keeps of a running gateway: its pid and URL (from `<home>/gateway.json`). */
export interface GatewayRecord {
  pid: number;
  url: string;
}

/**
 * Reads the pid and URL of `<home>/gateway.json` with a plain `JSON.parse` (the full schema lives in
 * `@mcpmux/server`, which the bridge does not load).
 *
 * @param home - the absolute mcpmux home.
 * @returns the record, or `undefined` when the file is missing or has no numeric pid and string URL.
 */
export function readGatewayRecord(home: string): GatewayRecord | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(home, 'gateway.json'), 'utf8')) as Record<string, unknown>;
    return typeof raw.pid === 'number' && typeof raw.url === 'string'
      ? { pid: raw.pid, url: raw.url }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True while a process with this id exists (one of another user counts as alive). The same test as
 * `isProcessAlive` of `@mcpmux/server`, which the bridge does not load.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The built CLI entry, `dist/bin.js` of the `mcpmux` package this file belongs to, found by walking
 * up to the package root (works from `dist/` and from the sources under a test runner).
 *
 * @throws `NOT_FOUND` when no `mcpmux` package root is above this file.
 */
export function cliBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
        if (name === 'mcpmux') return join(dir, 'dist', 'bin.js');
      } catch {
        // not a readable manifest; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new BridgeError(
        'NOT_FOUND',
        'Cannot find the mcpmux command line (dist/bin.js) to start the gateway. Reinstall mcpmux, or build it with `pnpm --filter mcpmux build`.',
      );
    }
    dir = parent;
  }
}

/** Options of {@link launchGateway}. */
export interface LaunchGatewayOptions {
  /** The absolute mcpmux home. */
  home: string;
  /** The environment the gateway gets (its key provider, `PATH`, `${env:}` values). */
  env: Record<string, string | undefined>;
  /** Bind here instead of the default address (after a crash: where the gateway was). */
  address?: { host: string; port: number };
  /** The CLI entry to run. Default: {@link cliBin}. */
  bin?: string;
}

/** The host and port of a gateway URL (`http://HOST:PORT/mcp`), when it names both. */
export function addressOf(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    if (u.port === '') return undefined;
    return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) };
  } catch {
    return undefined;
  }
}

/**
 * Runs `mcpmux --home HOME --json start [--host H --port P]` and waits for it: the running gateway's
 * pid and URL once its socket answers (it is started detached when none runs; N bridges at once
 * start exactly one).
 *
 * @param options - see {@link LaunchGatewayOptions}.
 * @returns the running gateway.
 * @throws `UPSTREAM_UNAVAILABLE` (or the code `start` failed with) carrying `start`'s one-line error,
 *   e.g. the gateway log's `VAULT_LOCKED` line or "run mcpmux init".
 * @example
 * ```ts
 * const gateway = await launchGateway({ home: '/home/me/.mcpmux', env: process.env });
 * ```
 */
export function launchGateway(options: LaunchGatewayOptions): Promise<GatewayRecord> {
  const bin = options.bin ?? cliBin();
  const address = options.address;
  const args = [bin, '--home', options.home, '--json', 'start'];
  if (address !== undefined) args.push('--host', address.host, '--port', String(address.port));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    child.once('error', (err) => {
      reject(new BridgeError('UPSTREAM_UNAVAILABLE', `Cannot run \`mcpmux start\`: ${err.message}.`));
    });
    child.once('close', (code) => {
      if (code === 0) {
        try {
          const out = JSON.parse(stdout) as Record<string, unknown>;
          if (typeof out.pid === 'number' && typeof out.url === 'string') {
            resolve({ pid: out.pid, url: out.url });
            return;
          }
        } catch {
          // reported below
        }
      }
      const line =
        stderr
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
          .at(-1)
          ?.replace(/^error:\s*/, '') ?? '';
      reject(
        new BridgeError(
          'UPSTREAM_UNAVAILABLE',
          line !== ''
            ? line
            : `\`mcpmux start\` failed (exit ${code}); run \`mcpmux --home ${options.home} start\` to see why.`,
        ),
      );
    });
  });
}
