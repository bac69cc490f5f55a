/**
 * The applier of store changes (decide, then do). The plan is made by the pure planner in
 * `change-plan.ts`; this module carries it out: views are dropped at once, the session part (active
 * Space, client modes, moves) follows after a few store reads in change order, and upstream syncing
 * runs per Space in the background.
 */
import type { SpaceStore, StoreChange } from '@mcpmux/space-store';
import { type ChangePlan, type ClientFacts, planSessions, planStoreChange } from '../change-plan.js';
import { messageOf } from '../errors.js';
import type { GatewayLogger } from '../logger.js';
import type { Observe } from './observe.js';
import type { SessionRegistry } from './sessions.js';
import type { SpaceRegistry } from './spaces.js';
import type { ViewRegistry } from './views.js';

/** What {@link StoreSync} needs. */
export interface StoreSyncDeps {
  store: Pick<SpaceStore, 'getActiveSpace' | 'getClient'>;
  spaces: SpaceRegistry;
  views: ViewRegistry;
  sessions: SessionRegistry;
  logger: GatewayLogger;
  observe: Observe;
  isClosed: () => boolean;
}

/** Applies store changes to views, sessions and upstreams. */
export class StoreSync {
  /** The session part of store changes (store reads only, never upstream I/O), in order. */
  private changes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: StoreSyncDeps) {}

  /**
   * Applies a store change: the plan is made from the change alone; views are dropped at once
   * (synchronously, before the store's write even returns to an in-process writer); the session
   * part follows after a few store reads, in change order; upstream syncing runs per Space in the
   * background. Nothing here waits for an upstream, and a failing step never keeps views from being
   * dropped.
   */
  apply(change: StoreChange): void {
    const { spaces, views, logger } = this.deps;
    if (this.deps.isClosed()) return;
    let plan: ChangePlan | undefined;
    let failed = false;
    try {
      plan = planStoreChange(change, spaces.ids());
      if (plan === undefined) return;
      // Views built after this point must re-read the changed Spaces' servers.
      for (const spaceId of plan.syncSpaces) spaces.forgetServers(spaceId);
    } catch (err) {
      failed = true;
      logger.error({ error: messageOf(err) }, 'gateway: store change failed');
    } finally {
      // No plan and no failure: nothing any session sees has changed.
      if (plan !== undefined || failed) views.invalidate(plan?.invalidate ?? 'all', true);
    }
    if (plan === undefined) return;
    const p = plan;
    if (p.readActiveSpace || p.readClients) {
      this.changes = this.changes
        .then(() => this.applySessionChanges(p))
        .catch((err: unknown) => logger.error({ error: messageOf(err) }, 'gateway: store change failed'));
    }
    for (const spaceId of p.syncSpaces) spaces.requestSync(spaceId);
  }

  /** Resolves once the queued session parts ran. */
  async close(): Promise<void> {
    await this.changes.catch(() => undefined);
  }

  /**
   * The session part of a store change: reads the active Space and the clients with open sessions,
   * then moves, re-modes and closes sessions as {@link planSessions} decides. A failed read leaves
   * that part as it was; views are dropped again at the end whatever happened.
   */
  private async applySessionChanges(plan: ChangePlan): Promise<void> {
    const { store, spaces, views, sessions, logger, observe, isClosed } = this.deps;
    if (isClosed()) return;
    try {
      let active = spaces.activeSpaceId;
      if (plan.readActiveSpace) {
        try {
          active = (await store.getActiveSpace())?.id;
        } catch (err) {
          logger.error({ error: messageOf(err) }, 'gateway: could not read the active Space');
        }
      }
      const clients = plan.readClients ? await this.readClients() : undefined;
      if (isClosed()) return;
      if (active !== spaces.activeSpaceId) {
        observe('activeSpaceChanged', { from: spaces.activeSpaceId, to: active });
        spaces.activeSpaceId = active;
        if (active !== undefined) void spaces.warm(active);
      }
      const decided = planSessions([...sessions.values()], active, clients);
      for (const id of decided.close) {
        const s = sessions.get(id);
        if (s === undefined) continue;
        sessions.drop(s);
        s.outlet.close().catch(() => undefined);
      }
      for (const m of decided.modes) {
        const s = sessions.get(m.sessionId);
        if (s === undefined) continue;
        s.mode = m.mode;
        s.pinnedSpaceId = m.pinnedSpaceId;
      }
      for (const m of decided.moves) {
        const s = sessions.get(m.sessionId);
        if (s !== undefined) sessions.move(s, m.spaceId);
      }
    } finally {
      views.invalidate(plan.invalidate, true);
    }
  }

  /** The clients of open sessions as stored now (undefined: deleted); a failed read is left out. */
  private async readClients(): Promise<Map<string, ClientFacts | undefined>> {
    const { store, sessions, logger } = this.deps;
    const ids = new Set([...sessions.values()].map((s) => s.clientId));
    const clients = new Map<string, ClientFacts | undefined>();
    await Promise.all(
      [...ids].map(async (id) => {
        try {
          const client = await store.getClient(id);
          clients.set(
            id,
            client === undefined ? undefined : { mode: client.mode, pinnedSpaceId: client.pinnedSpaceId },
          );
        } catch (err) {
          logger.warn({ clientId: id, error: messageOf(err) }, 'gateway: could not read a client');
        }
      }),
    );
    return clients;
  }
}
