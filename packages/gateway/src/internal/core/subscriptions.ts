/**
 * Resource subscriptions (a 2025-era session feature): one upstream subscription per (Space,
 * server, URI), shared by every session that subscribed to it, and `notifications/resources/updated`
 * passed to those sessions only.
 */
import { parseSubscriptionKey, type SubscriptionKey, subscriptionKey } from '../keys.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import type { RpcMessage, Upstream } from '../upstream/types.js';
import type { Route } from '../view.js';
import type { SessionCaller } from './caller.js';
import type { SpaceRegistry } from './spaces.js';

/** True when the upstream is ready and takes `resources/subscribe`. */
function subscribable(upstream: Upstream | undefined): upstream is Upstream {
  return upstream?.state === 'ready' && upstream.catalog?.capabilities.resources?.subscribe === true;
}

/** The subscriptions sessions hold on upstream resources. */
export class Subscriptions {
  /** (Space, server, URI) -> sessions subscribed to that upstream resource. */
  private readonly subscribers = new Map<SubscriptionKey, Set<SessionCaller>>();

  constructor(
    private readonly pool: () => Pick<UpstreamPoolHandle, 'get'>,
    private readonly spaces: Pick<SpaceRegistry, 'upstreamFor'>,
  ) {}

  /** How many upstream subscriptions are held. */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Subscribes `caller` to `uri` on the route's server in `spaceId` (subscribing upstream when it is
   * the first subscriber and the server supports it). Nothing is kept when the caller closed or left
   * the Space meanwhile.
   */
  async subscribe(caller: SessionCaller, spaceId: string, route: Route, uri: string): Promise<void> {
    const key = subscriptionKey(spaceId, route.serverId, uri);
    if (caller.subscriptions.has(key)) return;
    let set = this.subscribers.get(key);
    if (set === undefined) {
      const upstream = await this.spaces.upstreamFor(spaceId, route);
      if (upstream.catalog?.capabilities.resources?.subscribe === true) {
        await upstream.request({ method: 'resources/subscribe', params: { uri } }, { origin: caller.origin });
      }
      set = this.subscribers.get(key);
      if (set === undefined) {
        set = new Set();
        this.subscribers.set(key, set);
      }
    }
    if (caller.closed || caller.spaceId !== spaceId) return;
    set.add(caller);
    caller.subscriptions.add(key);
  }

  /** Ends the caller's subscriptions to `uri` in its Space (unsubscribing upstream after the last one). */
  async unsubscribe(caller: SessionCaller, uri: string): Promise<void> {
    for (const key of caller.subscriptions) {
      const held = parseSubscriptionKey(key);
      if (held.uri !== uri || held.spaceId !== caller.spaceId) continue;
      const set = this.subscribers.get(key);
      caller.subscriptions.delete(key);
      if (set === undefined) continue;
      set.delete(caller);
      if (set.size === 0) {
        this.subscribers.delete(key);
        const upstream = this.pool().get(held.spaceId, held.serverId);
        if (subscribable(upstream)) {
          await upstream.request({ method: 'resources/unsubscribe', params: { uri } });
        }
      }
    }
  }

  /** Ends every subscription of a caller that closed or moved (unsubscribing upstream in the background). */
  release(caller: SessionCaller): void {
    for (const key of caller.subscriptions) {
      const set = this.subscribers.get(key);
      if (set === undefined) continue;
      set.delete(caller);
      if (set.size === 0) {
        this.subscribers.delete(key);
        const { spaceId, serverId, uri } = parseSubscriptionKey(key);
        const upstream = this.pool().get(spaceId, serverId);
        if (subscribable(upstream)) {
          upstream.request({ method: 'resources/unsubscribe', params: { uri } }).catch(() => undefined);
        }
      }
    }
    caller.subscriptions.clear();
  }

  /** Forgets the subscriptions held on an upstream that stopped (its subscriptions died with it). */
  dropUpstream(upstream: Upstream): void {
    for (const [key, set] of this.subscribers) {
      const { spaceId, serverId } = parseSubscriptionKey(key);
      if (spaceId !== upstream.spaceId || serverId !== upstream.serverId) continue;
      for (const s of set) s.subscriptions.delete(key);
      this.subscribers.delete(key);
    }
  }

  /** Passes an upstream's `notifications/resources/updated` to the sessions subscribed to that URI. */
  notifyUpdated(upstream: Upstream, message: RpcMessage): void {
    const params = message.params ?? {};
    const key = subscriptionKey(upstream.spaceId, upstream.serverId, String(params.uri));
    const subscribed = this.subscribers.get(key);
    if (subscribed === undefined) return;
    for (const s of subscribed) void s.notify({ method: message.method, params });
  }
}
