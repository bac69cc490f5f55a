import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFixtureHarness, type Downstream, firstText, type Harness } from './harness.js';

// OpenTelemetry through @opentelemetry/api: a SERVER span per downstream request, a CLIENT span per
// upstream request, and the W3C trace context carried in params._meta (SEP-414 keys) both ways.

const CLIENT_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN_ID = 'b7ad6b7169203331';
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

let h: Harness;
let app: Downstream;
const exporter = new InMemorySpanExporter();

function registerSdk(): void {
  trace.disable();
  propagation.disable();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

function unregisterSdk(): void {
  trace.disable();
  propagation.disable();
}

async function metaSeenUpstream(
  meta?: Record<string, unknown>,
  onprogress?: () => void,
): Promise<Record<string, unknown>> {
  const result = await app.client.callTool(
    { name: 'echo_meta', arguments: {}, ...(meta === undefined ? {} : { _meta: meta }) },
    undefined,
    onprogress === undefined ? {} : { onprogress },
  );
  return JSON.parse(firstText(result)) as Record<string, unknown>;
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

beforeAll(async () => {
  ({ h, app } = await createFixtureHarness('echo', 'meta-echo.mjs'));
}, 60_000);
afterAll(async () => {
  unregisterSdk();
  await h?.close();
});

describe('tracing without an OpenTelemetry SDK', { timeout: 30_000 }, () => {
  beforeAll(unregisterSdk);

  it('injects no trace context into what the upstream receives', async () => {
    expect(await metaSeenUpstream()).toEqual({});
  });

  it("passes a client's own trace context through unchanged", async () => {
    const meta = await metaSeenUpstream({ traceparent: CLIENT_TRACEPARENT, tracestate: 'vendor=1' });
    expect(meta).toEqual({ traceparent: CLIENT_TRACEPARENT, tracestate: 'vendor=1' });
  });
});

describe('tracing with an OpenTelemetry SDK registered', { timeout: 30_000 }, () => {
  beforeAll(registerSdk);
  beforeEach(() => exporter.reset());

  it('records a SERVER span per tools/call with an upstream CLIENT span as its child', async () => {
    await metaSeenUpstream();
    const [request] = spansNamed('tools/call echo_meta');
    const [upstream] = spansNamed('tools/call echo');
    expect(request).toBeDefined();
    expect(upstream).toBeDefined();
    if (request === undefined || upstream === undefined) return;
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.instrumentationScope.name).toBe('@mcpmux/gateway');
    expect(request.attributes).toEqual({
      'mcp.method': 'tools/call',
      'mcp.client.id': 'app',
      'mcpmux.space': 'work',
      'mcp.server': 'echo',
      'mcpmux.decision': 'allow',
      outcome: 'ok',
    });
    expect(request.parentSpanContext).toBeUndefined();
    expect(upstream.kind).toBe(SpanKind.CLIENT);
    expect(upstream.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(upstream.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(upstream.attributes).toMatchObject({ 'mcp.server': 'echo', outcome: 'ok' });
  });

  it('makes the trace context in the request _meta the parent of the request span', async () => {
    await metaSeenUpstream({ traceparent: CLIENT_TRACEPARENT });
    const [request] = spansNamed('tools/call echo_meta');
    expect(request?.spanContext().traceId).toBe(CLIENT_TRACE_ID);
    expect(request?.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    expect(request?.parentSpanContext?.isRemote).toBe(true);
  });

  it("sends the upstream span's context in _meta, keeping the client's other _meta keys", async () => {
    const meta = await metaSeenUpstream(
      { traceparent: CLIENT_TRACEPARENT, tracestate: 'vendor=1', 'example.com/tag': 'kept' },
      () => undefined,
    );
    const [upstream] = spansNamed('tools/call echo');
    const match = TRACEPARENT.exec(String(meta.traceparent));
    expect(match?.[1]).toBe(CLIENT_TRACE_ID);
    expect(match?.[2]).toBe(upstream?.spanContext().spanId);
    expect(meta.tracestate).toBe('vendor=1');
    expect(meta['example.com/tag']).toBe('kept');
    // The upstream gets a progress token of the gateway's own (the client's is never forwarded).
    expect(meta.progressToken).toBeDefined();
  });

  it('traces prompts/get, resources/read and the lists, naming no resource URI', async () => {
    await app.client.getPrompt({ name: 'echo_greet' });
    await app.client.readResource({ uri: 'test://doc' });
    await app.client.listTools({ _meta: { traceparent: CLIENT_TRACEPARENT } });
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['prompts/get echo_greet', 'prompts/get echo', 'resources/read', 'tools/list']),
    );
    expect(JSON.stringify(names)).not.toContain('test://doc');
    expect(spansNamed('tools/list')[0]?.spanContext().traceId).toBe(CLIENT_TRACE_ID);
  });

  it('ends the spans of a failed call with an error status and no argument value anywhere', async () => {
    const failing = ['echo_fail', 'echo_nope'];
    for (const name of failing) {
      const call = app.client.callTool({ name, arguments: { secret: 'canary-arg-4711' } });
      await expect(call).rejects.toThrow();
    }
    const [failed] = spansNamed('tools/call echo_fail');
    const [upstream] = spansNamed('tools/call echo');
    const [denied] = spansNamed('tools/call echo_nope');
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: '-32000' });
    expect(failed?.attributes.outcome).toBe('error');
    expect(upstream?.status.code).toBe(SpanStatusCode.ERROR);
    expect(denied?.attributes).toMatchObject({ 'mcpmux.decision': 'deny', outcome: 'error' });
    expect(denied?.attributes['mcp.server']).toBeUndefined();
    const recorded = exporter
      .getFinishedSpans()
      .map((s) => JSON.stringify([s.name, s.attributes, s.status, s.events]));
    expect(recorded.join('\n')).not.toContain('canary-arg-4711');
  });
});
