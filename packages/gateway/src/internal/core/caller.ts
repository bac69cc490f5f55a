/**
 * Who a request is served for. Request handlers see a {@link Caller}, never a session: a 2025-era
 * session is one implementation (`DownstreamSession`); a stateless 2026-07-28 request can build a
 * short-lived one from the client resolved for that request (client -> Space by mode, pin or the
 * active Space -> the view memoized per (client, Space) in the views module, not per session).
 */
import type { SubscriptionKey } from '../keys.js';
import type { DownstreamOrigin, RpcMessage } from '../upstream/types.js';
import type { View, ViewFingerprints } from '../view.js';

/**
 * Why a view is wanted. A call never waits for upstreams; a list (and a list_changed check) waits,
 * bounded, for the Space's upstreams the first time the caller lists in that Space.
 */
export type ViewPurpose = 'call' | 'list' | 'refresh';

/** The per-request context every request handler receives. */
export interface Caller {
  /** The client the request acts for. */
  readonly clientId: string;
  /** The Space the request is served in (`''`: the client sees no Space). May move between awaits. */
  readonly spaceId: string;
  /** The id observations and the audit log name (a session's id). */
  readonly sessionId: string;
  /** Tags upstream requests, so a server->client request they cause is relayed back to this caller. */
  readonly origin: DownstreamOrigin;
  /** True once the caller is gone: it is no longer asked, moved or notified. */
  readonly closed: boolean;
  /** Severity index below which upstream log messages are not passed on (undefined: everything). */
  readonly logLevel: number | undefined;
  /**
   * The caller's current view of its Space.
   * @param purpose - default `'call'` (never waits for upstreams).
   */
  view(purpose?: ViewPurpose): Promise<View>;
  /** True when the caller declared the capability a server->client request of `method` needs. */
  canAnswer(method: string): boolean;
}

/** A caller with the 2025-era session features: resource subscriptions and a logging level. */
export interface SessionCaller extends Caller {
  /** The level the client asked for with `logging/setLevel`. */
  logLevel: number | undefined;
  /** The upstream subscriptions the caller holds. */
  readonly subscriptions: Set<SubscriptionKey>;
  /** Sends a notification to the client; never rejects. */
  notify(message: RpcMessage): Promise<void>;
}

/** A caller the gateway can put a server->client request to (sampling, elicitation, roots). */
export interface AskableCaller extends Caller {
  /** The protocol revision the caller speaks (a 2026-07-28 caller is never asked during a call). */
  readonly protocolVersion: string | undefined;
  /** Sends `message` to the client and returns its result unparsed. */
  ask(message: RpcMessage, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** A list whose changes are announced with `notifications/<kind>/list_changed`. */
export type ChangingList = 'tools' | 'prompts' | 'resources';

/** A caller that keeps a view between requests and is told when its lists change (a session). */
export interface ViewHolder extends Pick<Caller, 'clientId' | 'spaceId' | 'sessionId' | 'closed'> {
  /** The last view served; undefined after an invalidation until the next request or refresh. */
  cachedView: View | undefined;
  /** Fingerprints of the lists last shown (undefined until it first got a view). */
  shown: ViewFingerprints | undefined;
  /** The Space whose lists were last served (undefined: none yet). */
  listedSpaceId: string | undefined;
  /** Sends `notifications/<kind>/list_changed`. */
  sendListChanged(kind: ChangingList): Promise<void>;
}
