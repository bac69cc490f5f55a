// What the bridge remembers of an app's session, beyond its handshake, to replay on a new gateway
// after a reconnection: the resources it subscribed to and its logging level. Pure bookkeeping, no
// I/O: the relay feeds it the app's requests and the gateway's answers and asks it what to replay.

/** A request the bridge replays on a new gateway, without its `jsonrpc` and `id`. */
export interface ReplayedRequest {
  /** `resources/subscribe` or `logging/setLevel`. */
  method: string;
  /** The request's params (`{ uri }` or `{ level }`). */
  params: Record<string, unknown>;
}

/** An app request whose effect counts once the gateway answered it with a result. */
type Pending = { kind: 'subscribe'; uri: string } | { kind: 'setLevel'; level: string };

const TRACKED = new Set(['resources/subscribe', 'resources/unsubscribe', 'logging/setLevel']);

function stringParam(message: Record<string, unknown>, name: string): string | undefined {
  const params = message.params;
  if (typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The app's resource subscriptions and logging level, as the gateway accepted them. A subscription
 * or a level counts only once the gateway answered its request with a result; an unsubscribe
 * forgets the uri at once.
 *
 * @example
 * ```ts
 * const state = new SessionState();
 * state.onAppRequest('n:1', { method: 'resources/subscribe', params: { uri: 'a://x' } });
 * state.onAnswer('n:1', true);
 * state.replay(); // [{ method: 'resources/subscribe', params: { uri: 'a://x' } }]
 * ```
 */
export class SessionState {
  readonly #subscriptions = new Set<string>();
  #level: string | undefined;
  /** Request key (see `idKey`) -> what its successful answer changes. */
  readonly #pending = new Map<string, Pending>();

  /**
   * True for the methods this state follows, whose lines the relay parses in full.
   *
   * @param method - a request's `method`.
   */
  static follows(method: string): boolean {
    return TRACKED.has(method);
  }

  /**
   * Notes a request the app sent (one whose method {@link SessionState.follows}).
   *
   * @param key - the request's id key, or `undefined` for a message without an id (ignored for a
   *   subscribe or a level, which then get no answer).
   * @param message - the parsed line.
   */
  onAppRequest(key: string | undefined, message: Record<string, unknown>): void {
    const method = message.method;
    if (method === 'resources/unsubscribe') {
      const uri = stringParam(message, 'uri');
      if (uri === undefined) return;
      this.#subscriptions.delete(uri);
      for (const [k, p] of this.#pending)
        if (p.kind === 'subscribe' && p.uri === uri) this.#pending.delete(k);
      return;
    }
    if (key === undefined) return;
    if (method === 'resources/subscribe') {
      const uri = stringParam(message, 'uri');
      if (uri !== undefined) this.#pending.set(key, { kind: 'subscribe', uri });
    } else if (method === 'logging/setLevel') {
      const level = stringParam(message, 'level');
      if (level !== undefined) this.#pending.set(key, { kind: 'setLevel', level });
    }
  }

  /**
   * True when the answer to this request id matters here (the relay then reads whether it failed).
   *
   * @param key - the answer's id key.
   */
  awaits(key: string): boolean {
    return this.#pending.has(key);
  }

  /**
   * Notes the gateway's answer to a request noted by {@link SessionState.onAppRequest}.
   *
   * @param key - the answer's id key.
   * @param succeeded - true when the answer has a result (not an error).
   */
  onAnswer(key: string, succeeded: boolean): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    this.#pending.delete(key);
    if (!succeeded) return;
    if (pending.kind === 'subscribe') this.#subscriptions.add(pending.uri);
    else this.#level = pending.level;
  }

  /** The connection was lost: requests in flight were failed and never count. */
  onLost(): void {
    this.#pending.clear();
  }

  /**
   * Forgets a subscription (the new gateway refused its replay).
   *
   * @param uri - the resource uri.
   */
  forget(uri: string): void {
    this.#subscriptions.delete(uri);
  }

  /** The requests that restore this state on a new gateway session: the level first, then each subscription. */
  replay(): ReplayedRequest[] {
    const out: ReplayedRequest[] = [];
    if (this.#level !== undefined) out.push({ method: 'logging/setLevel', params: { level: this.#level } });
    for (const uri of this.#subscriptions) out.push({ method: 'resources/subscribe', params: { uri } });
    return out;
  }
}
