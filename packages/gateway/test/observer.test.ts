import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CallObservation,
  GatewayObserver,
  ListChangedObservation,
  SessionObservation,
  UpstreamStateObservation,
} from '../src/index.js';
import { createFixtureHarness, type Downstream, type Harness, waitFor } from './harness.js';

// The observer seam: what metrics and logs are built from. Events carry names and outcomes only.

const events = {
  calls: [] as CallObservation[],
  opened: [] as SessionObservation[],
  closed: [] as SessionObservation[],
  listChanged: [] as ListChangedObservation[],
  upstream: [] as UpstreamStateObservation[],
  spaces: [] as { from: string | undefined; to: string | undefined }[],
};
const observer: GatewayObserver = {
  call: (e) => events.calls.push(e),
  sessionOpened: (e) => events.opened.push(e),
  sessionClosed: (e) => events.closed.push(e),
  listChanged: (e) => events.listChanged.push(e),
  upstreamState: (e) => events.upstream.push(e),
  activeSpaceChanged: (e) => events.spaces.push(e),
};

let h: Harness;
let app: Downstream;
beforeAll(async () => {
  ({ h, app } = await createFixtureHarness('errs', 'errors.mjs', { observer }));
  expect(await app.toolNames()).toContain('errs_echo');
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('the gateway observer', { timeout: 30_000 }, () => {
  it('sees each call once with its decision, outcome and server, and never its arguments', async () => {
    const before = events.calls.length;
    await app.client.callTool({ name: 'errs_echo', arguments: { secret: 'canary-arg-4711' } });
    await app.client.callTool({ name: 'errs_nope', arguments: {} }).catch(() => undefined);
    await app.client
      .callTool({ name: 'errs_fail', arguments: { code: -32000, message: 'quota' } })
      .catch(() => undefined);
    const calls = events.calls.slice(before);
    expect(calls.map((c) => [c.name, c.decision, c.outcome, c.serverId, c.errorCode])).toEqual([
      ['errs_echo', 'allow', 'ok', 'errs', undefined],
      ['errs_nope', 'deny', 'error', undefined, '-32602'],
      ['errs_fail', 'allow', 'error', 'errs', '-32000'],
    ]);
    for (const c of calls) {
      expect(c).toMatchObject({ method: 'tools/call', kind: 'tool', clientId: 'app', spaceId: 'work' });
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
      expect(c.sessionId).toBe(app.session.id);
      expect(typeof c.requestId === 'number' || typeof c.requestId === 'string').toBe(true);
    }
    expect(JSON.stringify(events)).not.toContain('canary-arg-4711');
  });

  it('sees sessions open with their protocol revision and close, and list_changed sent to them', async () => {
    const other = await h.connect('app', { protocolVersion: '2025-06-18' });
    const opened = await waitFor(
      () => events.opened.find((e) => e.sessionId === other.session.id),
      5_000,
      'the session to open',
    );
    expect(opened).toMatchObject({ clientId: 'app', spaceId: 'work', protocolVersion: '2025-06-18' });
    await other.toolNames();
    await h.store.ungrant('app', 'work', 'all');
    await waitFor(
      () => events.listChanged.some((e) => e.sessionId === other.session.id && e.kind === 'tools'),
      5_000,
      'tools list_changed',
    );
    await other.close();
    await waitFor(
      () => events.closed.some((e) => e.sessionId === other.session.id),
      5_000,
      'the session to close',
    );
    await h.store.grant('app', 'work', 'all');
  });

  it('sees an upstream crash and its restart', async () => {
    const before = events.upstream.length;
    await app.client.callTool({ name: 'errs_crash', arguments: {} }).catch(() => undefined);
    await waitFor(
      () => events.upstream.slice(before).some((e) => e.state === 'ready' && e.restarts >= 1),
      15_000,
      'the upstream to come back',
    );
    const seen = events.upstream.slice(before);
    expect(seen[0]).toMatchObject({ spaceId: 'work', serverId: 'errs', previous: 'ready', state: 'backoff' });
    expect(seen[0]?.lastError).toContain('exited with code 3');
  });

  it('sees the active Space change', async () => {
    await h.store.createSpace({ id: 'other' });
    await h.store.setActiveSpace('other');
    await waitFor(() => events.spaces.some((e) => e.to === 'other'), 5_000, 'the Space switch');
  });
});
