#!/usr/bin/env node
// Benchmark of @mcpmux/featuresets against its built dist (build first:
// `pnpm --filter @mcpmux/featuresets build`). Run: `node bench/featuresets/resolve.bench.mjs`.
//
// Workload: 10,000 features (50 servers x 200; ~30% read-only tools, ~20% destructive), 1,000
// FeatureSets nested up to depth 8 with feature globs, server and annotation selectors, includes
// and excludes (also `exclude featureSet`), and grants of 5 sets.
import { performance } from 'node:perf_hooks';
import { compileFeatureSets, createResolver, resolve } from '@mcpmux/featuresets';

const REPETITIONS = Number(process.env.REPS ?? 5);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(42);
const pick = (items) => items[Math.floor(rand() * items.length)];

const SERVER_BASES = [
  'github',
  'gitlab',
  'jira',
  'slack',
  'linear',
  'notion',
  'postgres',
  'mysql',
  'redis',
  'filesystem',
  'deploy',
  'kubernetes',
  'docker',
  'aws',
  'gcp',
  'azure',
  'sentry',
  'datadog',
  'figma',
  'stripe',
  'twilio',
  'sendgrid',
  'confluence',
  'asana',
  'trello',
  'zendesk',
  'hubspot',
  'salesforce',
  'shopify',
  'vercel',
  'netlify',
  'cloudflare',
  'terraform',
  'ansible',
  'jenkins',
  'circleci',
  'npm',
  'pypi',
  'maven',
  'search',
  'browser',
  'puppeteer',
  'memory',
  'time',
  'fetch',
  'sqlite',
  'mongodb',
  'elastic',
  'grafana',
  'pagerduty',
];
const VERBS_RO = ['get', 'list', 'search', 'read', 'describe', 'show', 'find', 'query'];
const VERBS_RW = ['create', 'update', 'add', 'set', 'write', 'move', 'rename', 'merge', 'run', 'deploy'];
const VERBS_DEL = ['delete', 'remove', 'drop', 'destroy', 'purge'];
const NOUNS = [
  'issue',
  'comment',
  'branch',
  'file',
  'repository',
  'pull_request',
  'label',
  'user',
  'team',
  'project',
  'page',
  'table',
  'record',
  'secret',
  'service',
  'pod',
  'bucket',
  'message',
  'channel',
  'ticket',
  'invoice',
  'customer',
  'release',
  'tag',
  'build',
];

function makeCatalog() {
  const features = [];
  for (const server of SERVER_BASES) {
    const names = new Set();
    while (names.size < 200) {
      const r = rand();
      const verbs = r < 0.3 ? VERBS_RO : r < 0.5 ? VERBS_DEL : VERBS_RW;
      names.add(`${pick(verbs)}_${pick(NOUNS)}_${names.size % 7}`);
    }
    for (const name of names) {
      const r = rand();
      const kind = r < 0.8 ? 'tool' : r < 0.9 ? 'prompt' : 'resource';
      if (kind === 'resource') {
        features.push({ kind, server, name: `${server}://${name.replaceAll('_', '/')}` });
        continue;
      }
      const verb = name.slice(0, name.indexOf('_'));
      let annotations;
      if (VERBS_RO.includes(verb)) annotations = { readOnlyHint: true };
      else if (VERBS_DEL.includes(verb)) annotations = { destructiveHint: true };
      else if (rand() < 0.6) annotations = { readOnlyHint: false, destructiveHint: false };
      features.push(annotations === undefined ? { kind, server, name } : { kind, server, name, annotations });
    }
  }
  return features;
}

function makeSets() {
  const LAYERS = 9; // layer 0 .. 8: nesting depth 8
  const perLayer = Math.floor(1000 / LAYERS);
  const layers = [];
  let n = 0;
  for (let l = 0; l < LAYERS; l++) {
    const count = l === LAYERS - 1 ? 1000 - n : perLayer;
    layers.push(Array.from({ length: count }, (_, i) => `L${l}-${i}`));
    n += count;
  }
  const selector = () => {
    const r = rand();
    const server = pick(SERVER_BASES);
    if (r < 0.25)
      return { type: 'feature', kind: 'tool', server, name: `${pick(VERBS_RO)}_${pick(NOUNS)}_?` };
    if (r < 0.4)
      return { type: 'feature', kind: 'tool', server: `${server.slice(0, 2)}*`, name: `*_${pick(NOUNS)}_*` };
    if (r < 0.5) return { type: 'feature', kind: 'tool', server, name: `create_${pick(NOUNS)}_1` };
    if (r < 0.7) return { type: 'server', server, kind: pick(['tool', 'prompt', 'resource']) };
    if (r < 0.75) return { type: 'server', server: `${server[0]}*` };
    if (r < 0.9) return { type: 'annotation', readOnly: true };
    return { type: 'annotation', destructive: false };
  };
  const sets = [
    { id: 'all', name: 'All', kind: 'all', members: [] },
    { id: 'default', name: 'Default', kind: 'default', members: [] },
  ];
  layers.forEach((layer, l) => {
    for (const id of layer) {
      const members = [];
      const next = layers[l + 1];
      if (next !== undefined) {
        const k = 1 + Math.floor(rand() * 3);
        for (let i = 0; i < k; i++)
          members.push({ mode: 'include', selector: { type: 'featureSet', id: pick(next) } });
        if (rand() < 0.1) members.push({ mode: 'exclude', selector: { type: 'featureSet', id: pick(next) } });
      }
      const s = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < s; i++) members.push({ mode: 'include', selector: selector() });
      if (rand() < 0.3) {
        members.push({
          mode: 'exclude',
          selector: {
            type: 'feature',
            kind: 'tool',
            server: '*',
            name: `${pick(VERBS_DEL)}_${pick(NOUNS)}_*`,
          },
        });
      }
      if (rand() < 0.05)
        members.push({ mode: 'exclude', selector: { type: 'annotation', destructive: true } });
      sets.push({ id, name: id, kind: 'custom', members });
    }
  });
  return { sets, roots: layers[0] };
}

