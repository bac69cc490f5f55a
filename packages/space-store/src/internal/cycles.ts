/**
 * The first cycle reachable from `start` through `featureSet` members, as a path of set ids that
 * begins and ends with the same id (`['a', 'b', 'a']`), or `undefined`. `edges(id)` lists the set ids
 * a set names in its members.
 */
export function findCycleFrom(start: string, edges: (id: string) => readonly string[]): string[] | undefined {
  const onPath = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (onPath.has(id)) return [...path.slice(path.indexOf(id)), id];
    if (done.has(id)) return undefined;
    onPath.add(id);
    path.push(id);
    for (const next of edges(id)) {
      const found = visit(next);
      if (found !== undefined) return found;
    }
    path.pop();
    onPath.delete(id);
    done.add(id);
    return undefined;
  };
  return visit(start);
}
