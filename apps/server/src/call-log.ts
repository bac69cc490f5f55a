/**
 * The gateway's activity as log lines: one line per call, Space switches and the upstream state
 * changes an operator cares about at `info`; sessions and list changes at `debug`. Built from the
 * gateway's observer events, which carry no arguments, results, keys or secrets.
 */
import type {
  CallObservation,
  GatewayObserver,
  ListChangedObservation,
  SessionObservation,
  UpstreamStateObservation,
} from '@mcpmux/gateway';
import type { Logger } from './logger.js';

/** The fields of one call line (what `--log-format json` prints besides `level`, `time`, `msg`). */
export interface CallLogFields {
  client: string;
  space: string | null;
  server: string | null;
  method: string;
  /**
   * The tool or prompt as the client named it; for a resource only the URI's scheme and path (a query
   * or fragment may carry a token: signed URLs, `?key=`).
   */
  name: string;
  decision: 'allow' | 'deny';
  outcome: 'ok' | 'error' | 'timeout';
  errorCode?: string;
  /** Tools a lean client's `mcpmux_search_tools` returned (never its query). */
  hits?: number;
  durationMs: number;
  requestId: string | number;
}

/** The call line's fields for one call event; never its arguments or result (the event has none). */
export function callLogFields(event: CallObservation): CallLogFields {
  return {
    client: event.clientId,
    space: event.spaceId ?? null,
    server: event.serverId ?? null,
    method: event.method,
    name: event.kind === 'resource' ? event.name.replace(/[?#].*$/s, '') : event.name,
    decision: event.decision,
    outcome: event.outcome,
    ...(event.errorCode === undefined ? {} : { errorCode: event.errorCode }),
    ...(event.hits === undefined ? {} : { hits: event.hits }),
    durationMs: Math.round(event.durationMs * 10) / 10,
    requestId: event.requestId,
  };
}

/**
 * A {@link GatewayObserver} that writes the gateway's activity to `logger`:
 * - `info`: `call` (client, Space, server, exposed name, decision, outcome, error code, duration,
 *   request id), `active Space changed`, `upstream ready` / `upstream restarted`, `upstream idle-closed`;
 * - `warn`: `upstream crashed` (with the redacted reason and the backoff);
 * - `error`: `upstream circuit open`;
 * - `debug`: `session opened` / `session closed` (client, Space, protocol revision), `list_changed sent`,
 *   and the other upstream transitions.
 *
 * The observer is a plain object (its handlers are own properties), as `combineObservers` expects.
 *
 * @param logger - where lines go; its level decides which are written.
 * @returns the observer, to push onto the server's observer list.
 * @example
 * ```ts
 * observers.push(createCallLog(logger.child({ component: 'gateway' })));
 * ```
 */
export function createCallLog(logger: Logger): GatewayObserver {
  /** Restarts seen when each upstream was last ready, to tell a restart from a first start. */
  const readyAt = new Map<string, number>();
  const session = (event: SessionObservation) => ({
    client: event.clientId,
    space: event.spaceId === '' ? null : event.spaceId,
    protocolVersion: event.protocolVersion ?? null,
  });
  return {
    call(event: CallObservation): void {
      logger.info(callLogFields(event), 'call');
    },
    sessionOpened(event: SessionObservation): void {
      logger.debug(session(event), 'session opened');
    },
    sessionClosed(event: SessionObservation): void {
      logger.debug(session(event), 'session closed');
    },
    listChanged(event: ListChangedObservation): void {
      logger.debug({ client: event.clientId, kind: event.kind }, 'list_changed sent');
    },
    activeSpaceChanged(event: { from: string | undefined; to: string | undefined }): void {
      logger.info({ from: event.from ?? null, to: event.to ?? null }, 'active Space changed');
    },
    upstreamState(event: UpstreamStateObservation): void {
      const key = `${event.spaceId}\u0000${event.serverId}`;
      const fields = {
        space: event.spaceId,
        server: event.serverId,
        previous: event.previous,
        state: event.state,
        restarts: event.restarts,
      };
      const reason = event.lastError === undefined ? {} : { reason: event.lastError };
      switch (event.state) {
        case 'ready': {
          const before = readyAt.get(key);
          readyAt.set(key, event.restarts);
          const restarted = event.restarts > (before ?? 0);
          logger.info(fields, restarted ? 'upstream restarted' : 'upstream ready');
          return;
        }
        case 'backoff':
          logger.warn({ ...fields, ...reason }, 'upstream crashed; restarting after a backoff');
          return;
        case 'circuit-open':
          logger.error({ ...fields, ...reason }, 'upstream circuit open; not restarting');
          return;
        case 'idle':
          if (event.previous === 'ready') logger.info(fields, 'upstream idle-closed');
          else logger.debug(fields, 'upstream state');
          return;
        case 'closed':
          readyAt.delete(key);
          logger.debug(fields, 'upstream closed');
          return;
        default:
          logger.debug(fields, 'upstream state');
      }
    },
  };
}