const catalog = makeCatalog();
const { sets: featureSets, roots } = makeSets();
const grantLists = Array.from({ length: 200 }, () => Array.from({ length: 5 }, () => pick(roots)));
const grants = grantLists[0];

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95), n: sorted.length };
}

// Wall-clock ms of one call; its CPU ms (user + system of this process) goes to `cpu[label]`.
const cpu = { cold: [], warm: [], compiled: [], explain: [], allows: [] };
function time(fn, label) {
  const c = label === undefined ? undefined : process.cpuUsage();
  const t = performance.now();
  fn();
  const wall = performance.now() - t;
  if (c !== undefined) {
    const d = process.cpuUsage(c);
    cpu[label].push((d.user + d.system) / 1000);
  }
  return wall;
}

const results = { cold: [], warm: [], hot: [], compiled: [], allows: [], explain: [] };
let sink = 0;
const probes = Array.from({ length: 4096 }, () => pick(catalog));
for (let rep = 0; rep < REPETITIONS; rep++) {
  // cold: a new catalog array each time, so every index is built from scratch
  for (let i = 0; i < 30; i++) {
    const fresh = catalog.slice();
    results.cold.push(
      time(
        () => (sink += resolve({ catalog: fresh, featureSets, grants: grantLists[i] }).allowed.length),
        'cold',
      ),
    );
  }
  // warm: one resolver, same catalog array, grant lists it has not seen (index and set matches reused)
  const resolver = createResolver();
  resolver.resolve({ catalog, featureSets, grants });
  for (let i = 1; i < grantLists.length; i++) {
    results.warm.push(
      time(
        () => (sink += resolver.resolve({ catalog, featureSets, grants: grantLists[i] }).allowed.length),
        'warm',
      ),
    );
  }
  // hot: the same grants again (result cached; builds a fresh `allowed` array)
  for (let i = 0; i < 200; i++) {
    results.hot.push(time(() => (sink += resolver.resolve({ catalog, featureSets, grants }).allowed.length)));
  }
  // compiled: compileFeatureSets once, resolve(catalog) over a new catalog array each time
  const compiled = compileFeatureSets({ featureSets, grants });
  for (let i = 0; i < 30; i++) {
    const fresh = catalog.slice();
    results.compiled.push(time(() => (sink += compiled.resolve(fresh).allowed.length), 'compiled'));
  }
  // allows(): ns per lookup, batches of 100,000
  const resolution = resolver.resolve({ catalog, featureSets, grants });
  for (let b = 0; b < 20; b++) {
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < 100_000; i++) if (resolution.allows(probes[i & 4095])) sink++;
    results.allows.push(((performance.now() - t) * 1e6) / 100_000);
    const d = process.cpuUsage(c);
    cpu.allows.push(((d.user + d.system) * 1000) / 100_000);
  }
  // explain(): per call
  for (let i = 0; i < 50; i++) {
    const ref = probes[(i * 37) & 4095];
    results.explain.push(time(() => (sink += resolution.explain(ref).includedBy.length), 'explain'));
  }
}

const allowedCount = resolve({ catalog, featureSets, grants }).allowed.length;
const fmt = (v, unit) => (unit === 'ns' ? `${v.toFixed(0)} ns` : `${v.toFixed(3)} ms`);
const rows = [
  ['cold resolve() (new catalog array each call)', results.cold, 'ms', cpu.cold],
  ['compiled resolve(catalog) (new catalog array each call)', results.compiled, 'ms', cpu.compiled],
  ['createResolver(), same catalog, unseen grants', results.warm, 'ms', cpu.warm],
  ['createResolver(), same catalog, same grants', results.hot, 'ms'],
  ['allows() per lookup', results.allows, 'ns', cpu.allows],
  ['explain() per call', results.explain, 'ms', cpu.explain],
];
console.log(
  `@mcpmux/featuresets bench: ${catalog.length} features, ${featureSets.length} sets (depth 8), ` +
    `grants of ${grants.length} sets -> ${allowedCount} allowed; ${REPETITIONS} repetitions; node ${process.version}`,
);
console.log('');
console.log('| measure | median | p95 | CPU median | samples |');
console.log('|---|---:|---:|---:|---:|');
for (const [label, samples, unit, cpuSamples] of rows) {
  const s = stats(samples);
  const c = cpuSamples === undefined ? '' : fmt(stats(cpuSamples).median, unit);
  console.log(`| ${label} | ${fmt(s.median, unit)} | ${fmt(s.p95, unit)} | ${c} | ${s.n} |`);
}
if (sink === -1) console.log(sink);
