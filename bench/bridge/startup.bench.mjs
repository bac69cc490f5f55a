#!/usr/bin/env node
// Start-up of the thin stdio bridge (`mcpmux stdio --client ID`, issue #14): from spawning the bridge
// to the answer of its first `tools/list`, as an app sees it.
//
//   1. with the gateway running: median of 20 (Node's bare start-up measured alongside, for the split);
//   2. with no gateway running: the bridge starts it (`mcpmux start` in a child, the detached gateway,
//      its upstream) and answers; median of 5, the gateway stopped between runs.
//
// The home has a key file (no MCPMUX_MASTER_KEY in any environment) and one stdio upstream.
// Run after building: `pnpm --filter mcpmux... build && node bench/bridge/startup.bench.mjs`.
// The no-gateway runs start the gateway on the default port 45818, which must be free.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../apps/cli/dist/bin.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('../../apps/server/test/fixtures/echo-server.mjs', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 20);
const FIRST_START_RUNS = Number(process.env.FIRST_START_RUNS ?? 5);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (n) => `${n.toFixed(0)} ms`;

const root = mkdtempSync(join(tmpdir(), 'mcpmux-bridge-bench-'));
const home = join(root, 'home');
const env = { ...process.env, HOME: root, NO_COLOR: '1' };
delete env.MCPMUX_MASTER_KEY;
delete env.MCPMUX_HOME;
delete env.DBUS_SESSION_BUS_ADDRESS;
const cli = (...args) =>
  execFileSync(process.execPath, [CLI, '--home', home, ...args], { env, encoding: 'utf8' });

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};
const HANDSHAKE = `${[
  INIT,
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
]
  .map((m) => JSON.stringify(m))
  .join('\n')}\n`;

/** Spawns `argv`, writes `input`, resolves when a stdout line matches `done` (ms since spawn, pid, RSS). */
function timeUntil(argv, input, done) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let finished = false;
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d) => {
      out += d;
      if (finished || !done(out)) return;
      finished = true;
      const elapsed = performance.now() - start;
      const rss =
        Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      child.stdin.end();
      child.once('close', () => resolve({ elapsed, rss }));
    });
    child.once('close', (code) => {
      if (!finished) reject(new Error(`exited ${code} before answering: ${err.trim()}`));
    });
    child.stdin.write(input);
  });
}

const bridge = () =>
  timeUntil([CLI, '--home', home, 'stdio', '--client', 'bench'], HANDSHAKE, (out) => /"id":2[,}]/.test(out));

try {
  cli('init');
  cli('server', 'add', 'echo', '--command', process.execPath, '--arg', UPSTREAM, '--no-connect');
  cli('client', 'add', 'bench');
  cli('client', 'grant', 'bench', 'all');

  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(
      (await timeUntil(['-e', 'process.stdout.write("x\\n")'], '', (out) => out.includes('x'))).elapsed,
    );
  }

  cli('start', '--port', '0');
  await bridge(); // the gateway starts its upstream on the first session
  const warm = [];
  const rss = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await bridge();
    warm.push(r.elapsed);
    rss.push(r.rss);
  }
  cli('stop');

  const cold = [];
  for (let i = 0; i < FIRST_START_RUNS; i++) {
    cold.push((await bridge()).elapsed);
    cli('stop');
  }

  const node = process.version;
  console.log(`mcpmux stdio bridge start-up (${node}, ${RUNS} runs; ${FIRST_START_RUNS} with no gateway)`);
  console.log(`  Node bare start-up (spawn -> first stdout line): median ${ms(median(bare))}`);
  console.log(
    `  bridge, gateway running (spawn -> tools/list answer): median ${ms(median(warm))}, p90 ${ms(pct(warm, 90))}, min ${ms(Math.min(...warm))}; of which beyond bare Node: ${ms(median(warm) - median(bare))}`,
  );
  console.log(
    `  bridge RSS at its first answer: median ${median(rss).toFixed(1)} MiB, max ${Math.max(...rss).toFixed(1)} MiB`,
  );
  console.log(
    `  bridge, no gateway running (starts it, then tools/list): median ${ms(median(cold))}, min ${ms(Math.min(...cold))}, max ${ms(Math.max(...cold))}`,
  );
} finally {
  try {
    cli('stop');
  } catch {
    // not running
  }
  rmSync(root, { recursive: true, force: true });
}
