// The admin API's live events (`GET /api/v1/events`): server-sent events fed by the store's change
// signal (CLI writes included) and by the gateway's observer (calls, sessions, upstream states).
import type { ServerResponse } from 'node:http';
import type { GatewayObserver } from '@mcpmux/gateway';
import type { StoreChange } from '@mcpmux/space-store';
import { SECURITY_HEADERS } from './static.js';

/** The default keep-alive comment interval: 15 s. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

/** The live event stream of the admin API. */
export interface EventHub {
  /** Starts an SSE response on `res` and keeps it until the client goes or the hub closes. */
  subscribe(res: ServerResponse): void;
  /** Sends one event to every subscriber. */
  publish(event: 'change' | 'upstream' | 'call' | 'session', data: object): void;
  /** A store watcher: one `change` event per changed kind. */
  onStoreChange(change: StoreChange): void;
  /** Feeds `upstream`, `call` and `session` events. */
  observer: GatewayObserver;
  /** Open streams. */
  readonly size: number;
  /** Ends every stream. */
  close(): void;
}

/**
 * Creates the event hub. Events carry no arguments, results, keys or secrets (the observer's
 * events have none). A comment line every `keepAliveMs` keeps idle proxies from closing streams.
 *
 * @param options.keepAliveMs - default 15,000.
 * @example
 * ```ts
 * const hub = createEventHub();
 * store.watch((change) => hub.onStoreChange(change));
 * hub.subscribe(res); // in a GET /api/v1/events handler
 * ```
 */
export function createEventHub(options: { keepAliveMs?: number } = {}): EventHub {
  const streams = new Set<ServerResponse>();
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
  keepAlive.unref();

  const publish: EventHub['publish'] = (event, data) => {
    if (streams.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) res.write(frame);
  };

  return {
    get size() {
      return streams.size;
    },
    subscribe(res) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    },
    publish,
    onStoreChange(change) {
      for (const kind of change.kinds) {
        const spaceIds = change.spaceIds;
        publish('change', {
          kind,
          revision: change.revision,
          ...(spaceIds?.length === 1 ? { spaceId: spaceIds[0] } : {}),
          ...(spaceIds === undefined ? {} : { spaceIds }),
        });
      }
    },
    observer: {
      upstreamState(e) {
        if (streams.size === 0) return; // no console listening: build nothing
        publish('upstream', {
          spaceId: e.spaceId,
          serverId: e.serverId,
          state: e.state,
          previous: e.previous,
          restarts: e.restarts,
          ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
        });
      },
      call(e) {
        if (streams.size === 0) return; // no console listening: build nothing
        publish('call', {
          at: new Date().toISOString(),
          clientId: e.clientId,
          ...(e.spaceId === undefined ? {} : { spaceId: e.spaceId }),
          ...(e.serverId === undefined ? {} : { serverId: e.serverId }),
          method: e.method,
          name: e.name,
          decision: e.decision,
          outcome: e.outcome,
          durationMs: e.durationMs,
        });
      },
      sessionOpened(e) {
        if (streams.size === 0) return; // no console listening: build nothing
        publish('session', {
          type: 'opened',
          clientId: e.clientId,
          ...(e.spaceId === '' ? {} : { spaceId: e.spaceId }),
          ...(e.protocolVersion === undefined ? {} : { protocolVersion: e.protocolVersion }),
        });
      },
      sessionClosed(e) {
        if (streams.size === 0) return; // no console listening: build nothing
        publish('session', {
          type: 'closed',
          clientId: e.clientId,
          ...(e.spaceId === '' ? {} : { spaceId: e.spaceId }),
        });
      },
    },
    close() {
      clearInterval(keepAlive);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
