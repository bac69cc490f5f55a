#!/usr/bin/env node
/**
 * Recall of the lean-mode tool search without a gateway (DESIGN §14, issue #21): builds the search
 * index straight from the gateway's source (packages/gateway/src/internal/lean/search-index.ts,
 * bundled on the fly with esbuild) over the same 2,000-tool catalog `run.mjs` serves, and reports
 * recall@1/@5 of queries.json and the holdout sets, the index build time and the search latency
 * (in-process: no MCP, no JSON). Seconds per run instead of a gateway start, for working on the
 * ranking; `run.mjs` stays the end-to-end measurement of record.
 *
 *   node bench/lean/recall.mjs [--misses] [--rounds N] [--query "a task"] [--baseline OLD.ts]
 *
 * `--query` prints the top 10 of one query with scores. `--baseline` measures another version of
 * search-index.ts side by side, builds and searches interleaved in one process so machine load hits
 * both alike, e.g.:
 *
 *   git show 41c3452:packages/gateway/src/internal/lean/search-index.ts > /tmp/old-search-index.ts
 *   node bench/lean/recall.mjs --baseline /tmp/old-search-index.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fillerServers } from './lib/filler.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// esbuild is the gateway's dev dependency (its build), resolved from there.
const { build } = createRequire(join(root, 'packages', 'gateway', 'package.json'))('esbuild');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const showMisses = args.includes('--misses');
const ROUNDS = Number(option('--rounds') ?? 5);
const TOTAL = 2000;
const REAL = ['everything', 'filesystem', 'memory', 'github', 'git'];
const SETS = ['queries.json', 'queries-holdout.json', 'queries-holdout-2.json', 'queries-holdout-3.json'];

const out = mkdtempSync(join(tmpdir(), 'mcpmux-recall-'));
/** Bundles one version of search-index.ts and imports it. */
const load = async (source, name) => {
  const file = join(out, `${name}.mjs`);
  await build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: file,
    absWorkingDir: join(root, 'packages', 'gateway'),
    logLevel: 'error',
  });
  return import(pathToFileURL(file).href);
};

try {
  const engines = [
    ['current', await load(join(root, 'packages/gateway/src/internal/lean/search-index.ts'), 'cur')],
  ];
  const baseline = option('--baseline');
  if (baseline !== undefined) engines.unshift(['baseline', await load(baseline, 'base')]);

  // The catalog as the gateway exposes it: `<server id>_<tool>`, servers in install order.
  const real = REAL.map((id) => JSON.parse(readFileSync(join(here, 'fixtures', `${id}.json`), 'utf8')));
  const realCount = real.reduce((n, s) => n + s.tools.length, 0);
  const servers = [
    ...real.map((s) => ({ id: s.server, tools: s.tools })),
    ...fillerServers(TOTAL - realCount),
  ];
  const tools = [];
  const aliasOf = new Map();
  for (const s of servers) {
    for (const t of s.tools) {
      const name = `${s.id}_${t.name}`;
      tools.push({ ...t, name });
      aliasOf.set(name, s.id);
    }
  }
  const alias = (n) => aliasOf.get(n);

  const query = option('--query');
  if (query !== undefined) {
    for (const [label, engine] of engines) {
      console.log(`${label}:`);
      for (const h of engine.buildToolSearchIndex(tools, alias).search(query, 10)) {
        console.log(`  ${h.score} ${h.name} - ${h.description}`);
      }
    }
    process.exit(0);
  }

  const sets = SETS.map((file) => [file, JSON.parse(readFileSync(join(here, file), 'utf8')).queries]);
  const all = sets.flatMap(([, qs]) => qs.map((q) => q.query));
  const stats = new Map(engines.map(([label]) => [label, { firstSearch: 0, builds: [], searches: [] }]));
  // The first search of each engine in this process (tables it loads on first use, if any).
  for (const [label, engine] of engines) {
    const t0 = performance.now();
    engine.buildToolSearchIndex(tools.slice(0, 3), alias).search('look for a file', 5);
    stats.get(label).firstSearch = performance.now() - t0;
  }
  // Builds and searches, the engines interleaved (and their order alternated) round by round.
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? engines : [...engines].reverse();
    for (const [label, engine] of order) {
      const s = stats.get(label);
      let t0 = performance.now();
      const index = engine.buildToolSearchIndex(tools, alias);
      s.builds.push(performance.now() - t0);
      for (const q of all) {
        t0 = performance.now();
        index.search(q, 5);
        s.searches.push(performance.now() - t0);
      }
    }
  }

  const pct = (n, d) => `${((100 * n) / d).toFixed(1)} % (${n}/${d})`;
  const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  const ms = (x) => `${x.toFixed(2)} ms`;
  const rows = new Map();
  const row = (name, values) => rows.set(name, [...(rows.get(name) ?? []), values]);
  const misses = [];
  for (const [label, engine] of engines) {
    const index = engine.buildToolSearchIndex(tools, alias);
    for (const [file, queries] of sets) {
      let at1 = 0;
      let at5 = 0;
      for (const q of queries) {
        const names = index.search(q.query, 5).map((h) => h.name);
        const rank = names.findIndex((n) => q.expected.includes(n));
        if (rank === 0) at1++;
        if (rank !== -1) at5++;
        else if (label === 'current') {
          misses.push(`- (${file}) "${q.query}": wanted ${q.expected.join(' or ')}; got ${names.join(', ')}`);
        }
      }
      row(`recall@5, ${file}`, pct(at5, queries.length));
      row(`recall@1, ${file}`, pct(at1, queries.length));
    }
    const s = stats.get(label);
    row(`index build, ${tools.length} tools (median of ${ROUNDS})`, ms(p(s.builds, 0.5)));
    row('first search in the process (3-tool index)', ms(s.firstSearch));
    row(`search p50 (${s.searches.length} searches)`, ms(p(s.searches, 0.5)));
    row('search p95', ms(p(s.searches, 0.95)));
  }
  console.log(`| measurement | ${engines.map(([label]) => label).join(' | ')} |`);
  console.log(`|---|${engines.map(() => '---:').join('|')}|`);
  for (const [name, values] of rows) console.log(`| ${name} | ${values.join(' | ')} |`);
  if (showMisses) console.log(`\nMissed in the top 5 (current):\n${misses.join('\n')}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
