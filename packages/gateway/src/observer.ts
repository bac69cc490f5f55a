/**
 * What the gateway tells an observer as it works: one event per call, session, list change, Space
 * switch and upstream state change. The server app turns these into metrics and log lines; the
 * gateway itself formats nothing. Events carry no arguments, no results, no keys and no secrets.
 */
import type { FeatureKind } from '@mcpmux/featuresets';

/** One `tools/call`, `prompts/get` or `resources/read`, after it ended. */
export interface CallObservation {
  /** The JSON-RPC method (`tools/call`, `prompts/get`, `resources/read`). */
  method: string;
  kind: FeatureKind;
  /** The name (or URI) the client asked for, as exposed. */
  name: string;
  clientId: string;
  /** The downstream session. */
  sessionId: string;
  /** The JSON-RPC id of the client's request. */
  requestId: string | number;
  /** The Space the call was served in (undefined: the session has none). */
  spaceId: string | undefined;
  /** The upstream server the call went to (undefined: denied or unknown). */
  serverId: string | undefined;
  /** `deny`: the client may not use it, or it does not exist (indistinguishable to the client). */
  decision: 'allow' | 'deny';
  outcome: 'ok' | 'error' | 'timeout';
  /** The error's code (`UPSTREAM_TIMEOUT`, `UPSTREAM_UNAVAILABLE`, a JSON-RPC code...), when it failed. */
  errorCode?: string;
  /** `mcpmux_search_tools` (lean mode): how many tools the search returned. */
  hits?: number;
  durationMs: number;
}

/** A downstream session that opened or closed. */
export interface SessionObservation {
  sessionId: string;
  clientId: string;
  /** The Space it sees ('' when none). */
  spaceId: string;
  /** The protocol revision the client negotiated (undefined before `initialize`). */
  protocolVersion: string | undefined;
}

/** A `notifications/<kind>/list_changed` sent to a session. */
export interface ListChangedObservation {
  sessionId: string;
  clientId: string;
  kind: 'tools' | 'prompts' | 'resources';
}

/** An upstream that changed state (`connecting`, `ready`, `backoff`, `circuit-open`, `idle`, `closed`). */
export interface UpstreamStateObservation {
  spaceId: string;
  serverId: string;
  previous: string;
  state: string;
  /** Restarts since it was created. */
  restarts: number;
  /** Why it is down, redacted (no secret values), when it is. */
  lastError?: string;
}

/**
 * Receives the gateway's events; every method is optional. Called synchronously on the gateway's
 * path: keep each call cheap (count, enqueue). A throwing observer is ignored, never fatal.
 */
export interface GatewayObserver {
  call?(event: CallObservation): void;
  sessionOpened?(event: SessionObservation): void;
  sessionClosed?(event: SessionObservation): void;
  listChanged?(event: ListChangedObservation): void;
  /** The active Space changed (`to` undefined: none is active). */
  activeSpaceChanged?(event: { from: string | undefined; to: string | undefined }): void;
  upstreamState?(event: UpstreamStateObservation): void;
}
