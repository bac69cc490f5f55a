#!/usr/bin/env node
// Heap check for tools/call requests whose arguments cannot be sent upstream (issue #13 item 1).
// Through the gateway library (in-process, SDK client over an in-memory transport, a real stdio
// upstream), sends N calls whose `arguments` are D nested arrays, then N calls whose arguments the
// transport cannot serialize; after each phase checks that the gateway still serves, nothing is in
// flight, and the heap after a full GC is within 20 MB of where the phase started.
//
// Usage: node --expose-gc bench/gateway/deep-args.mjs [--calls 100] [--depth 1000000]
//   (build first: pnpm --filter @mcpmux/gateway build)
// Exit code 1 when the heap grew by more than 20 MB or a call did not fail cleanly.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { createEnvKeyProvider } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createGateway } from '../../packages/gateway/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const calls = option('--calls', 100);
const depth = option('--depth', 1_000_000);
const LIMIT_MB = 20;

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

/** `depth` nested arrays, built iteratively. */
function nested(levels) {
  let value = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

async function heapMiB() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const dir = mkdtempSync(join(tmpdir(), 'mcpmux-deep-'));
const store = openSqliteSpaceStore({ path: join(dir, 'store.db') });
const vault = await openSqliteVault({
  database: store.database,
  keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
});
await store.createSpace({ id: 'work' });
await store.createServer({
  id: 'echo',
  transport: {
    type: 'stdio',
    command: process.execPath,
    args: [join(here, 'fixtures', 'many-tools.mjs'), 'e', '1'],
  },
});
await store.install('work', 'echo');
await store.createClient({ id: 'app' });
await store.grant('app', 'work', 'all');
const gateway = createGateway({ store, vault, env: { PATH: process.env.PATH ?? '' } });
await gateway.start();
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await gateway.connect(serverSide, { clientId: 'app' });
const client = new Client({ name: 'deep-args', version: '1.0.0' });
await client.connect(clientSide);
const tool = (await client.listTools()).tools[0].name;
await client.callTool({ name: tool, arguments: { message: 'warm-up' } });

/** Sends `calls` calls whose arguments `make(i)` builds; returns heap growth and the answers seen. */
async function phase(name, make) {
  const answers = new Map();
  let succeeded = 0;
  const before = await heapMiB();
  for (let i = 0; i < calls; i++) {
    try {
      await client.callTool({ name: tool, arguments: make(i) });
      succeeded++;
    } catch (err) {
      const key = `${err.code} ${String(err.message).slice(0, 140)}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  }
  const after = await heapMiB();
  const inFlight = gateway.status().inFlight;
  const echoed = await client.callTool({ name: tool, arguments: { message: 'still serving' } });
  const serving = echoed.content?.[0]?.text === '{"message":"still serving"}';
  console.log(`${name}: ${calls} calls`);
  for (const [key, n] of answers) console.log(`  ${n} x ${key}`);
  console.log(
    `  heap after GC: before ${before.toFixed(1)} MiB, after ${after.toFixed(1)} MiB, growth ${(after - before).toFixed(1)} MiB (limit ${LIMIT_MB})`,
  );
  console.log(`  in flight afterwards: ${inFlight}; next call answered: ${serving}`);
  return succeeded === 0 && inFlight === 0 && serving && after - before <= LIMIT_MB;
}

// 1. Arguments nested `depth` levels (1,000,000 by default): refused before anything is sent.
const deepOk = await phase(`nested ${depth} deep`, () => ({ message: 'deep', deep: nested(depth) }));
// 2. Arguments the transport cannot serialize (a BigInt, as an embedder might pass) next to 1 MiB
//    of data: sending throws after the SDK registered the call, which must be undone.
const sendOk = await phase('unserializable (send throws)', (i) => ({
  message: 'bigint',
  n: BigInt(i),
  pad: new Array(128 * 1024).fill(i),
}));

const ok = deepOk && sendOk;
console.log(ok ? 'deep-args: ok' : 'deep-args: FAILED');
process.exitCode = ok ? 0 : 1;

await client.close();
await gateway.close();
await vault.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
