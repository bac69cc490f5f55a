/**
 * What the gateway does on the pool's events: a new catalog (store it as discovered, set the Space's
 * log level, drop the Space's views), a state change (observe it, mark a server whose circuit opened
 * unavailable, forget its subscriptions), and upstream notifications (log messages, resource updates).
 */
import type { SpaceStore } from '@mcpmux/space-store';
import { catalogToDiscovered } from '../discovered.js';
import { messageOf } from '../errors.js';
import type { GatewayLogger } from '../logger.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import type { RpcMessage, Upstream, UpstreamPoolEvents } from '../upstream/types.js';
import { fanOutLogMessage, setUpstreamLogLevel } from './logging.js';
import type { Observe } from './observe.js';
import { NOT_DISCOVERABLE, type SpaceRegistry } from './spaces.js';
import type { Subscriptions } from './subscriptions.js';
import type { ViewRegistry } from './views.js';

/** What {@link createUpstreamEvents} needs. */
export interface UpstreamEventsDeps {
  store: Pick<SpaceStore, 'replaceDiscovered' | 'markServerUnavailable'>;
  /** The pool (created after the handlers, hence a getter). */
  pool: () => Pick<UpstreamPoolHandle, 'get'>;
  spaces: SpaceRegistry;
  views: ViewRegistry;
  subscriptions: Subscriptions;
  logger: GatewayLogger;
  observe: Observe;
  isClosed: () => boolean;
}

/**
 * The pool's event handlers.
 * @returns the `events` option of the upstream pool.
 */
export function createUpstreamEvents(deps: UpstreamEventsDeps): Required<UpstreamPoolEvents> {
  const { store, spaces, views, subscriptions, logger, observe, isClosed } = deps;
  const isCurrent = (upstream: Upstream): boolean =>
    deps.pool().get(upstream.spaceId, upstream.serverId) === upstream;

  return {
    catalogChanged(upstream: Upstream): void {
      if (isClosed() || !isCurrent(upstream)) return;
      const catalog = upstream.catalog;
      if (catalog !== undefined) {
        const features = catalogToDiscovered(upstream.serverId, catalog);
        store.replaceDiscovered(upstream.spaceId, upstream.serverId, features).catch((err: unknown) => {
          logger.warn(
            { spaceId: upstream.spaceId, serverId: upstream.serverId, error: messageOf(err) },
            'gateway: could not store discovered features',
          );
        });
        const level = spaces.get(upstream.spaceId)?.logLevel;
        if (level !== undefined) setUpstreamLogLevel(upstream, level);
      }
      views.invalidate([upstream.spaceId]);
    },

    stateChanged(upstream: Upstream, previous: string): void {
      if (isClosed()) return;
      const state = upstream.state;
      const lastError = upstream.lastError;
      observe('upstreamState', {
        spaceId: upstream.spaceId,
        serverId: upstream.serverId,
        previous,
        state,
        restarts: upstream.restarts,
        ...(lastError === undefined ? {} : { lastError }),
      });
      if (NOT_DISCOVERABLE.has(state) && !NOT_DISCOVERABLE.has(previous)) {
        if (state === 'circuit-open' && isCurrent(upstream)) {
          store.markServerUnavailable(upstream.spaceId, upstream.serverId).catch(() => undefined);
        }
        subscriptions.dropUpstream(upstream);
        views.invalidate([upstream.spaceId]);
      }
    },

    notification(upstream: Upstream, message: RpcMessage): void {
      if (message.method === 'notifications/message') {
        fanOutLogMessage(upstream, message, spaces.get(upstream.spaceId));
      } else if (message.method === 'notifications/resources/updated') {
        subscriptions.notifyUpdated(upstream, message);
      }
    },
  };
}
