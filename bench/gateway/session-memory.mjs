#!/usr/bin/env node
// What one idle 2025-era HTTP session costs the gateway (never a test): `startServer` in this
// process on a one-upstream home, then N sessions opened with raw HTTP (initialize, initialized,
// tools/list; no SDK client in this heap), heap and RSS after full GCs before and after, per session.
// `--snapshot FILE` also writes a heap snapshot with the sessions open (compare in DevTools).
//
// Usage: node --expose-gc bench/gateway/session-memory.mjs [--sessions N] [--get-stream] [--snapshot FILE]
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { writeHeapSnapshot } from 'node:v8';
import { createLogger, startServer } from '@mcpmux/server';
import { createEchoHome, post } from './lib/echo-home.mjs';
import { memoryAfterGc } from './lib/heap-check.mjs';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const n = Number(option('--sessions') ?? 200);
const getStream = argv.includes('--get-stream');
const streams = [];
const { home, env, accessKey } = await createEchoHome('mcpmux-session-mem-');
const server = await startServer({
  home,
  env,
  port: 0,
  logger: createLogger({ level: 'warn' }),
  http: { maxSessions: n + 10, maxSessionsPerClient: n + 10 },
});
const headers = {
  authorization: `Bearer ${accessKey}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

async function openSession() {
  const init = await post(
    server.url,
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mem', version: '1' } },
    }),
  );
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof sid !== 'string')
    throw new Error(`initialize: ${init.status} ${init.body}`);
  const h = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  await post(server.url, h, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  const list = await post(server.url, h, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
  if (list.status !== 200) throw new Error(`tools/list: ${list.status} ${list.body}`);
  // The SDK client also keeps a GET stream open for server-initiated messages (`--get-stream`).
  if (getStream) {
    await new Promise((resolve, reject) => {
      const req = request(
        server.url,
        { method: 'GET', headers: { ...h, accept: 'text/event-stream' } },
        (res) => {
          streams.push(req);
          res.once('data', () => resolve(undefined));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  return sid;
}

try {
  // Warm: the upstream, the view and the code paths of a session exist before the baseline.
  for (let i = 0; i < 5; i++) await openSession();
  const before = await memoryAfterGc();
  for (let i = 0; i < n; i++) await openSession();
  const after = await memoryAfterGc();
  if (option('--snapshot')) writeHeapSnapshot(option('--snapshot'));
  const perHeap = ((after.heap - before.heap) * 1024) / n;
  const perRss = ((after.rss - before.rss) * 1024) / n;
  const mu = process.memoryUsage();
  console.log(
    JSON.stringify({
      sessions: n,
      heapKiBPerSession: Number(perHeap.toFixed(1)),
      rssKiBPerSession: Number(perRss.toFixed(1)),
      open: server.http.stats().sessions,
      heapTotalMiB: Number((mu.heapTotal / 2 ** 20).toFixed(1)),
      externalMiB: Number((mu.external / 2 ** 20).toFixed(1)),
    }),
  );
} finally {
  for (const req of streams) req.destroy();
  await server.close();
  rmSync(home, { recursive: true, force: true });
}
