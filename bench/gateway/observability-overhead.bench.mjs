#!/usr/bin/env node
// Cost of observability (issue #19): the same echo workload, sequential tools/call POSTs over
// loopback to `startServer` (in this process, logger silent), with Prometheus metrics on and an
// OpenTelemetry SDK registered (every span recorded, then dropped), against both off.
// Repetitions interleave the two (on/off, then off/on, ...) so drift hits both alike; each one
// starts a fresh server for the same home, warms it, then times N calls. Prints each run, the
// calls/s medians and the ratio (off / on; 1.00 means no measurable cost).
//
// Usage: node bench/gateway/observability-overhead.bench.mjs [--calls 2000] [--reps 5]
//   (build first: pnpm --filter @mcpmux/server build)
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, startServer } from '@mcpmux/server';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createEchoHome, post } from './lib/echo-home.mjs';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, reps: { type: 'string', default: '5' } },
});
const calls = Number(values.calls);
const reps = Number(values.reps);

const { home, env, accessKey } = await createEchoHome('mcpmux-obs-overhead-');

/** Records every span, batches it as NodeSDK does, counts it and drops it (no collector's cost). */
let spans = 0;
const tracing = new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor({
      export: (batch, done) => {
        spans += batch.length;
        done({ code: 0 });
      },
      shutdown: async () => {},
    }),
  ],
});

/**
 * Calls per second of `calls` sequential echo calls against a fresh server; `observed`: metrics on
 * and an OpenTelemetry SDK registered (spans recorded, trace context sent upstream), else neither.
 */
async function run(observed) {
  const metrics = observed;
  trace.disable();
  propagation.disable();
  if (observed) {
    trace.setGlobalTracerProvider(tracing);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  const server = await startServer({
    home,
    env,
    port: 0,
    metrics,
    logger: createLogger({ level: 'silent' }),
  });
  try {
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
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'bench', version: '1' },
        },
      }),
    );
    const headers = { ...base, 'mcp-session-id': init.headers['mcp-session-id'] };
    await post(server.url, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    const list = JSON.parse(
      (await post(server.url, headers, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))).body,
    );
    const tool = list.result.tools[0].name;
    const body = (id) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: tool, arguments: { message: 'hi' } },
      });
    for (let i = 0; i < 200; i++) await post(server.url, headers, body(`w${i}`));
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const res = await post(server.url, headers, body(i));
      if (res.status !== 200) throw new Error(`call ${i} answered ${res.status}: ${res.body}`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (observed) await tracing.forceFlush();
    if (observed && spans < calls * 2)
      throw new Error(`tracing on, but only ${spans} spans for ${calls} calls`);
    spans = 0;
    if (metrics) {
      const scraped = await fetch(server.url.replace(/\/mcp$/, '/metrics')).then((r) => r.text());
      if (!scraped.includes('mcpmux_calls_total')) throw new Error('metrics on, but no mcpmux_calls_total');
    }
    return calls / seconds;
  } finally {
    await server.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = { on: [], off: [] };
try {
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? [true, false] : [false, true];
    for (const metrics of order) {
      const rate = await run(metrics);
      results[metrics ? 'on' : 'off'].push(rate);
      console.log(`rep ${r + 1} metrics+tracing ${metrics ? 'on ' : 'off'}: ${rate.toFixed(0)} calls/s`);
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
const on = median(results.on);
const off = median(results.off);
console.log(
  `median calls/s over ${reps} reps of ${calls} sequential tools/call: metrics+tracing on ${on.toFixed(0)}, off ${off.toFixed(0)}, off/on ${(off / on).toFixed(3)} (overhead ${(((off - on) / off) * 100).toFixed(1)}%; negative: within noise)`,
);
