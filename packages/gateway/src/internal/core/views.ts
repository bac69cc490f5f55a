/**
 * Views: the memo of each (client, Space) view, its invalidation, and the list_changed checks that
 * follow an invalidation. The memo is keyed by (client, Space), not by session, so a stateless
 * request can use it as well as a session; what is per session (its last view, the fingerprints it
 * was shown, the Space it last listed) lives on the {@link ViewHolder}.
 */
import type { SpaceStore } from '@mcpmux/space-store';
import { messageOf } from '../errors.js';
import { parseViewKey, type ViewKey, viewKey } from '../keys.js';
import { metaToolClashes, withLean } from '../lean/meta-tools.js';
import type { GatewayLogger } from '../logger.js';
import { buildView, spaceNaming, type View } from '../view.js';
import type { ViewHolder, ViewPurpose } from './caller.js';
import type { Observe } from './observe.js';
import { SerialRuns } from './serial-runs.js';
import type { SpaceRegistry } from './spaces.js';

/** What {@link ViewRegistry} needs from the rest of the gateway. */
export interface ViewRegistryDeps {
  store: Pick<SpaceStore, 'loadPolicyContext'>;
  spaces: SpaceRegistry;
  /** The holders (open sessions) to re-check after an invalidation. */
  holders: () => Iterable<ViewHolder>;
  /** Bursts of invalidations within this many ms produce one check per holder. */
  debounceMs: number;
  logger: GatewayLogger;
  observe: Observe;
  isClosed: () => boolean;
}

/** The view memo, its invalidation and the list_changed checks. */
export class ViewRegistry {
  /** (client, Space) -> memoized view computation. */
  private readonly memo = new Map<ViewKey, Promise<View>>();
  /** Bumped on every invalidation; a view computed across a bump is recomputed. */
  private generation = 0;
  /** Bumped on every invalidation caused by a store change: a view computed across one is never served. */
  private policyGeneration = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** list_changed checks, one running per holder (a slow one delays no other); wanted: dirty holders. */
  private readonly refreshes: SerialRuns<ViewHolder>;

  constructor(private readonly deps: ViewRegistryDeps) {
    this.refreshes = new SerialRuns({
      work: (holder) => this.refresh(holder),
      onError: (_holder, err) =>
        deps.logger.warn({ error: messageOf(err) }, 'gateway: could not refresh a session view'),
      stopped: deps.isClosed,
    });
  }

  /**
   * The memoized view of `clientId` in `spaceId`, computed from the upstreams connected now (never
   * waits for one; starts those that are not). A failed computation is not kept.
   */
  memoized(clientId: string, spaceId: string): Promise<View> {
    const key = viewKey(clientId, spaceId);
    let pending = this.memo.get(key);
    if (pending === undefined) {
      pending = this.compute(clientId, spaceId);
      const stored = pending;
      this.memo.set(key, stored);
      stored.catch(() => {
        if (this.memo.get(key) === stored) this.memo.delete(key);
      });
    }
    return pending;
  }

  /**
   * The holder's current view: memoized per (client, Space), recomputed after invalidation. Calls
   * (`purpose` 'call') never wait for upstreams; a list, and a list_changed check ('refresh'), wait for
   * the Space's upstreams (bounded by the connect timeout) when the holder was not yet served a list
   * in that Space, so its first list there is complete. A view computed across a store change is
   * never served: the policy generation must not move while it is computed.
   */
  async viewOf(holder: ViewHolder, purpose: ViewPurpose = 'call'): Promise<View> {
    for (let attempt = 0; ; attempt++) {
      const spaceId = holder.spaceId;
      if (spaceId === '') return emptyView(holder.clientId);
      if (purpose !== 'call' && holder.listedSpaceId !== spaceId) {
        await this.deps.spaces.warm(spaceId);
        if (holder.spaceId !== spaceId) continue;
      }
      const generation = this.generation;
      const policyGeneration = this.policyGeneration;
      const view = await this.memoized(holder.clientId, spaceId);
      if (holder.spaceId !== spaceId || policyGeneration !== this.policyGeneration) continue;
      // Upstream catalog churn alone may outpace recomputation: after a few tries serve this view
      // (its policy is current), without memoizing it on the holder.
      const current = generation === this.generation;
      if (current || attempt >= 3) {
        if (current && !holder.closed) holder.cachedView = view;
        if (!holder.closed) holder.shown ??= view.fingerprints;
        if (purpose === 'list') holder.listedSpaceId = spaceId;
        return view;
      }
    }
  }

  /**
   * Drops memoized views (of the given Spaces, or all) and schedules list_changed checks for their
   * holders. Synchronous: the next request of any affected holder recomputes its view. `policy`
   * marks invalidations caused by store changes (see {@link viewOf}).
   */
  invalidate(spaceIds: 'all' | readonly string[], policy = false): void {
    this.generation++;
    if (policy) this.policyGeneration++;
    const spaces = spaceIds === 'all' ? undefined : new Set(spaceIds);
    if (spaces === undefined) {
      this.memo.clear();
    } else {
      for (const key of this.memo.keys()) {
        if (spaces.has(parseViewKey(key).spaceId)) this.memo.delete(key);
      }
    }
    for (const s of this.deps.holders()) {
      if (spaces !== undefined && !spaces.has(s.spaceId)) continue;
      s.cachedView = undefined;
      this.refreshes.want(s);
    }
    this.scheduleRefresh();
  }

  /** Forgets a holder that closed (no list_changed check is run for it). */
  forget(holder: ViewHolder): void {
    this.refreshes.forget(holder);
    holder.cachedView = undefined;
  }

  /** Stops scheduling checks; resolves once the running ones ended. */
  async close(): Promise<void> {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    await this.refreshes.settled();
  }

  private async compute(clientId: string, spaceId: string): Promise<View> {
    const { spaces, store } = this.deps;
    void spaces.connectSpace(spaceId);
    const servers = await spaces.serversOf(spaceId);
    const ctx = await store.loadPolicyContext(clientId, spaceId);
    const catalogs = spaces.catalogsOf(spaceId, servers);
    const naming = spaceNaming(spaceId, servers, catalogs);
    spaces.noteReports(spaceId, [...naming.reports, ...metaToolClashes(spaceId, naming, catalogs)]);
    const view = buildView(
      {
        clientId,
        spaceId,
        servers,
        catalogs,
        featureSets: ctx?.featureSets ?? [],
        grants: ctx?.grants ?? [],
      },
      naming,
    );
    return withLean(view, ctx?.client);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined || this.deps.isClosed()) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      for (const s of this.refreshes.wantedKeys()) this.refreshes.start(s);
    }, this.deps.debounceMs);
    this.refreshTimer.unref();
  }

  /** Recomputes a holder's view and sends list_changed for each kind whose fingerprint moved. */
  private async refresh(s: ViewHolder): Promise<void> {
    if (s.closed || s.shown === undefined) return;
    const view = await this.viewOf(s, 'refresh');
    if (s.closed) return;
    const shown = s.shown;
    s.shown = view.fingerprints;
    const sends: Promise<void>[] = [];
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      if (shown[kind] === view.fingerprints[kind]) continue;
      sends.push(s.sendListChanged(kind));
      this.deps.observe('listChanged', { sessionId: s.sessionId, clientId: s.clientId, kind });
    }
    await Promise.all(sends).catch(() => undefined);
  }
}

/** The view of a client that sees no Space: every list empty. */
export function emptyView(clientId: string): View {
  return buildView(
    { clientId, spaceId: '', servers: [], catalogs: new Map(), featureSets: [], grants: [] },
    spaceNaming('', [], new Map()),
  );
}
