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
import { join } from 'node:path';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { createEnvKeyProvider } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createGateway } from '../../packages/gateway/dist/index.js';
import { HEAP_LIMIT_MB, heapCheckOptions, memoryAfterGc, seedEchoSpace } from './lib/heap-check.mjs';

const { calls, depth } = heapCheckOptions();

/** `depth` nested arrays, built iteratively. */
function nested(levels) {
  let value = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const dir = mkdtempSync(join(tmpdir(), 'mcpmux-deep-'));
const store = openSqliteSpaceStore({ path: join(dir, 'store.db') });
const vault = await openSqliteVault({
  database: store.database,
  keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
});
await seedEchoSpace(store);
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
  const before = (await memoryAfterGc()).heap;
  for (let i = 0; i < calls; i++) {
    try {
      await client.callTool({ name: tool, arguments: make(i) });
      succeeded++;
    } catch (err) {
      const key = `${err.code} ${String(err.message).slice(0, 140)}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  }
  const after = (await memoryAfterGc()).heap;
  const inFlight = gateway.status().inFlight;
  const echoed = await client.callTool({ name: tool, arguments: { message: 'still serving' } });
  const serving = echoed.content?.[0]?.text === '{"message":"still serving"}';
  console.log(`${name}: ${calls} calls`);
  for (const [key, n] of answers) console.log(`  ${n} x ${key}`);
  console.log(
    `  heap after GC: before ${before.toFixed(1)} MiB, after ${after.toFixed(1)} MiB, growth ${(after - before).toFixed(1)} MiB (limit ${HEAP_LIMIT_MB})`,
  );
  console.log(`  in flight afterwards: ${inFlight}; next call answered: ${serving}`);
  return succeeded === 0 && inFlight === 0 && serving && after - before <= HEAP_LIMIT_MB;
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
