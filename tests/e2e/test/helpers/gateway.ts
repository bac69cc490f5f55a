import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI_BIN } from './cli.js';
import type { TempHome } from './home.js';
import { commandLineOf, descendantsOf, isAlive, killGroup, waitFor } from './processes.js';

/** A running `mcpmux serve` child process. */
export interface RunningGateway {
  /** `http://127.0.0.1:<port>/mcp`. */
  url: string;
  port: number;
  pid: number;
  /** Everything the gateway printed to stderr so far (for failure messages). */
  stderr(): string;
  /** Live descendants of the gateway process (its upstream children). */
  children(): number[];
  /**
   * SIGTERM, wait for exit, then check that none of its descendants outlived it. Whatever is left
   * is SIGKILLed (the whole process group) and reported.
   *
   * @throws Error listing orphaned child processes, or when the gateway ignores SIGTERM.
   */
  stop(): Promise<void>;
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<RunningGateway>();

/**
 * Starts `mcpmux serve --port <free>` for a home as a real child process in its own process group
 * and waits until `GET /health` answers 200.
 *
 * @param home the temp home (its env carries the master key).
 * @param extraArgs more `serve` flags, e.g. `['--anonymous', 'laptop']`. Default none.
 * @throws Error with the gateway's stderr when it exits or is not healthy within 30 s.
 * @example
 * ```ts
 * const gateway = await startGateway(home);
 * const client = await connectHttp(gateway.url, key);
 * await gateway.stop();
 * ```
 */
export async function startGateway(home: TempHome, extraArgs: string[] = []): Promise<RunningGateway> {
  // The free port is released before the gateway binds it; another process may take it in between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGatewayOnce(home, extraArgs);
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startGatewayOnce(home: TempHome, extraArgs: string[]): Promise<RunningGateway> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI_BIN, '--home', home.dir, 'serve', '--port', String(port), ...extraArgs],
    { env: home.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid!;
  const base = `http://127.0.0.1:${port}`;

  const gateway: RunningGateway = {
    url: `${base}/mcp`,
    port,
    pid,
    stderr: () => stderr,
    children: () => descendantsOf(pid),
    async stop() {
      running.delete(gateway);
      if (exited) {
        killGroup(pid);
        return;
      }
      const seen = new Map(descendantsOf(pid).map((p) => [p, commandLineOf(p)]));
      child.kill('SIGTERM');
      const stopped = await Promise.race([
        exit.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
      ]);
      if (!stopped) {
        killGroup(pid);
        throw new Error(`gateway ${pid} ignored SIGTERM for 10 s`);
      }
      let orphans: number[] = [];
      try {
        await waitFor(
          () => {
            orphans = [...seen.keys()].filter(isAlive);
            return orphans.length === 0;
          },
          { timeoutMs: 5_000, what: 'upstream children to exit' },
        );
      } catch {
        killGroup(pid);
        throw new Error(
          `gateway left orphan child processes: ${orphans.map((p) => `${p} ${seen.get(p)}`).join('; ')}`,
        );
      }
      killGroup(pid);
    },
  };
  running.add(gateway);

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error('exited');
        const res = await fetch(`${base}/health`);
        return res.status === 200;
      },
      { timeoutMs: 30_000, what: `mcpmux serve on port ${port} to be healthy` },
    );
  } catch (error) {
    killGroup(pid);
    running.delete(gateway);
    throw new Error(`mcpmux serve did not become healthy: ${stderr.trim().slice(-2000)}`, { cause: error });
  }
  return gateway;
}

/**
 * Stops every gateway this test file started and not yet stopped (for `afterEach`), then rethrows the
 * first failure (an orphan child fails the test that leaked it).
 */
export async function stopAllGateways(): Promise<void> {
  const errors: unknown[] = [];
  for (const gateway of [...running]) {
    try {
      await gateway.stop();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
