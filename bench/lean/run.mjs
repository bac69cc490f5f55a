#!/usr/bin/env node
/**
 * Lean mode bench (DESIGN §14, issue #21), run with node (not in CI):
 *
 *   pnpm --filter mcpmux... build && node bench/lean/run.mjs [--rounds N]
 *
 * One real gateway (@mcpmux/gateway, SQLite store) in front of 25 stdio upstreams: the five real
 * servers' captured tool lists (fixtures/*.json: server-everything, -filesystem, -memory, github,
 * git) and 20 generated filler servers, 2,000 tools in all. Two SDK clients (in-memory transport):
 * `full` and `lean`, both granted `all`.
 *
 * (a) tokens of the tools/list result (all pages, the tool definitions as JSON), o200k_base
 *     (js-tiktoken), full vs lean; (b) recall@1/@5 of the labelled query set (queries.json) through
 *     `mcpmux_search_tools` (limit 5) and its latency, p50/p95 over every query x rounds, after one
 *     warm-up search; (c) the first search after a view change (index build) and the time from a
 *     grant change to search finding a newly granted tool. Prints markdown.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { createEnvKeyProvider } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import { fillerServers } from './lib/filler.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// LEAN_BENCH_GATEWAY: another build of the gateway to measure (a path to its index.js), for a
// side-by-side run against a baseline; default the package's dist.
const { createGateway } = await import(
  process.env.LEAN_BENCH_GATEWAY ?? join(here, '..', '..', 'packages', 'gateway', 'dist', 'index.js')
);

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = flag('--rounds', 5);
const TOTAL = 2000;
const REAL = ['everything', 'filesystem', 'memory', 'github', 'git'];

const enc = new Tiktoken(o200k_base);
const tokens = (value) => enc.encode(JSON.stringify(value)).length;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => x.toFixed(2);

const dir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-lean-'));
const store = openSqliteSpaceStore({ path: join(dir, 'store.db') });
const vault = await openSqliteVault({
  database: store.database,
  keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
});
const gateway = createGateway({
  store,
  vault,
  env: { PATH: process.env.PATH, HOME: process.env.HOME },
  connectTimeoutMs: 60_000,
  auditFlushMs: 200,
});
const clients = [];

try {
  // -- the catalog: real lists + filler up to 2,000 tools --------------------------------------
  await store.createSpace({ id: 'bench' });
  const real = REAL.map((id) => JSON.parse(readFileSync(join(here, 'fixtures', `${id}.json`), 'utf8')));
  const realCount = real.reduce((n, s) => n + s.tools.length, 0);
  const filler = fillerServers(TOTAL - realCount);
  const servers = [...real.map((s) => ({ id: s.server, tools: s.tools })), ...filler];
  for (const s of servers) {
    const file = join(dir, `${s.id}.json`);
    writeFileSync(file, JSON.stringify({ tools: s.tools }));
    await store.createServer({
      id: s.id,
      transport: {
        type: 'stdio',
        command: process.execPath,
        args: [join(here, 'fixtures', 'replay-server.mjs'), file],
      },
    });
    await store.install('bench', s.id);
  }
  await store.createFeatureSet('bench', {
    id: 'no-github',
    // Every server but github, by includes only (an exclude would win over a later grant of `all`).
    members: servers
      .filter((s) => s.id !== 'github')
      .map((s) => ({ mode: 'include', selector: { type: 'server', server: s.id } })),
  });
  await store.createClient({ id: 'full' });
  await store.createClient({ id: 'lean', lean: true });
  await store.createClient({ id: 'grower', lean: true });
  await store.grant('full', 'bench', 'all');
  await store.grant('lean', 'bench', 'all');
  await store.grant('grower', 'bench', 'no-github');
  const started = performance.now();
  await gateway.start();

  const connect = async (clientId) => {
    const [a, b] = InMemoryTransport.createLinkedPair();
    await gateway.connect(b, { clientId });
    const client = new Client({ name: `bench-${clientId}`, version: '1.0.0' });
    await client.connect(a);
    clients.push(client);
    return client;
  };
  const listAll = async (client) => {
    const tools = [];
    let cursor;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  };
  const full = await connect('full');
  const lean = await connect('lean');
  const fullTools = await listAll(full);
  const ready = performance.now() - started;
  if (fullTools.length !== TOTAL)
    throw new Error(`expected ${TOTAL} tools, the full client lists ${fullTools.length}`);
  const leanTools = await listAll(lean);

  // -- (a) tokens ------------------------------------------------------------------------------
  const fullTokens = tokens(fullTools);
  const leanTokens = tokens(leanTools);

  // -- (b) recall and latency -------------------------------------------------------------------
  const search = async (client, query, limit = 5) => {
    const t0 = performance.now();
    const r = await client.callTool({ name: 'mcpmux_search_tools', arguments: { query, limit } });
    const dt = performance.now() - t0;
    return { names: (r.structuredContent?.tools ?? []).map((t) => t.name), ms: dt, result: r };
  };
  const firstSearch = await search(lean, 'warm up');
  const misses = [];
  const { queries } = JSON.parse(readFileSync(join(here, 'queries.json'), 'utf8'));
  const holdouts = ['queries-holdout.json', 'queries-holdout-2.json', 'queries-holdout-3.json'].map(
    (file) => [file, JSON.parse(readFileSync(join(here, file), 'utf8')).queries],
  );
  const unknown = [...queries, ...holdouts.flatMap(([, h]) => h)]
    .flatMap((q) => q.expected)
    .filter((n) => !fullTools.some((t) => t.name === n));
  if (unknown.length > 0) throw new Error(`labels name tools not in the catalog: ${unknown.join(', ')}`);
  const holdoutAt5 = [];
  for (const [file, holdout] of holdouts) {
    let hits = 0;
    for (const q of holdout) {
      const { names } = await search(lean, q.query);
      if (names.some((n) => q.expected.includes(n))) hits++;
      else misses.push({ query: q.query, expected: q.expected, got: names.slice(0, 3), file });
    }
    holdoutAt5.push([file, hits, holdout.length]);
  }
  let at1 = 0;
  let at5 = 0;
  let hardAt5 = 0;
  const latencies = [];
  for (const q of queries) {
    const { names } = await search(lean, q.query);
    const rank = names.findIndex((n) => q.expected.includes(n));
    if (rank === 0) at1++;
    if (rank !== -1) {
      at5++;
      if (q.hard) hardAt5++;
    } else misses.push({ query: q.query, expected: q.expected, got: names.slice(0, 3) });
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of queries) latencies.push((await search(lean, q.query)).ms);
  }
  latencies.sort((a, b) => a - b);
  const sample = await search(lean, queries[0].query, 8);
  const resultTokens = tokens(sample.result.content);
  const hard = queries.filter((q) => q.hard).length;

  // -- (c) a grant change reaching search ---------------------------------------------------------
  const grower = await connect('grower');
  const visible = [];
  for (let i = 0; i < 5; i++) {
    if ((await search(grower, 'create a GitHub issue', 50)).names.includes('github_create_issue')) {
      throw new Error('github_create_issue found before the grant');
    }
    const t0 = performance.now();
    await store.grant('grower', 'bench', 'all');
    for (;;) {
      if ((await search(grower, 'create a GitHub issue')).names.includes('github_create_issue')) break;
      if (performance.now() - t0 > 10_000)
        throw new Error(
          `the grant did not reach search in 10 s: ${(await search(grower, 'create a GitHub issue')).names}`,
        );
    }
    visible.push(performance.now() - t0);
    await store.ungrant('grower', 'bench', 'all');
    const t1 = performance.now();
    while ((await search(grower, 'create a GitHub issue', 50)).names.includes('github_create_issue')) {
      if (performance.now() - t1 > 10_000) throw new Error('the ungrant did not reach search in 10 s');
    }
  }
  visible.sort((a, b) => a - b);

  // -- report -----------------------------------------------------------------------------------
  const pctOf = (n, d) => `${((100 * n) / d).toFixed(1)} %`;
  const lines = [
    `Catalog: ${TOTAL} tools from ${servers.length} stdio upstreams (${realCount} real tools of ${REAL.join(', ')}; ${TOTAL - realCount} generated filler). Gateway ready with the full list in ${Math.round(ready)} ms. Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end; tokenizer o200k_base (js-tiktoken); ${queries.length} queries (${hard} hard), latency over ${latencies.length} searches (${ROUNDS} rounds).`,
    '',
    '| measurement | value | goal |',
    '|---|---:|---|',
    `| tools/list tokens, full (${fullTools.length} tools) | ${fullTokens.toLocaleString('en-US')} | |`,
    `| tools/list tokens, lean (${leanTools.length} tools) | ${leanTokens.toLocaleString('en-US')} | |`,
    `| lean ÷ full | ${pctOf(leanTokens, fullTokens)} | < 2 % |`,
    `| tokens of one search result (8 hits, no schemas) | ${resultTokens} | |`,
    `| recall@5 | ${pctOf(at5, queries.length)} (${at5}/${queries.length}) | ≥ 90 % |`,
    `| recall@1 | ${pctOf(at1, queries.length)} (${at1}/${queries.length}) | |`,
    `| recall@5, hard queries only | ${pctOf(hardAt5, hard)} (${hardAt5}/${hard}) | |`,
    ...holdoutAt5.map(
      ([file, hits, n]) => `| recall@5, holdout set (${file}) | ${pctOf(hits, n)} (${hits}/${n}) | |`,
    ),
    `| search latency p50, end to end (SDK client, in-memory) | ${ms(pct(latencies, 50))} ms | < 5 ms |`,
    `| search latency p95 | ${ms(pct(latencies, 95))} ms | |`,
    `| first search after a view change (builds the index) | ${ms(firstSearch.ms)} ms | |`,
    `| grant change to search finding the tool, median / max of 5 | ${ms(pct(visible, 50))} / ${ms(visible.at(-1))} ms | < 250 ms |`,
  ];
  console.log(lines.join('\n'));
  if (misses.length > 0) {
    console.log('\nMissed in the top 5:');
    for (const m of misses)
      console.log(
        `- ${m.file === undefined ? '' : `(${m.file}) `}"${m.query}": wanted ${m.expected.join(' or ')}; got ${m.got.join(', ')}`,
      );
  }
} finally {
  for (const c of clients) await c.close().catch(() => undefined);
  await gateway.close();
  await vault.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
