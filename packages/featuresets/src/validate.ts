import { type ErrorCode, McpmuxError } from '@mcpmux/core';
import { selectorKey } from './internal/match.js';
import type { FeatureSet, Member, MemberMode } from './schemas.js';

/** Two or more sets share one id. */
export interface DuplicateSetIdProblem {
  code: 'DUPLICATE_SET_ID';
  setId: string;
  /** How many sets carry this id. */
  count: number;
  message: string;
}

/** A `featureSet` member names a set that is not in the list. */
export interface UnknownSetProblem {
  code: 'UNKNOWN_SET';
  /** The id that does not exist. */
  setId: string;
  /** The set holding the member. */
  referencedBy: string;
  /** The member's position in `referencedBy`'s `members`. */
  memberIndex: number;
  mode: MemberMode;
  message: string;
}

/** `featureSet` members form a cycle (include or exclude edges). */
export interface CycleProblem {
  code: 'CYCLE';
  /** Set ids along the cycle, first id repeated at the end: `['a', 'b', 'a']`. */
  path: string[];
  message: string;
}

/** A `server-all` set has no `server`. */
export interface ServerAllWithoutServerProblem {
  code: 'SERVER_ALL_WITHOUT_SERVER';
  setId: string;
  message: string;
}

/** A set lists the same member (same mode, equal selector) more than once. */
export interface DuplicateMemberProblem {
  code: 'DUPLICATE_MEMBER';
  setId: string;
  /** Position of the repeated member (the second and later occurrences are reported). */
  memberIndex: number;
  member: Member;
  message: string;
}

/** One finding of {@link validateFeatureSets}; branch on `code`. */
export type FeatureSetProblem =
  | DuplicateSetIdProblem
  | UnknownSetProblem
  | CycleProblem
  | ServerAllWithoutServerProblem
  | DuplicateMemberProblem;

