/**
 * Lean mode (DESIGN §14, issue #21) in the audit log, the call events (what the server's call log,
 * metrics and activity counter are built from) and the traces: `mcpmux_call_tool` leaves exactly the
 * direct call's records, naming the real tool; search and describe, which the gateway answers itself,
 * leave one record each with the meta-tool's name (and a search's hit count, a describe's tool name,
 * a describe's denial), never the query.
 */
import { propagation, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallObservation } from '../src/index.js';
import { createHarness, EVERYTHING, type Harness, waitFor } from './harness.js';

const SECRET_QUERY = 'echo back the message s3cr3t-query-words';

let h: Harness;
const calls: CallObservation[] = [];
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  trace.disable();
  propagation.disable();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  h = await createHarness({ observer: { call: (event) => calls.push(event) } });
  await h.store.createSpace({ id: 'work' });
  await h.namedServer('alpha', { tools: ['read_file', 'delete_repo', 'ro_list_items'] });
  await h.store.createServer({
    id: 'everything',
    transport: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
  });
  await h.store.install('work', 'alpha');
  await h.store.install('work', 'everything', { alias: 'ev' });
  await h.store.createFeatureSet('work', {
    id: 'safe',
    members: [
      { mode: 'include', selector: { type: 'server', server: 'alpha' } },
      { mode: 'include', selector: { type: 'server', server: 'everything' } },
      { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'delete_repo' } },
    ],
  });
  await h.store.createClient({ id: 'lean', lean: true });
  await h.store.grant('lean', 'work', 'safe');
  await h.gateway.start();
}, 60_000);

afterAll(async () => {
  trace.disable();
  await h?.close();
});

describe('lean mode in the audit log, call events and traces', { timeout: 30_000 }, () => {
  it('records search and describe under the meta-tool, call_tool as the real tool, never the query', async () => {
    const lean = await h.connect('lean');
    const call = (name: string, args: Record<string, unknown>) =>
      lean.client.callTool({ name, arguments: args }) as Promise<{
        structuredContent?: { tools?: unknown[] };
        isError?: boolean;
      }>;
    const found = await call('mcpmux_search_tools', { query: SECRET_QUERY, limit: 3 });
    const hits = found.structuredContent?.tools?.length;
    expect(hits).toBeGreaterThan(0);
    await call('mcpmux_describe_tool', { name: 'alpha_ro_list_items' });
    expect((await call('mcpmux_describe_tool', { name: 'alpha_delete_repo' })).isError).toBe(true);
    expect((await call('mcpmux_search_tools', { query: SECRET_QUERY, limit: 0 })).isError).toBe(true);
    await call('mcpmux_call_tool', { name: 'ev_echo', arguments: { message: 'hi' } });

    await waitFor(async () => (await h.store.listAudit({ clientId: 'lean' })).length >= 5, 5_000, 'audit');
    const audit = (await h.store.listAudit({ clientId: 'lean' })).reverse();
    expect(audit).toHaveLength(5);
    for (const e of audit) expect(e).toMatchObject({ action: 'tools/call', spaceId: 'work' });
    const [search, described, denied, invalid, called] = audit;
    expect(search).toMatchObject({ decision: 'allow', outcome: 'ok' });
    expect(search?.detail).toEqual({ metaTool: 'mcpmux_search_tools', hits });
    expect(search?.feature).toBeUndefined();
    expect(described).toMatchObject({ decision: 'allow', outcome: 'ok' });
    expect(described?.detail).toEqual({
      metaTool: 'mcpmux_describe_tool',
      requested: { kind: 'tool', name: 'alpha_ro_list_items' },
    });
    // A describe of a denied tool is a denial, recorded like a direct call's (the name asked for).
    expect(denied).toMatchObject({ decision: 'deny', outcome: 'error' });
    expect(denied?.detail).toEqual({
      metaTool: 'mcpmux_describe_tool',
      requested: { kind: 'tool', name: 'alpha_delete_repo' },
    });
    expect(invalid).toMatchObject({ decision: 'allow', outcome: 'error' });
    expect(invalid?.detail).toEqual({ metaTool: 'mcpmux_search_tools', errorCode: 'INVALID_INPUT' });
    // The call through the meta-tool is the direct call of the real tool.
    expect(called).toMatchObject({ decision: 'allow', outcome: 'ok' });
    expect(called?.feature).toEqual({ kind: 'tool', server: 'everything', name: 'echo' });
    expect(called?.detail).toBeUndefined();
    expect(JSON.stringify(audit)).not.toContain('s3cr3t');
    expect(JSON.stringify(audit)).not.toContain('mcpmux_call_tool');

    // Call events (the call log line, metrics and activity count): one per request, the same story.
    const events = calls.filter((e) => e.clientId === 'lean');
    expect(events.map((e) => [e.name, e.serverId, e.decision, e.outcome, e.hits])).toEqual([
      ['mcpmux_search_tools', undefined, 'allow', 'ok', hits],
      ['mcpmux_describe_tool', undefined, 'allow', 'ok', undefined],
      ['mcpmux_describe_tool', undefined, 'deny', 'error', undefined],
      ['mcpmux_search_tools', undefined, 'allow', 'error', undefined],
      ['ev_echo', 'everything', 'allow', 'ok', undefined],
    ]);
    expect(events[3]?.errorCode).toBe('INVALID_INPUT');
    expect(new Set(events.map((e) => e.requestId)).size).toBe(5);
    expect(JSON.stringify(events)).not.toContain('s3cr3t');

    // Traces: a SERVER span per request, named like a direct call's; no upstream span for search.
    const spans = exporter
      .getFinishedSpans()
      .filter((s: ReadableSpan) => s.attributes['mcp.client.id'] === 'lean')
      .map((s) => [
        s.name,
        s.attributes['mcpmux.decision'],
        s.attributes.outcome,
        s.attributes['mcp.server'],
      ]);
    expect(spans).toEqual([
      ['tools/call mcpmux_search_tools', 'allow', 'ok', undefined],
      ['tools/call mcpmux_describe_tool', 'allow', 'ok', undefined],
      ['tools/call mcpmux_describe_tool', 'deny', 'error', undefined],
      ['tools/call mcpmux_search_tools', 'allow', 'error', undefined],
      ['tools/call ev_echo', 'allow', 'ok', 'everything'],
    ]);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain('s3cr3t');
  });
});
