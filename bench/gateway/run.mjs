#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
// Side-by-side gateway benchmark. One command starts everything on 127.0.0.1 and measures, in the
// same run and against the same upstream (server-everything's `echo` tool over stdio):
//   direct stdio, direct Streamable HTTP (server-everything's own HTTP mode), mcpmux, mcp-proxy,
//   supergateway --stateful and mcp-hub (legacy SSE).
// Measures: cold start to the first echo, sequential tools/call throughput and p50/p99, 8 and 32
// concurrent sessions (throughput, p99, nonce-checked replies), gateway CPU µs/call
// (/proc/<pid>/stat), gateway RSS, memory per idle session; then tools/list with many upstreams,
// tools and FeatureSets (mcpmux, and direct over stdio for reference).
// Repetitions are interleaved (rep 1 of every target, then rep 2...) and reported as medians.
//
// Usage: node bench/gateway/run.mjs [--quick] [--reps N] [--targets id,id] [--no-scale] [--out FILE]
//                                   [--profile DIR] [--scale SERVERSxTOOLSxSETS] [--mcpmux-before DIR]
//   --quick     smoke run: 1 repetition, few calls, small scale setup; prints, writes nothing
//   --out FILE  where to write the report (default BENCHMARKS.md at the repository root for full runs)
//   --scale 20x100x200  size of the tools/list scale phase (default 20x100x200, --quick 5x100x20)
//   --profile DIR  run `mcpmux serve` under `node --cpu-prof` and leave the .cpuprofile files in
//                  DIR/<target id> (summarise one with `node bench/gateway/profile-summary.mjs FILE`)
//   --mcpmux-before DIR  also measure target `mcpmux-before`: `mcpmux serve` of another built checkout
//                  (DIR/apps/cli/dist/bin.js, e.g. a `git worktree` of an older commit), interleaved
//                  with the others against the same upstream, on its own home
// Targets run unless --targets names others: direct-stdio, direct-http, mcpmux, mcp-proxy,
// supergateway, mcp-hub (and mcpmux-before with --mcpmux-before). Only when named: mcpmux-2026
// (mcpmux driven by the v2 SDK client pinned to MCP 2026-07-28 instead of the v1 client, 2025-11-25).
// With mcpmux-before or mcpmux-2026 in the run, an extra table compares them with mcpmux and mcp-hub.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchContext } from './lib/context.mjs';
import { cpuMicros, rssKiB, treeRssKiB, waitFor } from './lib/proc.mjs';
import { measureScale } from './lib/scale.mjs';
import { echo, findEchoTool, openSession } from './lib/sessions.mjs';
import { assertLoopback, runMcpmuxCli, TARGETS } from './lib/targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const quick = flag('--quick');
const config = quick
  ? {
      reps: 1,
      warmup: 50,
      seq: 300,
      warmLead: 100,
      concTotal: 320,
      idle: 5,
      scale: { servers: 5, tools: 100, sets: 20, iters: 20 },
    }
  : {
      reps: 3,
      warmup: 200,
      seq: 2000,
      warmLead: 1000,
      concTotal: 2048,
      idle: 20,
      scale: { servers: 20, tools: 100, sets: 200, iters: 100 },
    };
if (option('--reps')) config.reps = Number(option('--reps'));
if (option('--scale')) {
  const [servers, tools, sets] = option('--scale').split('x').map(Number);
  config.scale = { ...config.scale, servers, tools, sets };
}
const beforeDir = option('--mcpmux-before');
const selected = option('--targets')?.split(',');
const optional = new Set(['mcpmux-2026', ...(beforeDir ? [] : ['mcpmux-before'])]);
const targets = TARGETS.filter((t) => (selected ? selected.includes(t.id) : !optional.has(t.id)));
const outFile = option('--out') ?? (quick ? undefined : join(repo, 'BENCHMARKS.md'));