function byId(sets: readonly FeatureSet[]): FeatureSet[] {
  return [...sets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Edges of the set graph: every `featureSet` member, include or exclude, sorted, known or not. */
function edges(sets: readonly FeatureSet[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const set of sets) {
    let targets = out.get(set.id);
    if (targets === undefined) {
      targets = new Set();
      out.set(set.id, targets);
    }
    if (set.kind === 'all' || set.kind === 'server-all') continue;
    for (const member of set.members) {
      if (member.selector.type === 'featureSet') targets.add(member.selector.id);
    }
  }
  return new Map([...out].map(([id, targets]) => [id, [...targets].sort()]));
}

/** Every cycle closed by a back edge of one depth-first walk in id order (deterministic). */
function cycles(sets: readonly FeatureSet[], firstOnly: boolean): string[][] {
  const graph = edges(sets);
  const found: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): boolean => {
    state.set(id, 'active');
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      if (!graph.has(next)) continue;
      const s = state.get(next);
      if (s === 'active') {
        found.push([...stack.slice(stack.indexOf(next)), next]);
        if (firstOnly) return false;
      } else if (s === undefined && !visit(next)) {
        return false;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return true;
  };
  for (const id of [...graph.keys()].sort()) {
    if (state.has(id)) continue;
    if (!visit(id)) break;
  }
  return found;
}

/**
 * Finds a cycle among `featureSet` members (include and exclude edges both count; `all` and
 * `server-all` sets have no edges). Deterministic: walks sets and edges in id order.
 *
 * @param sets - the Space's FeatureSets
 * @returns the set ids along the first cycle found, first id repeated last (`['a', 'b', 'a']`), or
 *   `undefined` when there is none
 * @example
 * ```ts
 * findCycle(sets); // ['developer', 'devops', 'developer']
 * ```
 */
export function findCycle(sets: readonly FeatureSet[]): string[] | undefined {
  return cycles(sets, true)[0];
}

/**
 * Checks a Space's FeatureSets for what the store refuses to persist and returns every problem
 * found (empty when valid): duplicate set ids, `server-all` without `server`, duplicate members,
 * `featureSet` members naming an unknown set (with the referencing set), and cycles (with their path).
 * `resolve()` tolerates all of these; this is for writers.
 *
 * @param sets - the Space's FeatureSets (shape already valid, e.g. parsed with {@link FeatureSetSchema})
 * @returns the problems, sets visited in id order, cycles last
 * @example
 * ```ts
 * for (const p of validateFeatureSets(sets)) console.warn(p.code, p.message);
 * ```
 */
export function validateFeatureSets(sets: readonly FeatureSet[]): FeatureSetProblem[] {
  const problems: FeatureSetProblem[] = [];
  const counts = new Map<string, number>();
  for (const set of sets) counts.set(set.id, (counts.get(set.id) ?? 0) + 1);
  const reportedDuplicate = new Set<string>();
  for (const set of byId(sets)) {
    const count = counts.get(set.id)!;
    if (count > 1 && !reportedDuplicate.has(set.id)) {
      reportedDuplicate.add(set.id);
      problems.push({
        code: 'DUPLICATE_SET_ID',
        setId: set.id,
        count,
        message: `${count} FeatureSets have the id "${set.id}"; ids must be unique.`,
      });
    }
    if (set.kind === 'server-all' && (set.server === undefined || set.server === '')) {
      problems.push({
        code: 'SERVER_ALL_WITHOUT_SERVER',
        setId: set.id,
        message: `FeatureSet "${set.id}" has kind server-all but no server.`,
      });
    }
    const seen = new Set<string>();
    set.members.forEach((member, memberIndex) => {
      const key = `${member.mode}\0${selectorKey(member.selector)}`;
      if (seen.has(key)) {
        problems.push({
          code: 'DUPLICATE_MEMBER',
          setId: set.id,
          memberIndex,
          member,
          message: `FeatureSet "${set.id}" lists the same ${member.mode} member twice (members.${memberIndex}).`,
        });
      }
      seen.add(key);
      if (member.selector.type === 'featureSet' && !counts.has(member.selector.id)) {
        problems.push({
          code: 'UNKNOWN_SET',
          setId: member.selector.id,
          referencedBy: set.id,
          memberIndex,
          mode: member.mode,
          message: `FeatureSet "${set.id}" ${member.mode}s set "${member.selector.id}", which does not exist.`,
        });
      }
    });
  }
  for (const path of cycles(sets, false)) {
    problems.push({
      code: 'CYCLE',
      path,
      message: `FeatureSets form a cycle: ${path.join(' -> ')}. Remove one of these set members.`,
    });
  }
  return problems;
}

function errorCode(problem: FeatureSetProblem): ErrorCode {
  return problem.code === 'UNKNOWN_SET' || problem.code === 'SERVER_ALL_WITHOUT_SERVER'
    ? 'INVALID_INPUT'
    : 'CONFLICT';
}

function field(problem: FeatureSetProblem): string {
  switch (problem.code) {
    case 'UNKNOWN_SET':
      return `${problem.referencedBy}.members.${problem.memberIndex}`;
    case 'DUPLICATE_MEMBER':
      return `${problem.setId}.members.${problem.memberIndex}`;
    case 'SERVER_ALL_WITHOUT_SERVER':
      return `${problem.setId}.server`;
    case 'DUPLICATE_SET_ID':
      return `${problem.setId}.id`;
    case 'CYCLE':
      return problem.path.join(' -> ');
  }
}

/**
 * Throws on the first problem {@link validateFeatureSets} finds; returns normally when there is none.
 *
 * @param sets - the Space's FeatureSets
 * @throws McpmuxError `CONFLICT` for a cycle (message and `data.path` name the set ids along it), a
 *   duplicate set id or a duplicate member; `INVALID_INPUT` for an unknown set reference or a
 *   `server-all` set without `server`. `data.field` names where (`dev.members.2`), `data.problems`
 *   lists every problem.
 * @example
 * ```ts
 * assertValidFeatureSets([...existing, edited]); // before writing
 * ```
 */
export function assertValidFeatureSets(sets: readonly FeatureSet[]): void {
  const problems = validateFeatureSets(sets);
  const first = problems[0];
  if (first === undefined) return;
  const data: Record<string, unknown> = { field: field(first), problems };
  if (first.code === 'CYCLE') data.path = first.path;
  const more = problems.length > 1 ? ` (${problems.length - 1} more problem(s))` : '';
  throw new McpmuxError(errorCode(first), `${first.message}${more}`, { data });
}
