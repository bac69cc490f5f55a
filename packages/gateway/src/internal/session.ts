import type {
  ClientCapabilities,
  LoggingLevel,
  Server,
  StandardSchemaV1,
} from '@modelcontextprotocol/server';
import type { AskableCaller, ChangingList, SessionCaller, ViewHolder, ViewPurpose } from './core/caller.js';
import type { SubscriptionKey } from './keys.js';
import type { DownstreamOrigin, RpcMessage } from './upstream/types.js';
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

/** Where a session's messages to its client go: the SDK server of a connection, or a listen stream. */
export interface SessionOutlet {
  /** What the client declared at `initialize` (undefined: a 2026-07-28 client, which is asked nothing). */
  capabilities(): ClientCapabilities | undefined;
  /** Sends a server->client request; its result is passed on unparsed. */
  ask(message: RpcMessage, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Sends a notification; never rejects. */
  notify(message: RpcMessage): Promise<void>;
  /** Sends `notifications/<kind>/list_changed`. */
  sendListChanged(kind: ChangingList): Promise<void>;
  /** Ends the connection. */
  close(): Promise<void>;
}

/** A result schema that accepts anything and returns it as is. */
const PASSTHROUGH: StandardSchemaV1<unknown, unknown> = {
  '~standard': { version: 1, vendor: 'mcpmux', validate: (value: unknown) => ({ value }) },
};

/** The outlet of a session served by an SDK server over one connection. */
export function serverOutlet(server: Server): SessionOutlet {
  return {
    capabilities: () => server.getClientCapabilities(),
    ask: (message, signal) =>
      server.request(message as never, PASSTHROUGH, { signal }) as Promise<Record<string, unknown>>,
    notify: (message) => server.notification(message as never).catch(() => undefined),
    sendListChanged: (kind) => {
      if (kind === 'tools') return server.sendToolListChanged();
      if (kind === 'prompts') return server.sendPromptListChanged();
      return server.sendResourceListChanged();
    },
    close: () => server.close(),
  };
}

/** The outlet of a session that has none yet (its connection has not opened): asks and tells nothing. */
const NO_OUTLET: SessionOutlet = {
  capabilities: () => undefined,
  ask: (message) => Promise.reject(new Error(`${message.method}: the session is not open`)),
  notify: () => Promise.resolve(),
  sendListChanged: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Gets the current view of a session (the views module's `viewOf`). */
export type SessionViewSource = (session: DownstreamSession, purpose: ViewPurpose) => Promise<View>;

/**
 * One downstream MCP session served by the gateway (2025-era protocol): the {@link SessionCaller}
 * its requests are handled for, the {@link ViewHolder} told of list changes, and the
 * {@link AskableCaller} server->client requests are relayed to.
 */
export class DownstreamSession implements SessionCaller, AskableCaller, ViewHolder {
  readonly origin: DownstreamOrigin;
  /** The Space this session sees right now. */
  spaceId: string;
  mode: 'follow-active' | 'pinned';
  pinnedSpaceId: string | undefined;
  /** The memoized view; undefined after an invalidation until the next request or refresh. */
  cachedView: View | undefined;
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

  /** Where messages to the client go (set when the connection opens). */
  outlet: SessionOutlet = NO_OUTLET;

  constructor(
    readonly id: string,
    readonly clientId: string,
    spaceId: string,
    mode: 'follow-active' | 'pinned',
    pinnedSpaceId: string | undefined,
    private readonly viewSource: SessionViewSource,
  ) {
    this.origin = { sessionId: id };
    this.spaceId = spaceId;
    this.mode = mode;
    this.pinnedSpaceId = pinnedSpaceId;
    this.listedSpaceId = undefined;
    this.cachedView = undefined;
    this.shown = undefined;
    this.logLevel = undefined;
  }

  /** The session's id (observations and the audit log name it). */
  get sessionId(): string {
    return this.id;
  }

  /** The current view: the memoized one for a call, else through the views module. */
  view(purpose: ViewPurpose = 'call'): Promise<View> {
    if (purpose === 'call' && this.cachedView !== undefined) return Promise.resolve(this.cachedView);
    return this.viewSource(this, purpose);
  }

  /** True when the client declared the capability a server->client request needs. */
  canAnswer(method: string): boolean {
    const caps = this.outlet.capabilities();
    if (caps === undefined) return false;
    if (method === 'sampling/createMessage') return caps.sampling !== undefined;
    if (method === 'elicitation/create') return caps.elicitation !== undefined;
    if (method === 'roots/list') return caps.roots !== undefined;
    return false;
  }

  /** Sends a server->client request to the client; its result is passed on unparsed. */
  ask(message: RpcMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.outlet.ask(message, signal);
  }

  /** Sends a notification to the client; a failed send is ignored. */
  notify(message: RpcMessage): Promise<void> {
    return this.outlet.notify(message);
  }

  /** Sends `notifications/<kind>/list_changed`. */
  sendListChanged(kind: ChangingList): Promise<void> {
    return this.outlet.sendListChanged(kind).catch(() => undefined);
  }
}
