/**
 * What a store change means for the gateway, decided before anything is done (decide, then do).
 * Pure: plain data in, plain data out. The gateway applies a plan in two steps: the view part at once
 * (no I/O), the session part after the few store reads it needs; upstream syncing runs on its own and
 * never delays either.
 */
import type { ChangeKind, StoreChange } from '@mcpmux/space-store';

/** Kinds whose changes touch only the Spaces they name. */
const SPACE_SCOPED: ReadonlySet<ChangeKind> = new Set([
  'featureset',
  'grant',
  'installation',
  'discovered',
  'secret',
]);

/** The part of a store change that is decided from the change alone. */
export interface ChangePlan {
  /** Views to drop (and sessions to re-check for list_changed): every view, or those of these Spaces. */
  invalidate: 'all' | string[];
  /** Spaces whose server lists are re-read at once and whose upstreams are synced in the background. */
  syncSpaces: string[];
  /** The active Space may have changed: read it, then move follow-active sessions. */
  readActiveSpace: boolean;
  /** Clients may have changed mode, pin or existence: read those with open sessions. */
  readClients: boolean;
}

/**
 * Plans a store change.
 *
 * @param change - the change the store reported.
 * @param knownSpaceIds - Spaces the gateway holds state for (synced when a change names no Space).
 * @returns the plan, or undefined when the change cannot affect what any session sees (only the
 *   discovery cache changed).
 */
export function planStoreChange(
  change: StoreChange,
  knownSpaceIds: readonly string[],
): ChangePlan | undefined {
  const kinds = change.kinds;
  if (![...kinds].some((k) => k !== 'discovered')) return undefined;
  const named = change.spaceIds;
  const scoped = named !== undefined && [...kinds].every((k) => SPACE_SCOPED.has(k));
  const touchesServers =
    kinds.has('installation') || kinds.has('server') || kinds.has('space') || kinds.has('secret');
  let syncSpaces: string[] = [];
  if (touchesServers) {
    const wanted = kinds.has('server') || named === undefined ? knownSpaceIds : named;
    const known = new Set(knownSpaceIds);
    syncSpaces = [...new Set(wanted)].filter((id) => id !== '' && known.has(id));
  }
  return {
    invalidate: scoped ? [...new Set(named)] : 'all',
    syncSpaces,
    readActiveSpace: kinds.has('active-space') || kinds.has('space'),
    readClients: kinds.has('client'),
  };
}

/** A session as the planner needs it. */
export interface SessionFacts {
  id: string;
  clientId: string;
  spaceId: string;
  mode: 'follow-active' | 'pinned';
  pinnedSpaceId: string | undefined;
}

/** A client's mode and pin as read from the store. */
export interface ClientFacts {
  mode: 'follow-active' | 'pinned';
  pinnedSpaceId: string | undefined;
}

/** What happens to open sessions after a change. */
export interface SessionPlan {
  /** Sessions whose client no longer exists. */
  close: string[];
  /** Sessions whose client's mode or pin changed, with the new values. */
  modes: { sessionId: string; mode: 'follow-active' | 'pinned'; pinnedSpaceId: string | undefined }[];
  /** Sessions that see another Space now (`''`: no Space at all). */
  moves: { sessionId: string; spaceId: string }[];
}

/** The Space a client in `mode` sees: its pinned Space, else the active one. */
export function sessionSpace(
  mode: 'follow-active' | 'pinned',
  pinnedSpaceId: string | undefined,
  activeSpaceId: string | undefined,
): string | undefined {
  return mode === 'pinned' && pinnedSpaceId !== undefined ? pinnedSpaceId : activeSpaceId;
}

/**
 * Plans what happens to open sessions once the active Space and the clients are known.
 *
 * @param sessions - the open sessions.
 * @param activeSpaceId - the active Space now.
 * @param clients - clients read from the store by id (a value of undefined: the client was deleted);
 *   a client missing from the map, or no map at all, keeps its mode and pin.
 * @returns sessions to close, mode updates and moves; a closed session neither moves nor changes mode.
 */
export function planSessions(
  sessions: readonly SessionFacts[],
  activeSpaceId: string | undefined,
  clients: ReadonlyMap<string, ClientFacts | undefined> | undefined,
): SessionPlan {
  const plan: SessionPlan = { close: [], modes: [], moves: [] };
  for (const s of sessions) {
    let mode = s.mode;
    let pinnedSpaceId = s.pinnedSpaceId;
    if (clients?.has(s.clientId) === true) {
      const client = clients.get(s.clientId);
      if (client === undefined) {
        plan.close.push(s.id);
        continue;
      }
      if (client.mode !== mode || client.pinnedSpaceId !== pinnedSpaceId) {
        mode = client.mode;
        pinnedSpaceId = client.pinnedSpaceId;
        plan.modes.push({ sessionId: s.id, mode, pinnedSpaceId });
      }
    }
    const target = sessionSpace(mode, pinnedSpaceId, activeSpaceId) ?? '';
    if (target !== s.spaceId) plan.moves.push({ sessionId: s.id, spaceId: target });
  }
  return plan;
}
