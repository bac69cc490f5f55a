/** Reporting to the embedder's {@link GatewayObserver}. */
import type { GatewayObserver } from '../../observer.js';
import { messageOf } from '../errors.js';
import type { GatewayLogger } from '../logger.js';

/** Tells the observer one event of kind `K`. */
export type Observe = <K extends keyof GatewayObserver>(
  kind: K,
  event: Parameters<NonNullable<GatewayObserver[K]>>[0],
) => void;

/**
 * An {@link Observe} function over `observer`: an observer that throws is logged and otherwise
 * ignored, so it never fails a request.
 */
export function createObserve(observer: GatewayObserver, logger: GatewayLogger): Observe {
  return (kind, event) => {
    const handler = observer[kind] as ((e: typeof event) => void) | undefined;
    if (handler === undefined) return;
    try {
      handler.call(observer, event);
    } catch (err) {
      logger.warn({ error: messageOf(err), kind }, 'gateway: observer threw');
    }
  };
}