const resolve = (spec) => fileURLToPath(import.meta.resolve(spec));
const tmp = mkdtempSync(join(tmpdir(), 'mcpmux-bench-'));
const gitCommit = (dir) => {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown'; // not a git checkout
  }
};
const ctx = benchContext(tmp, { beforeDir, profileDir: option('--profile') });
// The checkouts whose `mcpmux serve` is measured (each on its own home; setup fills in `key`).
ctx.mcpmux.commit = gitCommit(repo);
if (ctx.mcpmuxBefore) {
  ctx.mcpmuxBefore.commit = gitCommit(beforeDir);
  const before = targets.find((t) => t.id === 'mcpmux-before');
  if (before) before.label = `mcpmux before (${ctx.mcpmuxBefore.commit})`;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

async function firstEcho(endpoint) {
  let session;
  try {
    session = await openSession(endpoint);
    const tool = await findEchoTool(session);
    if (!(await echo(session, tool, 'ready'))) throw new Error('echo replied with the wrong text');
    return { session, tool };
  } catch (error) {
    await session?.close();
    throw error;
  }
}

async function sequential(session, tool, pid, warmup = config.warmup) {
  for (let i = 0; i < warmup; i++) await echo(session, tool, `warm-${i}`);
  const lat = [];
  let bad = 0;
  const cpu0 = pid ? cpuMicros(pid) : 0;
  const t0 = performance.now();
  for (let i = 0; i < config.seq; i++) {
    const s = performance.now();
    if (!(await echo(session, tool, `seq-${i}-${randomBytes(4).toString('hex')}`))) bad++;
    lat.push(performance.now() - s);
  }
  const wall = performance.now() - t0;
  const cpu = pid ? (cpuMicros(pid) - cpu0) / config.seq : undefined;
  lat.sort((a, b) => a - b);
  return { rate: (config.seq / wall) * 1000, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), cpu, bad };
}

async function concurrent(instance, first, tool, n) {
  const sessions = instance.shared
    ? Array.from({ length: n }, () => first)
    : await Promise.all(Array.from({ length: n }, () => openSession(instance.endpoint)));
  try {
    await Promise.all(
      sessions.map(async (s, k) => {
        for (let i = 0; i < 5; i++) await echo(s, tool, `warm-${k}-${i}`);
      }),
    );
    const per = Math.ceil(config.concTotal / n);
    const lat = [];
    let mixups = 0;
    const cpu0 = instance.pid ? cpuMicros(instance.pid) : 0;
    const t0 = performance.now();
    await Promise.all(
      sessions.map(async (s, k) => {
        for (let i = 0; i < per; i++) {
          const nonce = `s${k}-c${i}-${randomBytes(6).toString('hex')}`;
          const t = performance.now();
          if (!(await echo(s, tool, nonce))) mixups++;
          lat.push(performance.now() - t);
        }
      }),
    );
    const wall = performance.now() - t0;
    const calls = per * n;
    lat.sort((a, b) => a - b);
    return {
      rate: (calls / wall) * 1000,
      p99: quantile(lat, 0.99),
      mixups,
      cpu: instance.pid ? (cpuMicros(instance.pid) - cpu0) / calls : undefined,
    };
  } finally {
    if (!instance.shared) await Promise.all(sessions.map((s) => s.close()));
  }
}

async function idleSessions(instance) {
  if (instance.shared || !instance.pid) return { gateway: undefined, tree: undefined };
  const gw0 = rssKiB(instance.pid);
  const tree0 = treeRssKiB(instance.pid);
  const open = [];
  try {
    for (let i = 0; i < config.idle; i++) {
      const s = await openSession(instance.endpoint);
      await s.client.listTools();
      open.push(s);
    }
    return {
      gateway: (rssKiB(instance.pid) - gw0) / config.idle,
      tree: (treeRssKiB(instance.pid) - tree0) / config.idle,
    };
  } finally {
    await Promise.all(open.map((s) => s.close()));
  }
}

