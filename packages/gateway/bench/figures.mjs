#!/usr/bin/env node
// Measures the gateway's crash, timeout and per-call figures (a benchmark, never a test).
// Run after `pnpm --filter @mcpmux/gateway build`:  node packages/gateway/bench/figures.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { createEnvKeyProvider } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createGateway } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'test', 'fixtures');
const everything = createRequire(join(here, '..', '..', '..', 'tests', 'e2e', 'package.json')).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);
const CALLS = Number(process.env.CALLS ?? 2000);

async function setup(options, servers) {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-'));
  const store = openSqliteSpaceStore({ path: join(dir, 'store.db') });
  const vault = await openSqliteVault({
    database: store.database,
    keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
  });
  await store.createSpace({ id: 'work' });
  for (const [id, args] of Object.entries(servers)) {
    await store.createServer({ id, transport: { type: 'stdio', command: process.execPath, args } });
    await store.install('work', id);
  }
  await store.createClient({ id: 'bench' });
  await store.grant('bench', 'work', 'all');
  const gateway = createGateway({ store, vault, env: { PATH: process.env.PATH }, ...options });
  await gateway.start();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await gateway.connect(b, { clientId: 'bench' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(a);
  await client.listTools();
  return {
    gateway,
    client,
    async close() {
      await client.close();
      await gateway.close();
      await vault.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function sequential(call) {
  for (let i = 0; i < 200; i++) await call(); // warm-up
  const times = [];
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((x, y) => x - y);
  const at = (q) => +times[Math.min(CALLS - 1, Math.floor(CALLS * q))].toFixed(3);
  return {
    callsPerSecond: Math.round((CALLS / total) * 1000),
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
  };
}

// 1. Per-call cost: direct stdio vs through the gateway (in-memory downstream, stdio upstream).
const direct = new Client({ name: 'bench', version: '1' });
await direct.connect(new StdioClientTransport({ command: process.execPath, args: [everything, 'stdio'] }));
const directFigures = await sequential(() => direct.callTool({ name: 'echo', arguments: { message: 'x' } }));
await direct.close();
const g = await setup({}, { ev: [everything, 'stdio'] });
const cpu0 = process.cpuUsage();
const viaGateway = await sequential(() =>
  g.client.callTool({ name: 'ev_echo', arguments: { message: 'x' } }),
);
const cpu = process.cpuUsage(cpu0);
await g.close();

// 2. SIGKILL with 100 calls in flight: time from the kill to the last rejection.
const c = await setup({ backoff: { initialMs: 100 } }, { crashy: [join(fixtures, 'crash.mjs')] });
const pid = Number((await c.client.callTool({ name: 'crashy_pid' })).content[0].text);
const settled = [];
const calls = Array.from({ length: 100 }, () =>
  c.client.callTool({ name: 'crashy_slow', arguments: { ms: 60_000 } }).then(
    () => settled.push(['ok', performance.now()]),
    () => settled.push(['error', performance.now()]),
  ),
);
while (c.gateway.status().inFlight < 100) await new Promise((r) => setTimeout(r, 5));
const killedAt = performance.now();
process.kill(pid, 'SIGKILL');
await Promise.all(calls);
const crash = {
  errors: settled.filter(([k]) => k === 'error').length,
  lastErrorAfterKillMs: +(Math.max(...settled.map(([, t]) => t)) - killedAt).toFixed(1),
};
const restartStart = performance.now();
for (;;) {
  try {
    await c.client.callTool({ name: 'crashy_slow', arguments: { ms: 1 } });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 10));
  }
}
crash.nextCallOkAfterMs = +(performance.now() - restartStart).toFixed(1);
await c.close();

// 3. A hanging tool with callTimeoutMs 1000: measured time to the timeout error.
const h = await setup({ callTimeoutMs: 1000 }, { hang: [join(fixtures, 'hang.mjs')] });
const timeouts = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await h.client.callTool({ name: 'hang_hang' }).catch(() => undefined);
  timeouts.push(+(performance.now() - t).toFixed(1));
}
const cancellations = JSON.parse(
  (await h.client.callTool({ name: 'hang_cancellations' })).content[0].text,
).length;
await h.close();

console.log(
  JSON.stringify(
    {
      calls: CALLS,
      direct: directFigures,
      gateway: { ...viaGateway, processCpuUsPerCall: Math.round((cpu.user + cpu.system) / (CALLS + 200)) },
      crash,
      timeout: { configuredMs: 1000, measuredMs: timeouts, upstreamCancellations: cancellations },
    },
    null,
    2,
  ),
);
