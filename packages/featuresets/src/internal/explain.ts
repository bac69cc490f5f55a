import type { Explanation, Feature } from '../schemas.js';
import { poolHas } from './bitset.js';
import { CatalogIndex } from './catalog-index.js';
import { Evaluation } from './evaluation.js';
import type { SetGraph, SetNode } from './set-graph.js';

/** At most this many trails per list. */
export const MAX_TRAILS = 1000;
/** At most this many path steps per list, so a dense graph cannot stall `explain()`. */
export const MAX_STEPS = 200_000;

/**
 * Explains one feature against a graph and its roots. Every rule is per feature, so the feature is
 * evaluated in a one-feature catalog of its own: the same code as `resolve()`, and it also answers
 * for a feature that is not in the catalog (what would happen if it appeared).
 */
export function explainFeature(
  graph: SetGraph,
  roots: readonly string[],
  feature: Feature,
  inCatalog: boolean,
  allowed: boolean,
): Explanation {
  const evaluation = new Evaluation(graph, new CatalogIndex([feature]));
  const includes = (node: SetNode): boolean => poolHas(evaluation.directInclude(node), 0);
  const excludes = (node: SetNode): boolean =>
    poolHas(evaluation.directExclude(node), 0) ||
    node.excludeSets.some((id) => graph.nodes.has(id) && poolHas(evaluation.alone(id), 0));
  return {
    allowed,
    inCatalog,
    includedBy: trails(graph, roots, includes),
    excludedBy: trails(graph, roots, excludes),
  };
}

/**
 * Every simple path over `include featureSet` edges from a root to a set satisfying `holds`, in
 * lexicographic order (depth first over sorted roots and sorted edges yields exactly that order),
 * without duplicates, capped at {@link MAX_TRAILS}.
 */
function trails(graph: SetGraph, roots: readonly string[], holds: (node: SetNode) => boolean): string[][] {
  const reached = graph.reach(roots);
  // Sets from which some matching set can be reached: the only ones worth walking into.
  const reverse = new Map<string, string[]>();
  const useful = new Set<string>();
  const queue: string[] = [];
  for (const node of reached) {
    for (const next of node.includeSets) {
      if (!graph.nodes.has(next)) continue;
      let from = reverse.get(next);
      if (from === undefined) {
        from = [];
        reverse.set(next, from);
      }
      from.push(node.id);
    }
    if (holds(node)) {
      useful.add(node.id);
      queue.push(node.id);
    }
  }
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const prev of reverse.get(id) ?? []) {
      if (!useful.has(prev)) {
        useful.add(prev);
        queue.push(prev);
      }
    }
  }
  const out: string[][] = [];
  if (useful.size === 0) return out;
  const matches = new Set<string>();
  for (const node of reached) if (holds(node)) matches.add(node.id);
  const path: string[] = [];
  const onPath = new Set<string>();
  let steps = 0;
  const visit = (id: string): boolean => {
    if (++steps > MAX_STEPS || out.length >= MAX_TRAILS) return false;
    path.push(id);
    onPath.add(id);
    if (matches.has(id)) out.push([...path]);
    const node = graph.nodes.get(id)!;
    let go = true;
    for (const next of node.includeSets) {
      if (!useful.has(next) || onPath.has(next)) continue;
      if (!visit(next)) {
        go = false;
        break;
      }
    }
    path.pop();
    onPath.delete(id);
    return go && out.length < MAX_TRAILS;
  };
  for (const root of roots) {
    if (!useful.has(root)) continue;
    if (!visit(root)) break;
  }
  return out;
}
