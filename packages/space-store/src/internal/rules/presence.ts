import type { FeatureSetRow } from '../repo.js';
import { serverAllSetId } from './input.js';

/** A server's presence in a Space: installed there, or default-enabled. */
export interface Presence {
  spaceId: string;
  serverId: string;
}

/** The `server-all` set of a server in a Space, as created when the server becomes present. */
export function serverAllSet(spaceId: string, serverId: string, serverName: string): FeatureSetRow {
  return {
    spaceId,
    id: serverAllSetId(serverId),
    name: `${serverName} (all)`,
    description: `Every feature of server ${serverId}.`,
    kind: 'server-all',
    server: serverId,
    members: [],
  };
}

/**
 * Plans how `server-all` sets and cached features follow which servers are present in which
 * Spaces, within one scope (a Space or a server). Pure.
 *
 * @param present - the (Space, server) pairs present in the scope.
 * @param sets - the `server-all` sets in the scope.
 * @param discovered - the (Space, server) pairs with cached features in the scope.
 * @returns sets to create, sets to delete (with their grants), pairs whose cache to drop.
 */
export function planPresence(
  present: readonly Presence[],
  sets: readonly Presence[],
  discovered: readonly Presence[],
): { create: Presence[]; remove: Presence[]; drop: Presence[] } {
  const key = (p: Presence) => `${p.spaceId}\0${p.serverId}`;
  const isPresent = new Set(present.map(key));
  const hasSet = new Set(sets.map(key));
  return {
    create: present.filter((p) => !hasSet.has(key(p))),
    remove: sets.filter((p) => !isPresent.has(key(p))),
    drop: discovered.filter((p) => !isPresent.has(key(p))),
  };
}