async function runOnce(target) {
  const t0 = performance.now();
  const instance = await target.start(ctx);
  let first;
  try {
    const ready = await waitFor(
      async () => {
        if (instance.proc?.exited) throw new Error(`exited: ${instance.proc.stderr().trim().slice(-500)}`);
        return await firstEcho(instance.endpoint);
      },
      { timeoutMs: 60_000, what: `${target.label} to answer echo` },
    );
    const cold = performance.now() - t0;
    // The gateway's memory once it has answered its first call, before any load phase.
    const rssFirst = instance.pid ? rssKiB(instance.pid) / 1024 : undefined;
    first = ready.session;
    if (instance.port) assertLoopback(target.label, instance.port);
    // Idle sessions first, while the heap is small: after the load phases a GC during the idle
    // phase can shrink RSS more than the sessions grow it.
    const idle = await idleSessions(instance);
    const seq = await sequential(first, ready.tool, instance.pid);
    const c8 = await concurrent(instance, first, ready.tool, 8);
    const c32 = await concurrent(instance, first, ready.tool, 32);
    // The same sequential measure once the processes' JIT has warmed up (a gateway that has run for
    // a while): after the phases above and `warmLead` more sequential calls.
    const seqWarm = await sequential(first, ready.tool, instance.pid, config.warmLead);
    const rss = instance.pid ? rssKiB(instance.pid) / 1024 : undefined;
    return { cold, seq, seqWarm, c8, c32, rss, rssFirst, idle };
  } finally {
    await first?.close();
    await instance.stop?.();
    await instance.proc?.stop();
  }
}

function row(target, runs) {
  const ok = runs.filter((r) => !r.error);
  if (ok.length === 0) return { target, error: runs[0]?.error ?? 'not run' };
  const m = (f) => median(ok.map(f));
  return {
    target,
    reps: ok.length,
    cold: m((r) => r.cold),
    seqRate: m((r) => r.seq.rate),
    seqP50: m((r) => r.seq.p50),
    seqP99: m((r) => r.seq.p99),
    c8Rate: m((r) => r.c8.rate),
    c8P99: m((r) => r.c8.p99),
    c32Rate: m((r) => r.c32.rate),
    c32P99: m((r) => r.c32.p99),
    seqWarmRate: m((r) => r.seqWarm.rate),
    seqWarmP50: m((r) => r.seqWarm.p50),
    mixups: ok.reduce((n, r) => n + r.c8.mixups + r.c32.mixups + r.seq.bad + r.seqWarm.bad, 0),
    cpu: m((r) => r.seq.cpu),
    cpuWarm: m((r) => r.seqWarm.cpu),
    cpu32: m((r) => r.c32.cpu),
    rss: m((r) => r.rss),
    rssFirst: m((r) => r.rssFirst),
    idleGw: m((r) => r.idle.gateway),
    idleTree: m((r) => r.idle.tree),
  };
}

const fmt = (v, digits = 0) =>
  v === undefined
    ? '—'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (v, base) =>
  v === undefined || base === undefined || base === 0 ? '—' : `${(v / base).toFixed(2)}×`;

