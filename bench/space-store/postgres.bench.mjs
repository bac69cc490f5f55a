#!/usr/bin/env node
// PostgreSQL beside SQLite in one run: loadPolicyContext (cached and uncached) on the same realistic
// Space (50 servers, 1,000 FeatureSets, 10,000 cached features), and change propagation between two
// stores on one database (a write through store A, the watch event on store B; 200 writes).
//   pnpm --filter @mcpmux/space-store build && node bench/space-store/postgres.bench.mjs
// Starts a throwaway PostgreSQL server (Debian's postgresql package; tests/postgres) unless
// MCPMUX_BENCH_POSTGRES_URL names an empty database to use. Compare ratios within one run only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPostgresSpaceStore } from '@mcpmux/space-store/postgres';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { startPostgresServer } from '../../tests/postgres/src/server.js';

const SERVERS = 50;
const SETS = 1_000;
const FEATURES = 10_000;
const WRITES = 200;

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(iterations, fn, warmup = Math.min(50, iterations)) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...stats(samples), cpuMs: (cpu.user + cpu.system) / 1000 / iterations };
}

/** The same Space as policy-context.bench.mjs. */
async function seed(store) {
  await store.createSpace({ id: 'work' });
  await store.createSpace({ id: 'home' });
  for (let s = 0; s < SERVERS; s++) {
    const id = `server-${s}`;
    await store.createServer({
      id,
      transport: {
        type: 'stdio',
        command: 'node',
        args: [`server-${s}.js`],
        env: { TOKEN: '${secret:TOKEN}' },
      },
      inputs: [{ name: 'TOKEN', secret: true, required: true }],
      defaultEnabled: s < 5,
    });
    if (s >= 5) await store.install('work', id, { overrides: { env: { REGION: 'eu' } } });
  }
  const perServer = FEATURES / SERVERS;
  for (let s = 0; s < SERVERS; s++) {
    const server = `server-${s}`;
    const features = [];
    for (let f = 0; f < perServer; f++) {
      const kind = f % 10 === 8 ? 'prompt' : f % 10 === 9 ? 'resource' : 'tool';
      const name = kind === 'resource' ? `file:///${server}/r${f}` : `op_${f}`;
      features.push({
        kind,
        server,
        name,
        description: `Feature ${f} of ${server}`,
        definitionHash: `h${s}-${f}`,
        ...(kind === 'tool'
          ? { annotations: { readOnlyHint: f % 3 === 0, destructiveHint: f % 7 === 0 } }
          : {}),
      });
    }
    await store.replaceDiscovered('work', server, features);
  }
  const builtIn = (await store.listFeatureSets('work')).length;
  for (let i = 0; i < SETS - builtIn; i++) {
    const members = [
      { mode: 'include', selector: { type: 'featureSet', id: `server-all:server-${i % SERVERS}` } },
      {
        mode: 'include',
        selector: { type: 'feature', kind: 'tool', server: `server-${(i + 1) % SERVERS}`, name: 'op_1*' },
      },
      { mode: 'exclude', selector: { type: 'annotation', destructive: true } },
    ];
    if (i > 0) members.push({ mode: 'include', selector: { type: 'featureSet', id: `set-${i - 1}` } });
    await store.createFeatureSet('work', { id: `set-${i}`, members });
  }
  await store.addMember('work', 'default', {
    mode: 'include',
    selector: { type: 'annotation', readOnly: true },
  });
  await store.createClient({ id: 'cursor' });
  for (const set of ['set-10', 'set-500', 'set-900', 'server-all:server-3', 'all'])
    await store.grant('cursor', 'work', set);
}

/** Write through `a`, wait for `b`'s watch event; WRITES times. */
async function propagation(a, b) {
  let heard;
  const stop = b.watch(() => heard?.(performance.now()));
  const fromCommit = [];
  const fromStart = [];
  // Let the watch settle (its first cursor read; PostgreSQL: the LISTEN connection).
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < WRITES; i++) {
    const notified = new Promise((r) => {
      heard = r;
    });
    const t0 = performance.now();
    await a.updateSpace('home', { description: `tick ${i}` });
    const acked = performance.now();
    const at = await notified;
    fromStart.push(at - t0);
    fromCommit.push(Math.max(0, at - acked));
    heard = undefined;
    await new Promise((r) => setTimeout(r, Math.random() * 20));
  }
  stop();
  return { fromCommit: stats(fromCommit), fromStart: stats(fromStart) };
}

async function run(label, open) {
  const t0 = performance.now();
  const a = await open({});
  await seed(a);
  const setupS = (performance.now() - t0) / 1000;
  const cold = await open({ policyCache: false });
  const b = await open({});
  const rows = {};
  rows.uncached = await measure(100, () => cold.loadPolicyContext('cursor'), 10);
  rows.cached = await measure(20_000, () => a.loadPolicyContext('cursor'));
  rows.afterWrite = await measure(50, async (i) => {
    await a.setEnabled('work', 'server-7', i % 2 === 0);
    return a.loadPolicyContext('cursor');
  });
  await a.setEnabled('work', 'server-7', true);
  rows.propagation = await propagation(a, b);
  const ctx = await a.loadPolicyContext('cursor');
  const shape = `${ctx.servers.length} servers, ${ctx.featureSets.length} sets, ${ctx.catalog.length} features`;
  for (const s of [a, b, cold]) await s.close();
  return { label, setupS, shape, rows };
}

// The stores' watch timers do not keep a process alive (a gateway's sockets do): this one does.
const keepAlive = setInterval(() => {}, 1000);
const dir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-pg-'));
let server;
const results = [];
try {
  results.push(
    await run('SQLite (file, WAL)', async (o) => openSqliteSpaceStore({ path: join(dir, 'bench.db') }, o)),
  );
  let url = process.env.MCPMUX_BENCH_POSTGRES_URL;
  if (url === undefined) {
    server = await startPostgresServer();
    url = await server.createDatabase('bench');
  }
  results.push(await run('PostgreSQL (loopback)', async (o) => openPostgresSpaceStore({ url }, o)));
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  clearInterval(keepAlive);
}

const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const line = (cells) => console.log(`| ${cells.join(' | ')} |`);
console.log(`@mcpmux/space-store PostgreSQL beside SQLite (Node ${process.version}, ${process.platform})`);
for (const r of results) console.log(`${r.label}: ${r.shape}; seeded in ${r.setupS.toFixed(1)} s`);
console.log('');
line(['operation', ...results.flatMap((r) => [`${r.label} median`, 'p95', 'CPU/call'])]);
line(['---', ...results.flatMap(() => ['---:', '---:', '---:'])]);
const op = (name, pick) =>
  line([
    name,
    ...results.flatMap((r) => {
      const s = pick(r.rows);
      return [fmt(s.median), fmt(s.p95), s.cpuMs === undefined ? '—' : fmt(s.cpuMs)];
    }),
  ]);
op('loadPolicyContext, no cache (n=100)', (r) => r.uncached);
op('loadPolicyContext, cached (n=20,000)', (r) => r.cached);
op('write + loadPolicyContext (n=50)', (r) => r.afterWrite);
op(`write on A -> watch on B, from commit (n=${WRITES})`, (r) => r.propagation.fromCommit);
op(`write on A -> watch on B, from write start (n=${WRITES})`, (r) => r.propagation.fromStart);
