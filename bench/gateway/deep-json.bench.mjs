#!/usr/bin/env node
// Heap and RSS of the gateway SERVER (HTTP edge included) under tools/call requests whose
// arguments are D nested arrays (issue #13 item 1): sends N such POSTs over loopback to
// `startServer` (in this process, so the heap is measured after a full GC), then checks that the
// server still answers and the heap is within 20 MB of where it started.
//
// Usage: node --expose-gc bench/gateway/deep-json.bench.mjs [--calls 100] [--depth 1000000]
//   (build first: pnpm --filter @mcpmux/server build)
// Exit code 1 when the heap grew by more than 20 MB, a deep call was not refused with 400, or the
// server stopped answering.
import { rmSync } from 'node:fs';
import { createLogger, startServer } from '@mcpmux/server';
import { createEchoHome, post } from './lib/echo-home.mjs';
import { HEAP_LIMIT_MB, heapCheckOptions, memoryAfterGc } from './lib/heap-check.mjs';

const { calls, depth } = heapCheckOptions();

const { home, env, accessKey } = await createEchoHome('mcpmux-deep-json-');

const server = await startServer({ home, env, port: 0, logger: createLogger({ level: 'silent' }) });
const base = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${accessKey}`,
};
const init = await post(
  server.url,
  base,
  JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
  }),
);
const headers = { ...base, 'mcp-session-id': init.headers['mcp-session-id'] };
await post(server.url, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
const list = JSON.parse(
  (await post(server.url, headers, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))).body,
);
const tool = list.result.tools[0].name;
const echo = async (message) => {
  const res = await post(
    server.url,
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: tool, arguments: { message } },
    }),
  );
  return (
    res.status === 200 && JSON.parse(res.body).result?.content?.[0]?.text === JSON.stringify({ message })
  );
};
await echo('warm-up');

const deepBody = Buffer.from(
  `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"${tool}","arguments":{"message":"deep","deep":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
);
const before = await memoryAfterGc();
const statuses = new Map();
const started = process.hrtime.bigint();
for (let i = 0; i < calls; i++) {
  const res = await post(server.url, headers, deepBody);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const after = await memoryAfterGc();
const serving = await echo('still serving');
// The gateway's shutdown timers are unref'd; keep the loop alive until the close has finished.
const keepAlive = setInterval(() => {}, 1000);
await server.close();
clearInterval(keepAlive);
rmSync(home, { recursive: true, force: true });

console.log(
  `deep-json: ${calls} POSTs of ${deepBody.length} bytes (${depth} nested arrays) in ${ms.toFixed(0)} ms`,
);
console.log(`  statuses: ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(', ')}`);
console.log(
  `  heap after GC: before ${before.heap.toFixed(1)} MiB, after ${after.heap.toFixed(1)} MiB, growth ${(after.heap - before.heap).toFixed(1)} MiB (limit ${HEAP_LIMIT_MB})`,
);
console.log(
  `  RSS: before ${before.rss.toFixed(1)} MiB, after ${after.rss.toFixed(1)} MiB; next call answered: ${serving}`,
);
const ok = statuses.get(400) === calls && serving && after.heap - before.heap <= HEAP_LIMIT_MB;
console.log(ok ? 'deep-json: ok' : 'deep-json: FAILED');
process.exitCode = ok ? 0 : 1;
