/**
 * Prometheus metrics of one gateway server: a prom-client `Registry` of its own (never the global
 * default one), fed by the gateway's observer events, the HTTP layer's auth failures and, at scrape
 * time, the gateway's upstream states. Labels are bounded: Space, server, client, method, protocol
 * revision, state and reason only; never tool names, arguments, keys, session or request ids.
 */

import { createRequire } from 'node:module';
import type { GatewayObserver } from '@mcpmux/gateway';
import type * as PromClient from 'prom-client';

/** prom-client through `require`: an ES import of this CommonJS package makes Node lex it first. */
const { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } = createRequire(import.meta.url)(
  'prom-client',
) as typeof PromClient;

/** Why the HTTP layer refused a request before it reached the gateway. */
export type AuthFailureReason =
  /** No `Authorization` header and no anonymous client. */
  | 'missing_key'
  /** An `Authorization` header that is not `Bearer <key>`. */
  | 'malformed_header'
  /** A key the store does not know, or one revoked or expired. */
  | 'unknown_key'
  /** An `Origin` outside the allow-list (or `null`). */
  | 'bad_origin'
  /** A `Host` that is not a loopback name on a loopback bind (DNS rebinding). */
  | 'bad_host';

/** The upstream states the `mcpmux_upstreams` gauge always reports (0 when none is in one). */
export const UPSTREAM_STATES: readonly string[] = [
  'connecting',
  'ready',
  'backoff',
  'circuit-open',
  'idle',
  'closed',
];

/** Buckets of `mcpmux_call_duration_seconds`: 1 ms to 60 s. */
export const CALL_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Options of {@link createGatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** The upstreams' current states, read at each scrape (`gateway.status().upstreams`). */
  upstreams: () => readonly { state: string }[];
  /** Also collect prom-client's default process metrics (CPU, memory, event loop, GC). Default `true`. */
  processMetrics?: boolean;
}

/** The metrics of one gateway server. */
export interface GatewayMetrics {
  /** The registry holding every metric (its own, not prom-client's global one). */
  readonly registry: PromClient.Registry;
  /** Feeds the call, session, list-change and upstream metrics; add it to the gateway's observers. */
  readonly observer: GatewayObserver;
  /** Counts one request the HTTP layer refused. */
  authFailure(reason: AuthFailureReason): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** The `Content-Type` of {@link GatewayMetrics.render}'s output. */
  readonly contentType: string;
}

/**
 * Creates the gateway's metrics (prefix `mcpmux_`): `calls_total{space,server,method,decision,outcome}`
 * (server `""` when denied, and for lean mode's `mcpmux_search_tools`/`mcpmux_describe_tool`, which the
 * gateway answers itself), `call_duration_seconds{server,method}`, `sessions{client,protocol}`,
 * `list_changed_total{kind}`, `upstreams{state}` (read at scrape time),
 * `upstream_restarts_total{space,server}`, `auth_failures_total{reason}`, plus the default process
 * metrics on the same registry.
 *
 * @param options - see {@link GatewayMetricsOptions}; `upstreams` is required.
 * @example
 * ```ts
 * const metrics = createGatewayMetrics({ upstreams: () => gateway.status().upstreams });
 * observers.push(metrics.observer);
 * const text = await metrics.render();
 * ```
 */
