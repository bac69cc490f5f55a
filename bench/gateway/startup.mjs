#!/usr/bin/env node
// Start-up of `mcpmux serve` alone, interleaved between checkouts (never a test): spawn -> first
// `echo` answered through the gateway (server-everything over stdio, the same upstream as run.mjs),
// the gateway's RSS at that moment, and Node's own start-up (`node -e 0`) beside it. Medians.
//
// Usage: node bench/gateway/startup.mjs [--reps N] [--mcpmux-before DIR] [--node-flags "FLAGS"]
//   --mcpmux-before DIR  also measure DIR's built `apps/cli/dist/bin.js serve` (its own home)
//   --node-flags FLAGS   extra flags for the measured `node` (e.g. "--max-semi-space-size=1"), both sides
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, rssKiB, startProcess, waitFor } from './lib/proc.mjs';
import { echo, findEchoTool, openSession } from './lib/sessions.mjs';
import { runMcpmuxCli } from './lib/targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const reps = Number(option('--reps') ?? 7);
const beforeDir = option('--mcpmux-before');
const nodeFlags = (option('--node-flags') ?? '').split(' ').filter(Boolean);
const tmp = mkdtempSync(join(tmpdir(), 'mcpmux-startup-'));
const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);
const env = {
  ...process.env,
  MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
  HOME: join(tmp, 'user'),
  NO_COLOR: '1',
};
delete env.MCPMUX_HOME;
const ctx = { mcpmuxEnv: env };

const installs = [
  ...(beforeDir
    ? [{ id: 'before', cliBin: join(beforeDir, 'apps/cli/dist/bin.js'), home: join(tmp, 'b') }]
    : []),
  { id: 'mcpmux', cliBin: join(repo, 'apps/cli/dist/bin.js'), home: join(tmp, 'a') },
];

async function setup(inst) {
  await runMcpmuxCli(ctx, ['init'], '', inst);
  await runMcpmuxCli(
    ctx,
    ['server', 'add', 'everything', '--command', process.execPath, '--arg', everything, '--arg', 'stdio'],
    '',
    inst,
  );
  inst.key = (await runMcpmuxCli(ctx, ['client', 'add', 'bench'], '', inst)).trim().split('\n').at(-1).trim();
  await runMcpmuxCli(ctx, ['client', 'grant', 'bench', 'all'], '', inst);
}

async function once(inst) {
  const port = await freePort();
  const t0 = performance.now();
  const proc = startProcess(
    process.execPath,
    [...nodeFlags, inst.cliBin, '--home', inst.home, 'serve', '--port', String(port)],
    { env },
  );
  const endpoint = {
    kind: 'http',
    url: `http://127.0.0.1:${port}/mcp`,
    headers: { Authorization: `Bearer ${inst.key}` },
  };
  let session;
  try {
    await waitFor(
      async () => {
        if (proc.exited) throw new Error(`exited: ${proc.stderr().slice(-400)}`);
        session = await openSession(endpoint);
        const tool = await findEchoTool(session);
        if (!(await echo(session, tool, 'ready'))) throw new Error('wrong echo');
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 10, what: `${inst.id} to answer echo` },
    );
    return { cold: performance.now() - t0, rss: rssKiB(proc.pid) / 1024 };
  } finally {
    await session?.close();
    await proc.stop();
  }
}

function nodeStart() {
  const t0 = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

try {
  for (const inst of installs) await setup(inst);
  const results = new Map(installs.map((i) => [i.id, { cold: [], rss: [] }]));
  const node = [];
  for (let r = 0; r < reps; r++) {
    node.push(nodeStart());
    for (const inst of installs) {
      const { cold, rss } = await once(inst);
      results.get(inst.id).cold.push(cold);
      results.get(inst.id).rss.push(rss);
      console.log(`  rep ${r + 1} ${inst.id}: ${cold.toFixed(0)} ms, ${rss.toFixed(1)} MiB`);
    }
  }
  console.log(`\n| target | spawn -> first echo ms | RSS MiB at first connect |\n|---|---:|---:|`);
  for (const inst of installs) {
    const r = results.get(inst.id);
    console.log(`| ${inst.id} | ${median(r.cold).toFixed(0)} | ${median(r.rss).toFixed(1)} |`);
  }
  console.log(`| node -e 0 | ${median(node).toFixed(0)} | |`);
  console.log(`\n${reps} interleaved repetitions, medians; node flags: ${nodeFlags.join(' ') || 'none'}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
