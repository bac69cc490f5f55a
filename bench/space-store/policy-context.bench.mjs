#!/usr/bin/env node
// Benchmark of the gateway's per-request store queries on a realistic Space:
// 50 servers, 1,000 FeatureSets, 10,000 cached features, on a temp SQLite file.
//   pnpm --filter @mcpmux/space-store build && node bench/space-store/policy-context.bench.mjs
// Prints a table of median / p95 / mean per operation. Compare ratios within one run only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';

const SERVERS = 50;
const SETS = 1_000;
const FEATURES = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-'));
const path = join(dir, 'bench.db');

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(label, iterations, fn, warmup = Math.min(50, iterations)) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time per call is steadier than wall time on a shared machine.
  return { label, ...stats(samples), cpuMs: (cpu.user + cpu.system) / 1000 / iterations };
}

// --- setup -----------------------------------------------------------------------------------
const setupStart = performance.now();
const store = openSqliteSpaceStore({ path });
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
const builtIn = (await store.listFeatureSets('work')).length; // all, default, 50 x server-all
const customs = SETS - builtIn;
for (let i = 0; i < customs; i++) {
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
const { accessKey } = await store.createClient({ id: 'cursor' });
for (const set of ['set-10', 'set-500', 'set-900', 'server-all:server-3', 'all'])
  await store.grant('cursor', 'work', set);
const setupMs = performance.now() - setupStart;

const ctx = await store.loadPolicyContext('cursor');
const shape = `${ctx.servers.length} servers, ${ctx.featureSets.length} sets, ${ctx.catalog.length} features, ${ctx.grants.length} grants`;

// --- measurements ----------------------------------------------------------------------------
const cold = openSqliteSpaceStore({ path }, { policyCache: false });
const rows = [];
rows.push(await measure('loadPolicyContext (no cache)', 200, () => cold.loadPolicyContext('cursor')));
rows.push(
  await measure('loadPolicyContext (cached, unchanged)', 20_000, () => store.loadPolicyContext('cursor')),
);
rows.push(
  await measure('loadPolicyContext after a write', 100, async (i) => {
    await store.setEnabled('work', 'server-7', i % 2 === 0);
    return store.loadPolicyContext('cursor');
  }),
);
rows.push(await measure('effectiveServers (50)', 2_000, () => store.effectiveServers('work')));
rows.push(await measure('authenticate', 5_000, () => store.authenticate(accessKey)));
rows.push(await measure('revision', 5_000, () => store.revision()));
await store.setEnabled('work', 'server-7', true);

// Cross-process change signal: a child writes, this process's watcher hears it.
const child = join(dir, 'writer.mjs');
writeFileSync(
  child,
  `import { openSqliteSpaceStore } from ${JSON.stringify(import.meta.resolve('@mcpmux/space-store/sqlite'))};
const store = openSqliteSpaceStore({ path: ${JSON.stringify(path)} });
let i = 0;
process.stdin.on('data', async () => {
  await store.updateSpace('home', { description: 'tick ' + i++ });
  process.stdout.write(String(performance.timeOrigin + performance.now()) + '\\n');
});
process.stdout.write('ready\\n');
`,
);
const proc = spawn(process.execPath, [child], { stdio: ['pipe', 'pipe', 'inherit'] });
proc.stdout.setEncoding('utf8');
const lines = [];
proc.stdout.on('data', (d) => lines.push(...d.split('\n').filter(Boolean)));
while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 10));
const latencies = [];
let heard;
const stop = store.watch(() => heard?.(performance.timeOrigin + performance.now()));
for (let i = 0; i < 40; i++) {
  const before = lines.length;
  const notified = new Promise((r) => {
    heard = r;
  });
  proc.stdin.write('go\n');
  const at = await notified;
  while (lines.length === before) await new Promise((r) => setTimeout(r, 1));
  latencies.push(at - Number(lines.at(-1)));
  await new Promise((r) => setTimeout(r, Math.random() * 50));
}
stop();
proc.kill();
rows.push({ label: 'cross-process change -> watch (50 ms poll)', ...stats(latencies) });

await cold.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

// --- report ----------------------------------------------------------------------------------
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
console.log(`@mcpmux/space-store policy-context bench (Node ${process.version}, ${process.platform})`);
console.log(`Space: ${shape}; setup ${(setupMs / 1000).toFixed(1)} s`);
console.log('');
console.log('| operation | n | median | p95 | mean | CPU/call |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const cpu = r.cpuMs === undefined ? '—' : fmt(r.cpuMs);
  console.log(`| ${r.label} | ${r.n} | ${fmt(r.median)} | ${fmt(r.p95)} | ${fmt(r.mean)} | ${cpu} |`);
}
