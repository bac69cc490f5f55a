/**
 * The open downstream sessions: registering them with their Space, moving them between Spaces, and
 * dropping them (with their subscriptions, log level and pending list_changed checks).
 */
import type { SessionObservation } from '../../observer.js';
import type { DownstreamSession } from '../session.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import { updateSpaceLogLevel } from './logging.js';
import type { Observe } from './observe.js';
import type { SpaceRegistry } from './spaces.js';
import type { Subscriptions } from './subscriptions.js';
import type { ViewRegistry } from './views.js';

/** What {@link SessionRegistry} needs. */
export interface SessionRegistryDeps {
  spaces: SpaceRegistry;
  views: ViewRegistry;
  subscriptions: Subscriptions;
  /** The pool (created after the registry, hence a getter). */
  pool: () => Pick<UpstreamPoolHandle, 'get'>;
  observe: Observe;
}

/** The observation of a session opening or closing. */
export function sessionEvent(s: DownstreamSession): SessionObservation {
  return { sessionId: s.id, clientId: s.clientId, spaceId: s.spaceId, protocolVersion: s.protocolVersion };
}

/** Open sessions by id. */
export class SessionRegistry {
  private readonly sessions = new Map<string, DownstreamSession>();

  constructor(private readonly deps: SessionRegistryDeps) {}

  /** How many sessions are open. */
  get size(): number {
    return this.sessions.size;
  }

  /** The open session of an id. */
  get(id: string): DownstreamSession | undefined {
    return this.sessions.get(id);
  }

  /** The open sessions. */
  values(): IterableIterator<DownstreamSession> {
    return this.sessions.values();
  }

  /** Open sessions per Space. */
  countBySpace(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.sessions.values()) out[s.spaceId] = (out[s.spaceId] ?? 0) + 1;
    return out;
  }

  /** Registers a new session in its Space. */
  add(session: DownstreamSession): void {
    this.sessions.set(session.id, session);
    this.deps.spaces.state(session.spaceId).sessions.add(session);
  }

  /** Forgets a session that ended (once): its subscriptions, its Space's log level, its checks. */
  drop(session: DownstreamSession): void {
    if (session.closed) return;
    session.closed = true;
    if (session.initialized) this.deps.observe('sessionClosed', sessionEvent(session));
    this.deps.subscriptions.release(session);
    this.sessions.delete(session.id);
    this.deps.views.forget(session);
    const state = this.deps.spaces.get(session.spaceId);
    if (state !== undefined) {
      state.sessions.delete(session);
      if (session.logLevel !== undefined) this.updateLogLevel(session.spaceId);
    }
  }

  /** Moves a session to another Space (`''`: none); its subscriptions end, its new Space warms. */
  move(s: DownstreamSession, spaceId: string): void {
    const { spaces, subscriptions } = this.deps;
    const from = s.spaceId;
    subscriptions.release(s);
    spaces.get(from)?.sessions.delete(s);
    s.spaceId = spaceId;
    s.cachedView = undefined;
    spaces.state(spaceId).sessions.add(s);
    this.updateLogLevel(from);
    this.updateLogLevel(spaceId);
    if (spaceId !== '') void spaces.warm(spaceId);
  }

  /** Recomputes a Space's log level from its sessions and sets it upstream when it moved. */
  updateLogLevel(spaceId: string): void {
    updateSpaceLogLevel(this.deps.pool(), spaceId, this.deps.spaces.get(spaceId));
  }
}
