import { McpmuxError } from '@mcpmux/core';
import type { FeatureSet, Member } from '../../types.js';
import { conflict, invalid } from '../errors.js';
import { stableStringify } from '../util.js';

/** Members without exact duplicates, in first-seen order. */
export function dedupeMembers(members: readonly Member[]): Member[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    const key = stableStringify(m);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `['b', 'a', 'b']` rotated to start at `start`: `['a', 'b', 'a']` (unchanged when `start` is not on it). */
export function rotateCycle(path: readonly string[], start: string): string[] {
  const ring = path.slice(0, -1);
  const at = ring.indexOf(start);
  if (at <= 0) return [...path];
  return [...ring.slice(at), ...ring.slice(0, at), start];
}

/** What {@link checkMembers} needs to know about the Space's sets. */
export interface MemberLookup {
  /** Every set of the Space, as stored. */
  sets: readonly FeatureSet[];
  /** A Space (other than this one) holding a set with this id, for a helpful error; else `undefined`. */
  spaceOfSet(setId: string): Promise<string | undefined>;
}

/**
 * Checks the `featureSet` members that `members` adds to set `setId` of a Space: each must name a
 * set of this Space, and none may close a cycle. Members already stored (`previous`) are not
 * re-checked.
 *
 * @throws `INVALID_INPUT` for a set of another Space; `NOT_FOUND` for an unknown set; `CONFLICT`
 *   with `data.path` for a cycle (the path starts and ends at `setId`).
 */
export async function checkMembers(
  spaceId: string,
  setId: string,
  members: readonly Member[],
  previous: readonly Member[],
  lookup: MemberLookup,
): Promise<void> {
  const before = new Set(previous.map((m) => stableStringify(m)));
  const sets = new Map(lookup.sets.map((s) => [s.id, s]));
  for (const [i, m] of members.entries()) {
    if (m.selector.type !== 'featureSet' || before.has(stableStringify(m))) continue;
    const target = m.selector.id;
    if (target === setId || sets.has(target)) continue;
    const elsewhere = await lookup.spaceOfSet(target);
    if (elsewhere !== undefined) {
      throw invalid(
        `members.${i}.selector.id`,
        `set "${target}" belongs to Space "${elsewhere}", not "${spaceId}"; a member may only name sets of its own Space`,
      );
    }
    throw new McpmuxError(
      'NOT_FOUND',
      `members.${i}.selector.id: FeatureSet "${target}" does not exist in Space "${spaceId}". Run \`mcpmux featureset list --space ${spaceId}\` to see the sets.`,
      { data: { entity: 'featureset', id: target, spaceId, field: `members.${i}.selector.id` } },
    );
  }
  const proposed: FeatureSet[] = [...sets.values()].map((s) =>
    s.id === setId ? { ...s, members: [...members] } : s,
  );
  if (!sets.has(setId)) proposed.push({ id: setId, name: setId, kind: 'custom', members: [...members] });
  // Loaded here, on a set's edit: a store that only reads never loads the resolver.
  const { findCycle } = await import('@mcpmux/featuresets/resolver');
  const found = findCycle(proposed);
  // Every new cycle passes through the edited set (the stored graph is acyclic): start the path there.
  if (found !== undefined) {
    const cycle = rotateCycle(found, setId);
    throw conflict(
      `FeatureSet "${setId}" would form a cycle: ${cycle.join(' -> ')}. Remove one of these set members.`,
      { entity: 'featureset', id: setId, spaceId, path: cycle },
    );
  }
}

/** Ids of the sets (other than `setId`) that name `setId` as a member. */
export function setsUsing(setId: string, sets: readonly FeatureSet[]): string[] {
  return sets
    .filter(
      (s) =>
        s.id !== setId && s.members.some((m) => m.selector.type === 'featureSet' && m.selector.id === setId),
    )
    .map((s) => s.id);
}