function table(rows) {
  const direct = rows.find((r) => r.target.id === 'direct-http');
  const header = [
    'target',
    'cold start ms',
    'seq calls/s',
    'seq ÷ direct HTTP',
    'seq p50 ms',
    'seq p99 ms',
    'seq calls/s, warm',
    'seq warm ÷ direct HTTP',
    '8 sess calls/s',
    '8 sess p99 ms',
    '32 sess calls/s',
    '32 sess ÷ direct HTTP',
    '32 sess p99 ms',
    'mixed-up replies',
    'gateway CPU µs/call (seq)',
    'gateway CPU µs/call (seq, warm)',
    'gateway CPU µs/call (32 sess)',
    'gateway RSS MiB at first connect',
    'gateway RSS MiB',
    'KiB/idle session (gateway)',
    'KiB/idle session (with children)',
  ];
  const lines = rows.map((r) =>
    r.error
      ? [
          r.target.label,
          `failed: ${String(r.error).split('\n')[0].slice(0, 120)}`,
          ...header.slice(2).map(() => ''),
        ]
      : [
          r.target.label,
          fmt(r.cold),
          fmt(r.seqRate),
          ratio(r.seqRate, direct?.seqRate),
          fmt(r.seqP50, 2),
          fmt(r.seqP99, 2),
          fmt(r.seqWarmRate),
          ratio(r.seqWarmRate, direct?.seqWarmRate),
          fmt(r.c8Rate),
          fmt(r.c8P99, 2),
          fmt(r.c32Rate),
          ratio(r.c32Rate, direct?.c32Rate),
          fmt(r.c32P99, 2),
          String(r.mixups),
          fmt(r.cpu),
          fmt(r.cpuWarm),
          fmt(r.cpu32),
          fmt(r.rssFirst, 1),
          fmt(r.rss, 1),
          fmt(r.idleGw),
          fmt(r.idleTree),
        ],
  );
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

/**
 * mcpmux side by side with the other mcpmux targets of the run (the checkout before, the 2026-07-28
 * client) and mcp-hub: one line per measure, medians and ratios. Undefined when neither other mcpmux
 * target is in the run.
 */
function erasTable(rows) {
  const by = (id) => rows.find((r) => r.target.id === id && !r.error);
  const after = by('mcpmux');
  const before = by('mcpmux-before');
  const hub = by('mcp-hub');
  const modern = by('mcpmux-2026');
  if (!after || (!before && !modern)) return undefined;
  const measures = [
    ['cold start ms', (r) => r.cold, 0],
    ['seq calls/s', (r) => r.seqRate, 0],
    ['seq p50 ms', (r) => r.seqP50, 2],
    ['seq p99 ms', (r) => r.seqP99, 2],
    ['seq calls/s, warm', (r) => r.seqWarmRate, 0],
    ['seq p50 ms, warm', (r) => r.seqWarmP50, 2],
    ['8 sess calls/s', (r) => r.c8Rate, 0],
    ['8 sess p99 ms', (r) => r.c8P99, 2],
    ['32 sess calls/s', (r) => r.c32Rate, 0],
    ['32 sess p99 ms', (r) => r.c32P99, 2],
    ['gateway CPU µs/call (seq)', (r) => r.cpu, 0],
    ['gateway CPU µs/call (seq, warm)', (r) => r.cpuWarm, 0],
    ['gateway CPU µs/call (32 sess)', (r) => r.cpu32, 0],
    ['gateway RSS MiB at first connect', (r) => r.rssFirst, 1],
    ['gateway RSS MiB', (r) => r.rss, 1],
    ['KiB/idle session (gateway)', (r) => r.idleGw, 0],
    ['mixed-up replies', (r) => r.mixups, 0],
  ];
  const columns = [
    ['measure', (m) => m[0]],
    ...(before
      ? [
          [before.target.label, (m) => fmt(m[1](before), m[2])],
          ['mcpmux', (m) => fmt(m[1](after), m[2])],
          ['mcpmux ÷ before', (m) => ratio(m[1](after), m[1](before))],
        ]
      : [['mcpmux', (m) => fmt(m[1](after), m[2])]]),
    ...(hub
      ? [
          [hub.target.label, (m) => fmt(m[1](hub), m[2])],
          ['mcpmux ÷ mcp-hub', (m) => ratio(m[1](after), m[1](hub))],
        ]
      : []),
    ...(modern
      ? [
          [modern.target.label, (m) => fmt(m[1](modern), m[2])],
          ['2026 client ÷ 2025 client', (m) => ratio(m[1](modern), m[1](after))],
        ]
      : []),
  ];
  return [
    `| ${columns.map((c) => c[0]).join(' | ')} |`,
    `|${columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...measures.map((m) => `| ${columns.map((c) => c[1](m)).join(' | ')} |`),
  ].join('\n');
}

function machine() {
  const cpu = cpus();
  const sdkEntry = resolve('@modelcontextprotocol/sdk/client/index.js');
  const sdkRoot = sdkEntry.slice(0, sdkEntry.lastIndexOf('/dist/'));
  const sdk = JSON.parse(readFileSync(join(sdkRoot, 'package.json'), 'utf8')).version;
  const v2Entry = resolve('@modelcontextprotocol/client');
  const v2Root = v2Entry.slice(0, v2Entry.lastIndexOf('/dist/'));
  const v2 = JSON.parse(readFileSync(join(v2Root, 'package.json'), 'utf8')).version;
  const modern = targets.some((t) => t.id === 'mcpmux-2026');
  const before = ctx.mcpmuxBefore && targets.some((t) => t.id === 'mcpmux-before');
  return [
    `- Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`,
    `- Node ${process.version}; @modelcontextprotocol/sdk ${sdk} (client side of every measurement${modern ? `; @modelcontextprotocol/client ${v2} pinned to 2026-07-28 for "mcpmux, 2026-07-28 client"` : ''}); mcpmux at commit ${ctx.mcpmux.commit}${before ? `, mcpmux before at commit ${ctx.mcpmuxBefore.commit}` : ''}`,
    '- Peers: mcp-proxy 6.7.19, supergateway 4.0.0 (`--stateful`), mcp-hub 4.2.1; upstream @modelcontextprotocol/server-everything 2026.8.31',
  ].join('\n');
}

async function main() {
  console.log(`mcpmux gateway benchmark${quick ? ' (--quick)' : ''}: ${targets.map((t) => t.id).join(', ')}`);
  console.log(
    `  ${config.reps} interleaved repetition(s), ${config.seq} sequential calls after ${config.warmup} warm-up, ${config.concTotal} calls per concurrency level`,
  );
  const runs = new Map(targets.map((t) => [t, []]));
  const mcpmuxTarget = targets.find((t) => t.id === 'mcpmux');
  for (const target of targets.filter((t) => t.setup)) {
    const install = target.install(ctx);
    if (!install) {
      runs.get(target).push({ error: `${target.id} needs --mcpmux-before DIR (a built checkout)` });
    } else if (!existsSync(install.cliBin)) {
      runs.get(target).push({ error: `${install.cliBin} is missing (pnpm --filter mcpmux... build there)` });
    } else {
      try {
        await target.setup(ctx);
      } catch (error) {
        runs.get(target).push({ error: error.message });
      }
    }
  }
  for (let rep = 1; rep <= config.reps; rep++) {
    for (const target of targets) {
      if (runs.get(target).some((r) => r.error)) continue;
      process.stdout.write(`  rep ${rep} ${target.label} ... `);
      try {
        const r = await runOnce(target);
        runs.get(target).push(r);
        console.log(
          `seq ${fmt(r.seq.rate)}/s p50 ${fmt(r.seq.p50, 2)} ms; warm ${fmt(r.seqWarm.rate)}/s; 32 sess ${fmt(r.c32.rate)}/s; cold ${fmt(r.cold)} ms`,
        );
      } catch (error) {
        console.log(
          `failed: ${error.message}${error.cause ? ` (${error.cause.message ?? error.cause})` : ''}`,
        );
        runs.get(target).push({ error: error.message });
      }
    }
  }
  const rows = targets.map((t) => row(t, runs.get(t)));
  const main = table(rows);
  console.log(`\n${main}\n`);
  const eras = erasTable(rows);
  if (eras) console.log(`${eras}\n`);

  let scale;
  if (!flag('--no-scale') && mcpmuxTarget && !runs.get(mcpmuxTarget).some((r) => r.error)) {
    console.log(
      `tools/list scale: ${config.scale.servers} upstreams × ${config.scale.tools} tools, ${config.scale.sets} FeatureSets`,
    );
    try {
      scale = await measureScale(ctx, config.scale, runMcpmuxCli);
      console.log(`\n${scale.table}\n`);
    } catch (error) {
      console.log(`  scale measurement failed: ${error.message}`);
      scale = { table: `Scale measurement failed: ${error.message}` };
    }
  }

  if (outFile) {
    const command = `node bench/gateway/run.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
    writeFileSync(outFile, report({ main, eras, scale, command }));
    // Align the markdown tables the way the repository's formatter wants them (best effort).
    const biome = join(repo, 'node_modules', '.bin', 'biome');
    if (existsSync(biome)) {
      try {
        execFileSync(biome, ['format', '--write', outFile], { stdio: 'ignore' });
      } catch {
        // formatting is cosmetic
      }
    }
    console.log(`wrote ${outFile}`);
  }
}

function report({ main, eras, scale, command }) {
  return `# Benchmarks

Side-by-side cost of an MCP gateway, measured in one run on one machine against the same upstream.
Compare ratios within this run; absolute numbers move with the machine and its load.

## How to reproduce

\`\`\`sh
pnpm install && pnpm --filter mcpmux... build
${command}          # or: pnpm --filter @mcpmux/bench bench:gateway
node bench/gateway/run.mjs --quick    # smoke run, prints only
\`\`\`

${machine()}
- Date: ${new Date().toISOString()}

## Per-call cost: \`tools/call\` of server-everything \`echo\`

${config.reps} interleaved repetitions (every target once, then again), medians. Sequential: one
session, ${config.warmup} warm-up calls, then ${config.seq} timed calls. Concurrent: 8 and 32 sessions
(separate MCP sessions, each with its own connection) issuing ${config.concTotal} calls in total, every reply
checked against the nonce in its request. *Warm*: the sequential measure again at the end, after the
concurrent phases and ${config.warmLead} more warm-up calls (V8 has by then optimized the hot path of
the gateway, its upstream and the client; the first sequential phase still runs largely unoptimized
code). Every target listens on 127.0.0.1 only (checked in
/proc/net/tcp after start-up).

${main}
${eras ? `\n## mcpmux against mcpmux before, mcp-hub, and a 2026-07-28 client\n\nMedians from the table above.\n\n${eras}\n` : ''}
## \`tools/list\` at scale (mcpmux)

${scale?.table ?? 'Not measured in this run.'}

## Notes

${notes()}
`;
}

function notes() {
  return `- **What each column means.** *Cold start*: from spawning the process to the first successful
  \`echo\` reply through it (for mcpmux: \`mcpmux serve\` on a home prepared with \`init\`,
  \`server add everything\`, \`client add\`, \`client grant ... all\`). *Gateway CPU µs/call*: user +
  system time of the gateway process alone (not its upstream child) from /proc/<pid>/stat, divided by
  the calls; for "direct Streamable HTTP" it is the server process itself, so it includes the echo
  work. *Gateway RSS at first connect*: right after the first \`echo\` reply, before any load
  phase. *Gateway RSS*: after the load phases. *KiB/idle session*: RSS growth of the gateway process
  (and of the gateway plus its children) per extra idle session (\`initialize\` + one
  \`tools/list\`), over ${config.idle} sessions opened right after start-up, before the load phases;
  RSS moves with garbage collection, so small or negative values mean "below the noise".
- **direct stdio** has no gateway: concurrent callers share one stdio connection (one server process),
  which is the ceiling for the upstream itself, not a comparable multi-session figure.
- **supergateway --stateful** starts one upstream child per session (its "with children" memory shows
  it); it also wraps the upstream in \`/bin/sh -c\`.
- **mcp-hub** speaks legacy SSE to clients and answers \`initialize\` before its upstream is connected;
  its cold start is measured to the first successful echo, like every other target.
- The SDK's HTTP client transport accumulates AbortSignal listeners until GC, so long runs print
  MaxListenersExceeded warnings; they come from the client side and affect every HTTP target alike.
- The SDK client itself costs 1–2 ms of CPU per HTTP call on this class of machine, on the same two
  cores as the gateway under test: gateways that spend less CPU per message leave more for the client
  and win throughput.`;
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
// The v1 SDK's legacy SSE client (mcp-hub's sessions) can leave EventSource reconnect timers (every
// 3 s, to a port nobody listens on any more) that keep Node alive after a full run: exit when done.
process.exit(process.exitCode ?? 0);
