#!/usr/bin/env node
// Benchmark (never a test): sequential `tools/call` through the gateway server over Streamable
// HTTP with the real SDK client, one stdio upstream (test/fixtures/echo-server.mjs). The server
// runs in its own process; its CPU time per call is read from /proc. Usage:
//   pnpm --filter @mcpmux/server build && node apps/server/bench/http-calls.mjs [CALLS]
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server process there.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHome } from '@mcpmux/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const calls = Number(process.argv[2] ?? 2000);
const echo = fileURLToPath(new URL('../test/fixtures/echo-server.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcpmux-bench-'));
const env = { ...process.env, MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
const opened = await openHome({ home: dir, env, create: true });
await opened.store.createSpace({ id: 'bench' });
await opened.store.createServer({
  id: 'echo',
  transport: { type: 'stdio', command: process.execPath, args: [echo, 'echo'] },
});
await opened.store.install('bench', 'echo');
const { accessKey } = await opened.store.createClient({ id: 'bench' });
await opened.store.grant('bench', 'bench', 'all');
await opened.close();

const child = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    '--input-type=module',
    '-e',
    `import { startServer, createLogger } from '@mcpmux/server';
     const s = await startServer({ home: ${JSON.stringify(dir)}, env: process.env, port: 0, logger: createLogger({ level: 'warn' }) });
     console.log(s.url);
     process.stdin.on('end', () => s.close().then(() => process.exit(0)));
     process.stdin.resume();`,
  ],
  { env, cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));

function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return (ticks * 1e6) / 100;
}
function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

const client = new Client({ name: 'bench', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${accessKey}` } },
  }),
);
for (let i = 0; i < 200; i++) await client.callTool({ name: 'echo_echo', arguments: { text: 'warm' } });
for (const [label, fn] of [
  ['ping', () => client.ping()],
  ['tools/list', () => client.listTools()],
  ['tools/call', () => client.callTool({ name: 'echo_echo', arguments: { text: 'x' } })],
]) {
  const s = performance.now();
  for (let i = 0; i < 200; i++) await fn();
  console.error(`${label}: ${((performance.now() - s) / 200).toFixed(2)} ms/op`);
}
const times = [];
const cpu0 = cpuMicros(child.pid);
const t0 = performance.now();
for (let i = 0; i < calls; i++) {
  const s = performance.now();
  await client.callTool({ name: 'echo_echo', arguments: { text: `call ${i}` } });
  times.push(performance.now() - s);
}
const elapsed = (performance.now() - t0) / 1000;
const cpu = cpuMicros(child.pid) - cpu0;
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    calls,
    callsPerSecond: Math.round(calls / elapsed),
    p50ms: Number(times[Math.floor(calls / 2)].toFixed(3)),
    p99ms: Number(times[Math.floor(calls * 0.99)].toFixed(3)),
    gatewayCpuMicrosPerCall: Math.round(cpu / calls),
    gatewayRssMiB: Number(rssMiB(child.pid).toFixed(1)),
  }),
);
await client.close();
child.stdin.end();
await new Promise((resolve) => child.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });
