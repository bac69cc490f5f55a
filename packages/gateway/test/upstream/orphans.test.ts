import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { EVERYTHING, FIXTURES, isAlive, waitFor } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles `pool-host.ts` with esbuild next to the package's node_modules. */
async function buildHost(): Promise<string> {
  const root = join(here, '..', '..');
  const outDir = join(root, 'node_modules', '.cache', 'mcpmux-upstream-test');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `pool-host-${process.pid}.mjs`);
  await build({
    entryPoints: [join(here, 'pool-host.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

interface HostReport {
  pids: number[];
  watchdog: number | undefined;
}

interface Host {
  pid: number;
  report: HostReport;
  /** Resolves with the host's exit signal. */
  exited: Promise<NodeJS.Signals | null>;
  /** Resolves with the host's exit code. */
  code: Promise<number | null>;
  /** Everything the host printed so far. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

const node = (file: string, env?: Record<string, string>) => ({
  command: process.execPath,
  args: [join(FIXTURES, file)],
  ...(env === undefined ? {} : { env }),
});

/** Three upstreams: one exits on stdin EOF, two do not (server-everything; a fixture that also ignores SIGTERM). */
const STUBBORN_MIX = [
  { command: process.execPath, args: [EVERYTHING, 'stdio'] },
  node('stubborn.mjs'),
  node('hang.mjs'),
];

let hostFile = '';
beforeAll(async () => {
  hostFile = await buildHost();
  return () => rmSync(hostFile, { force: true });
});

/** Starts the host (core dumps off, so `abort` leaves no file) and waits for its pid report. */
async function startHost(
  specs: unknown[],
  mode: 'idle' | 'abort' | 'close' = 'idle',
  options: { detached?: boolean } = {},
): Promise<Host> {
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, hostFile, JSON.stringify(specs), mode],
    { stdio: ['ignore', 'pipe', 'inherit'], detached: options.detached ?? false },
  );
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  let report: HostReport = { pids: [], watchdog: undefined };
  onTestFinished(() => {
    // Whatever the outcome, nothing of this test may outlive it.
    child.kill('SIGKILL');
    for (const pid of [...report.pids, report.watchdog ?? 0]) {
      try {
        if (pid > 1) process.kill(-pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
  const line = await waitFor(
    () => out.split('\n').find((l) => l.startsWith('{')),
    20_000,
    'the host to report pids',
  );
  report = JSON.parse(line ?? '{}') as HostReport;
  return {
    pid: child.pid as number,
    report,
    exited: exit.then((e) => e.signal),
    code: exit.then((e) => e.code),
    output: () => out,
    kill: (signal) => child.kill(signal),
  };
}

/**
 * Polls until none of `pids` is alive (a 15 s liveness bound, not a speed check); returns the ms
 * since `start`.
 */
async function allGone(pids: number[], what: string, start = performance.now()): Promise<number> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 15_000, what);
  return performance.now() - start;
}

describe('a gateway that dies abruptly', { timeout: 40_000 }, () => {
  it('leaves no stdio child behind when SIGKILLed, even children that ignore stdin EOF and SIGTERM', async () => {
    const host = await startHost(STUBBORN_MIX);
    const { pids, watchdog } = host.report;
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    expect(watchdog).toBeDefined();

    const killedAt = performance.now();
    host.kill('SIGKILL');
    expect(await host.exited).toBe('SIGKILL');
    const ms = await allGone(pids, 'the orphaned children to be killed', killedAt);
    console.log(`[measure] host SIGKILL -> last of 3 upstreams gone: ${ms.toFixed(0)} ms`);
    await allGone([watchdog as number], 'the watchdog to exit');
  });

  it('leaves no stdio child behind when it aborts (as on out-of-memory)', async () => {
    const host = await startHost(STUBBORN_MIX, 'abort');
    expect(await host.exited).toBe('SIGABRT');
    const ms = await allGone(host.report.pids, 'the orphaned children to be killed');
    console.log(`[measure] host exit (SIGABRT) -> last of 3 upstreams gone: ${ms.toFixed(0)} ms`);
    await allGone([host.report.watchdog as number], 'the watchdog to exit');
  });

  it('leaves no stdio child behind when SIGKILLed with children that exit on stdin EOF', async () => {
    const host = await startHost([node('env-echo.mjs'), node('list-changing.mjs'), node('hang.mjs')]);
    expect(host.report.pids).toHaveLength(3);
    host.kill('SIGKILL');
    await host.exited;
    await allGone(
      [...host.report.pids, host.report.watchdog as number],
      'the children and the watchdog to exit',
    );
  });

  it('leaves no stdio child behind when the gateway process group is SIGKILLed (the watchdog is not in it)', async () => {
    const host = await startHost([node('stubborn.mjs'), node('hang.mjs')], 'idle', {
      detached: true,
    });
    process.kill(-host.pid, 'SIGKILL');
    await host.exited;
    await allGone(
      [...host.report.pids, host.report.watchdog as number],
      'the children and the watchdog to exit',
    );
  });
});

describe('a gateway that closes its pool and ends', { timeout: 40_000 }, () => {
  it('exits 0 once its children and the watchdog are gone (the watchdog does not leave its last await hanging)', async () => {
    const host = await startHost([node('env-echo.mjs'), node('hang.mjs')], 'close');
    expect(await host.code).toBe(0);
    expect(host.output()).toContain('closed');
    await allGone(
      [...host.report.pids, host.report.watchdog as number],
      'the children and the watchdog to exit',
    );
  });
});
