#!/usr/bin/env node
// The per-call path alone: sequential echo calls through each target, interleaved, with the
// gateway's user and system CPU split (/proc/<pid>/stat), its main thread's share, the measuring
// client's own CPU per call, and, with --strace, the syscalls per call.
// Usage: node bench/gateway/per-call.mjs [--targets mcpmux,mcp-hub] [--calls N] [--reps N]
//                                        [--strace] [--mcpmux-before DIR]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchContext } from './lib/context.mjs';
import { waitFor } from './lib/proc.mjs';
import { echo, findEchoTool, openSession } from './lib/sessions.mjs';
import { TARGETS } from './lib/targets.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const calls = Number(option('--calls', 2000));
const warmup = Number(option('--warmup', 300));
// --curve N: print the gateway's CPU per call for each window of N warm-up calls.
const curve = option('--curve') === undefined ? undefined : Number(option('--curve'));
const reps = Number(option('--reps', 3));
const strace = argv.includes('--strace');
// --perf DIR: `perf record` (on-CPU samples, kernel included) of each gateway during its measured
// calls, into DIR/<target>-<rep>.data; mcpmux runs with --perf-basic-prof so JS frames have names.
const perfDir = option('--perf');
const beforeDir = option('--mcpmux-before');
const ids = option('--targets', 'mcpmux,mcp-hub').split(',');
const targets = ids.map((id) => TARGETS.find((t) => t.id === id) ?? raise(`unknown target ${id}`));
// --variant NAME:KEY=VALUE[,KEY=VALUE]: also measure mcpmux with these environment variables set.
for (let i = argv.indexOf('--variant'); i >= 0; i = argv.indexOf('--variant', i + 1)) {
  const [name, assignments] = argv[i + 1].split(':');
  const env = Object.fromEntries(assignments.split(',').map((a) => a.split('=')));
  const base = TARGETS.find((t) => t.id === 'mcpmux');
  targets.push({
    id: name,
    setup: (c) => base.setup(c),
    start: (c) => base.start({ ...c, mcpmuxEnv: { ...c.mcpmuxEnv, ...env } }),
  });
}
function raise(message) {
  throw new Error(message);
}

const tmp = mkdtempSync(join(tmpdir(), 'mcpmux-per-call-'));
const ctx = benchContext(tmp, { beforeDir });
if (perfDir) ctx.mcpmuxEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof`.trim();

const TICK = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function taskTimes(pid, tid) {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK;
  } catch {
    return 0; // the thread ended
  }
}
/** User and system CPU of the whole process, and CPU of its main thread (the event loop). */
function times(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * TICK, sys: Number(f[12]) * TICK, main: taskTimes(pid, pid) };
}
const threads = (pid) =>
  execFileSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' })
    .trim()
    .split('\n');

async function once(target, rep) {
  await target.setup?.(ctx);
  const instance = await target.start(ctx);
  let session;
  try {
    const ready = await waitFor(
      async () => {
        const s = await openSession(instance.endpoint);
        const tool = await findEchoTool(s);
        await echo(s, tool, 'ready');
        return { s, tool };
      },
      { timeoutMs: 60_000, what: `${target.id} to answer` },
    );
    session = ready.s;
    if (curve) {
      // CPU per call in windows of `curve` calls from the first call on: how the JIT warms up.
      const points = [];
      for (let w = 0; w < warmup / curve; w++) {
        const c0 = times(instance.pid);
        for (let i = 0; i < curve; i++) await echo(session, ready.tool, `warm-${w}-${i}`);
        const c1 = times(instance.pid);
        points.push(Math.round((c1.user + c1.sys - c0.user - c0.sys) / curve));
      }
      console.log(`${target.id} µs/call per ${curve} calls: ${points.join(' ')}`);
    } else {
      for (let i = 0; i < warmup; i++) await echo(session, ready.tool, `warm-${i}`);
    }
    let tracer;
    let traced = '';
    let recorder;
    if (perfDir) {
      recorder = spawn(
        'perf',
        [
          'record',
          '-q',
          '-F',
          '1999',
          '-g',
          '-p',
          String(instance.pid),
          '-o',
          join(perfDir, `${target.id}-${rep}.data`),
        ],
        { stdio: 'ignore' },
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    if (strace) {
      tracer = spawn(
        'strace',
        ['-f', '-c', '-p', String(instance.pid), ...threads(instance.pid).flatMap((t) => ['-p', t])],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      tracer.stderr.on('data', (d) => {
        traced += d;
      });
      await new Promise((r) => setTimeout(r, 500));
    }
    const t0 = times(instance.pid);
    const client0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < calls; i++) {
      if (!(await echo(session, ready.tool, `seq-${i}-${randomBytes(4).toString('hex')}`)))
        throw new Error('bad echo');
    }
    const wall = performance.now() - w0;
    const t1 = times(instance.pid);
    const client = process.cpuUsage(client0);
    if (recorder) {
      recorder.kill('SIGINT');
      await new Promise((r) => recorder.on('close', r));
    }
    if (tracer) {
      tracer.kill('SIGINT');
      await new Promise((r) => tracer.on('close', r));
    }
    return {
      rate: (calls / wall) * 1000,
      user: (t1.user - t0.user) / calls,
      sys: (t1.sys - t0.sys) / calls,
      main: (t1.main - t0.main) / calls,
      client: (client.user + client.system) / calls,
      traced,
    };
  } finally {
    await session?.close();
    await instance.stop?.();
    await instance.proc?.stop();
  }
}

const results = new Map(targets.map((t) => [t.id, []]));
for (let r = 0; r < reps; r++) {
  for (const t of targets) {
    const res = await once(t, r + 1);
    results.get(t.id).push(res);
    console.log(
      `${t.id.padEnd(14)} rep ${r + 1}: ${res.rate.toFixed(0)} calls/s, user ${res.user.toFixed(0)} µs, sys ${res.sys.toFixed(0)} µs, main thread ${res.main.toFixed(0)} µs per call; client ${res.client.toFixed(0)} µs per call`,
    );
    if (res.traced) {
      const lines = res.traced.split('\n').filter((l) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(l));
      for (const l of lines) {
        const cols = l.trim().split(/\s+/);
        const n = Number(cols[3]);
        if (n / calls >= 0.2) console.log(`   ${(n / calls).toFixed(2).padStart(6)}/call ${cols.at(-1)}`);
      }
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedians');
for (const t of targets) {
  const rs = results.get(t.id);
  console.log(
    `${t.id.padEnd(14)} ${median(rs.map((x) => x.rate)).toFixed(0)} calls/s, user ${median(rs.map((x) => x.user)).toFixed(0)} µs, sys ${median(rs.map((x) => x.sys)).toFixed(0)} µs, main thread ${median(rs.map((x) => x.main)).toFixed(0)} µs per call; client ${median(rs.map((x) => x.client)).toFixed(0)} µs per call`,
  );
}
rmSync(tmp, { recursive: true, force: true });
process.exit(0); // the SDK clients' keep-alive sockets would hold the loop open
