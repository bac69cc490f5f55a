// A throw-away user for running documentation walkthroughs: a temporary HOME (so `~/.mcpmux`,
// `~/.cursor/mcp.json` and friends land there), a `mcpmux` command on PATH that runs the built CLI,
// and an `npx` that starts the MCP servers installed for the e2e tests instead of downloading them.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './blocks.js';

const CLI = join(ROOT, 'apps', 'cli', 'dist', 'bin.js');
const SERVERS = join(ROOT, 'tests', 'e2e', 'node_modules', '@modelcontextprotocol');

/** What a finished script or command printed. */
export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary user with the mcpmux CLI on PATH. */
export interface Sandbox {
  /** The temporary HOME (also the working directory of every script). */
  home: string;
  /** Runs a shell script with `bash -euo pipefail`. */
  sh(script: string): Promise<Run>;
  /** Runs one `mcpmux` command; throws unless it exits 0. */
  ok(args: string[]): Promise<Run>;
  /** Starts a long-running `mcpmux` command (e.g. `serve`); the caller stops it. */
  start(args: string[], vars?: Record<string, string>): ChildProcessWithoutNullStreams;
  /** Runs one `mcpmux` command with extra environment variables, whatever its exit code. */
  cli(args: string[], vars?: Record<string, string>): Promise<Run>;
  /** Runs one `mcpmux --json` command and parses its stdout. */
  json<T>(args: string[]): Promise<T>;
  /** Reads a JSON file under HOME. */
  readJson<T>(path: string): T;
  /** Whether a file exists under HOME. */
  exists(path: string): boolean;
  cleanup(): void;
}

const NPX_SHIM = `#!/bin/sh
# Test stand-in for npx: starts the locally installed copy of an MCP server (no network).
[ "$1" = "-y" ] && shift
pkg="$1"; shift
case "$pkg" in
  @modelcontextprotocol/server-everything|@modelcontextprotocol/server-memory|@modelcontextprotocol/server-filesystem)
    exec "${process.execPath}" "${SERVERS}/\${pkg#@modelcontextprotocol/}/dist/index.js" "$@";;
esac
echo "npx (docs test stand-in): $pkg is not installed locally" >&2
exit 1
`;

const MCPMUX_SHIM = `#!/bin/sh
exec "${process.execPath}" "${CLI}" "$@"
`;

/** Creates a sandbox; `vars` are extra environment variables for the scripts. */
export function sandbox(vars: Record<string, string> = {}): Sandbox {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter mcpmux build)`);
  const home = mkdtempSync(join(tmpdir(), 'mcpmux-docs-'));
  const bin = join(home, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'mcpmux'), MCPMUX_SHIM);
  writeFileSync(join(bin, 'npx'), NPX_SHIM);
  chmodSync(join(bin, 'mcpmux'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  // A minimal environment: nothing of the developer's HOME, XDG dirs, keychain or mcpmux home leaks in.
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
    ...vars,
  };

  const start = (cmd: string, args: string[], vars: Record<string, string> = {}) =>
    spawn(cmd, args, { cwd: home, env: { ...env, ...vars }, stdio: ['pipe', 'pipe', 'pipe'] });

  const spawnRun = (cmd: string, args: string[], vars: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = start(cmd, args, vars);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end();
    });

  const ok = async (args: string[]): Promise<Run> => {
    const r = await spawnRun(process.execPath, [CLI, ...args]);
    if (r.status !== 0) throw new Error(`mcpmux ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r;
  };

  return {
    home,
    sh: (script) => spawnRun('bash', ['-euo', 'pipefail', '-c', script]),
    ok,
    start: (args, vars) => start(process.execPath, [CLI, ...args], vars),
    cli: (args, vars) => spawnRun(process.execPath, [CLI, ...args], vars),
    json: async <T>(args: string[]) => JSON.parse((await ok(['--json', ...args])).stdout) as T,
    readJson: <T>(path: string) => JSON.parse(readFileSync(join(home, path), 'utf8')) as T,
    exists: (path) => existsSync(join(home, path)),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
