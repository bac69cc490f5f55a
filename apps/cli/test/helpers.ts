import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type CliIo, run } from '../src/index.js';

/** The result of one in-process CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp user home with an mcpmux home inside and a random master key; `cli()` runs commands in it. */
export interface Sandbox {
  dir: string;
  home: string;
  env: Record<string, string | undefined>;
  cli(
    argv: string[],
    opts?: { stdin?: string; tty?: boolean; prompt?: CliIo['prompt']; signal?: AbortSignal },
  ): Promise<RunResult>;
  json<T = unknown>(argv: string[], opts?: { stdin?: string }): Promise<T>;
  /** Runs a command that must succeed; throws with its stderr otherwise. */
  ok(argv: string[], opts?: { stdin?: string }): Promise<RunResult>;
  /**
   * Starts a long-running command (`serve`, `logs -f`) in-process with an open stdin; it runs until
   * `stop()` aborts its signal. `exited` resolves with its exit code.
   */
  start(argv: string[]): { output: CapturedOutput; exited: Promise<number>; stop(): void };
  cleanup(): void;
}

/** Output streams for an in-process CLI run, with the text written to each so far. */
export interface CapturedOutput {
  stdout: PassThrough;
  stderr: PassThrough;
  /** Everything written to `stdout` so far. */
  out(): string;
  /** Everything written to `stderr` so far. */
  err(): string;
}

/** Fresh stdout and stderr streams that keep what is written to them (see {@link CapturedOutput}). */
export function captureOutput(): CapturedOutput {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { stdout, stderr, out: () => out, err: () => err };
}

/** A fresh {@link sandbox} with `mcpmux init` run and space `work` created. */
export async function workSandbox(): Promise<Sandbox> {
  const sb = sandbox();
  try {
    await sb.ok(['init']);
    await sb.ok(['space', 'create', 'work']);
  } catch (err) {
    sb.cleanup();
    throw err;
  }
  return sb;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-cli-'));
  const home = join(dir, 'mcpmux-home');
  const env: Record<string, string | undefined> = {
    HOME: dir,
    MCPMUX_HOME: home,
    MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
    PATH: process.env.PATH,
    XDG_CONFIG_HOME: join(dir, '.config'),
  };
  const cli: Sandbox['cli'] = async (argv, opts = {}) => {
    const stdin = new PassThrough();
    const output = captureOutput();
    stdin.end(opts.stdin ?? '');
    const code = await run(argv, {
      stdin,
      stdout: output.stdout,
      stderr: output.stderr,
      env,
      cwd: dir,
      isTTY: opts.tty === true,
      platform: 'linux',
      ...(opts.prompt ? { prompt: opts.prompt } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { code, stdout: output.out(), stderr: output.err() };
  };
  return {
    dir,
    home,
    env,
    cli,
    async json<T>(argv: string[], opts: { stdin?: string } = {}) {
      const r = await cli([...argv, '--json'], opts);
      if (r.code !== 0) throw new Error(`mcpmux ${argv.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async ok(argv: string[], opts: { stdin?: string } = {}) {
      const r = await cli(argv, opts);
      if (r.code !== 0) throw new Error(`mcpmux ${argv.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r;
    },
    start(argv: string[]) {
      const abort = new AbortController();
      const output = captureOutput();
      const exited = run(argv, {
        stdin: new PassThrough(),
        stdout: output.stdout,
        stderr: output.stderr,
        env,
        cwd: dir,
        isTTY: false,
        signal: abort.signal,
      });
      return { output, exited, stop: () => abort.abort() };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Absolute path of an installed reference MCP server's entry script (from tests/e2e). */
export function referenceServer(name: 'server-memory' | 'server-everything'): string {
  return join(
    import.meta.dirname,
    '..',
    '..',
    '..',
    'tests',
    'e2e',
    'node_modules',
    '@modelcontextprotocol',
    name,
    'dist',
    'index.js',
  );
}

/** `server add memory` arguments launching the installed server-memory with its file under `dir`. */
export function memoryServerArgs(dir: string): string[] {
  return [
    'server',
    'add',
    'memory',
    '--command',
    process.execPath,
    '--arg',
    referenceServer('server-memory'),
    '--env',
    `MEMORY_FILE_PATH=${join(dir, 'memory.jsonl')}`,
  ];
}
