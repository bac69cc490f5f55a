import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { SubscriptionKey } from './keys.js';
import type { DownstreamOrigin } from './upstream/types.js';
import type { View, ViewFingerprints } from './view.js';

/** Severity order of MCP logging levels (index: higher is more severe). */
export const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Severity index of a level name; unknown names count as `info`. */
export function severity(level: unknown): number {
  const i = LOG_LEVELS.indexOf(level as LoggingLevel);
  return i < 0 ? 1 : i;
}

/** One downstream MCP session served by the gateway. */
export class DownstreamSession {
  readonly origin: DownstreamOrigin;
  /** The Space this session sees right now. */
  spaceId: string;
  mode: 'follow-active' | 'pinned';
  pinnedSpaceId: string | undefined;
  /** The memoized view; undefined after an invalidation until the next request or refresh. */
  view: View | undefined;
  /** Fingerprints of the lists this session was last shown (undefined until it first got a view). */
  shown: ViewFingerprints | undefined;
  /** The level the client asked for with `logging/setLevel` (undefined: everything). */
  logLevel: number | undefined;
  /** The upstream subscriptions this session holds. */
  readonly subscriptions = new Set<SubscriptionKey>();
  /**
   * The Space whose lists this session was last served (undefined: none yet). The first list in a
   * Space waits for that Space's upstreams to connect (bounded); later lists and every call do not.
   */
  listedSpaceId: string | undefined;
  closed = false;
  /** The protocol revision negotiated at `initialize` (undefined before it). */
  protocolVersion: string | undefined;
  /** True once the client sent `notifications/initialized` (the observer was told it opened). */
  initialized = false;

  constructor(
    readonly id: string,
    readonly clientId: string,
    readonly server: Server,
    spaceId: string,
    mode: 'follow-active' | 'pinned',
    pinnedSpaceId: string | undefined,
  ) {
    this.origin = { sessionId: id };
    this.spaceId = spaceId;
    this.mode = mode;
    this.pinnedSpaceId = pinnedSpaceId;
    this.listedSpaceId = undefined;
    this.view = undefined;
    this.shown = undefined;
    this.logLevel = undefined;
  }

  /** True when the client declared the capability a server->client request needs. */
  canAnswer(method: string): boolean {
    const caps = this.server.getClientCapabilities();
    if (caps === undefined) return false;
    if (method === 'sampling/createMessage') return caps.sampling !== undefined;
    if (method === 'elicitation/create') return caps.elicitation !== undefined;
    if (method === 'roots/list') return caps.roots !== undefined;
    return false;
  }
}