export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const calls = new Counter({
    name: 'mcpmux_calls_total',
    help: 'Calls (tools/call, prompts/get, resources/read) by Space, upstream server, method, decision and outcome.',
    labelNames: ['space', 'server', 'method', 'decision', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mcpmux_call_duration_seconds',
    help: 'Call duration in seconds, from the request reaching the gateway to its answer, by upstream server and method.',
    labelNames: ['server', 'method'] as const,
    buckets: [...CALL_DURATION_BUCKETS],
    registers: [registry],
  });
  const sessions = new Gauge({
    name: 'mcpmux_sessions',
    help: 'Open downstream sessions (HTTP and local socket) by client and negotiated protocol revision.',
    labelNames: ['client', 'protocol'] as const,
    registers: [registry],
  });
  const listChanged = new Counter({
    name: 'mcpmux_list_changed_total',
    help: 'list_changed notifications sent to sessions, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'mcpmux_upstreams',
    help: 'Upstream servers by state (connecting, ready, backoff, circuit-open, idle, closed).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(UPSTREAM_STATES.map((s) => [s, 0]));
      for (const u of options.upstreams()) counts.set(u.state, (counts.get(u.state) ?? 0) + 1);
      this.reset();
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  const restarts = new Counter({
    name: 'mcpmux_upstream_restarts_total',
    help: 'Upstream server restarts, by Space and server.',
    labelNames: ['space', 'server'] as const,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'mcpmux_auth_failures_total',
    help: 'Requests refused before reaching the gateway, by reason (missing_key, malformed_header, unknown_key, bad_origin, bad_host).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  /** The labels each open session was counted under (its protocol may be learnt later). */
  const open = new Map<string, { client: string; protocol: string }>();
  /** The last restart count seen per upstream, so the counter grows by the difference. */
  const lastRestarts = new Map<string, number>();

  // The labelled children of the per-call metrics, by their label values: prom-client hashes the
  // label object on every `inc`/`observe`, a Map lookup on one joined key is cheaper. Bounded like
  // the labels themselves (Spaces, servers, methods, decisions, outcomes).
  const callChildren = new Map<string, { inc(): void }>();
  const durationChildren = new Map<string, { observe(value: number): void }>();
  const observer: GatewayObserver = {
    call(e) {
      const server = e.decision === 'deny' ? '' : (e.serverId ?? '');
      const space = e.spaceId ?? '';
      const callKey = `${space}\u0000${server}\u0000${e.method}\u0000${e.decision}\u0000${e.outcome}`;
      let counted = callChildren.get(callKey);
      if (counted === undefined) {
        counted = calls.labels({ space, server, method: e.method, decision: e.decision, outcome: e.outcome });
        callChildren.set(callKey, counted);
      }
      counted.inc();
      const durationKey = `${server}\u0000${e.method}`;
      let timed = durationChildren.get(durationKey);
      if (timed === undefined) {
        timed = duration.labels({ server, method: e.method });
        durationChildren.set(durationKey, timed);
      }
      timed.observe(e.durationMs / 1000);
    },
    sessionOpened(e) {
      if (open.has(e.sessionId)) return;
      const labels = { client: e.clientId, protocol: e.protocolVersion ?? 'unknown' };
      open.set(e.sessionId, labels);
      sessions.inc(labels);
    },
    sessionClosed(e) {
      const labels = open.get(e.sessionId);
      if (labels === undefined) return;
      open.delete(e.sessionId);
      sessions.dec(labels);
    },
    listChanged(e) {
      listChanged.inc({ kind: e.kind });
    },
    upstreamState(e) {
      const key = `${e.spaceId}\u0000${e.serverId}`;
      const before = lastRestarts.get(key) ?? 0;
      lastRestarts.set(key, e.restarts);
      // A smaller count: the upstream was created anew; its restarts count from zero again.
      const added = e.restarts >= before ? e.restarts - before : e.restarts;
      if (added > 0) restarts.inc({ space: e.spaceId, server: e.serverId }, added);
    },
  };

  return {
    registry,
    observer,
    authFailure(reason) {
      authFailures.inc({ reason });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/**
 * Open sessions per client, from the gateway's session events (HTTP and local socket alike), for
 * `/health` and `mcpmux status`.
 */
export interface SessionTally {
  /** Add it to the gateway's observers. */
  readonly observer: GatewayObserver;
  /** Open sessions by client id (clients without any are left out). */
  byClient(): Record<string, number>;
}

/**
 * Creates a {@link SessionTally}.
 *
 * @example
 * ```ts
 * const tally = createSessionTally();
 * observers.push(tally.observer);
 * tally.byClient(); // { cursor: 2 }
 * ```
 */
export function createSessionTally(): SessionTally {
  const clients = new Map<string, string>();
  return {
    observer: {
      sessionOpened(e) {
        clients.set(e.sessionId, e.clientId);
      },
      sessionClosed(e) {
        clients.delete(e.sessionId);
      },
    },
    byClient() {
      const out: Record<string, number> = {};
      for (const client of clients.values()) out[client] = (out[client] ?? 0) + 1;
      return out;
    },
  };
}
