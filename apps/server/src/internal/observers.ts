import type { GatewayObserver } from '@mcpmux/gateway';

type Handler = (event: never) => void;

/**
 * One observer that tells each of `observers` in turn (metrics, logs, ...). Each gets the same
 * event object; the gateway already isolates a throwing observer from its own path.
 */
export function combineObservers(observers: readonly GatewayObserver[]): GatewayObserver {
  const combined: Record<string, Handler> = {};
  const kinds = new Set(observers.flatMap((o) => Object.keys(o)));
  for (const kind of kinds) {
    const handlers = observers
      .map((o) => (o as Record<string, Handler | undefined>)[kind]?.bind(o))
      .filter((h): h is Handler => h !== undefined);
    combined[kind] = (event: never) => {
      for (const handler of handlers) handler(event);
    };
  }
  return combined as GatewayObserver;
}
