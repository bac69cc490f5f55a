import type { FeatureSet, Selector } from '../schemas.js';

/** All FeatureSets sharing one id, merged: they act as one set (a union), whatever their order. */
export interface SetNode {
  readonly id: string;
  /** Some set with this id has kind `default`: granted automatically. */
  isDefault: boolean;
  /** Some set with this id has kind `all`. */
  all: boolean;
  /** Servers of `server-all` sets with this id. */
  readonly servers: string[];
  /** Include members with a `feature`, `server` or `annotation` selector. */
  readonly includeSelectors: Selector[];
  /** Exclude members with a `feature`, `server` or `annotation` selector. */
  readonly excludeSelectors: Selector[];
  /** Ids of `include featureSet` members, sorted by `<`, without duplicates. */
  includeSets: string[];
  /** Ids of `exclude featureSet` members, sorted by `<`, without duplicates. */
  excludeSets: string[];
}

function sortedUnique(ids: string[]): string[] {
  return ids.length < 2 ? ids : [...new Set(ids)].sort();
}

/** The FeatureSets of a Space as a graph over set ids. Immutable once built. */
export class SetGraph {
  readonly nodes = new Map<string, SetNode>();
  /** Ids of `default` sets, sorted. */
  readonly defaults: readonly string[];

  constructor(featureSets: readonly FeatureSet[]) {
    for (const set of featureSets) {
      let node = this.nodes.get(set.id);
      if (node === undefined) {
        node = {
          id: set.id,
          isDefault: false,
          all: false,
          servers: [],
          includeSelectors: [],
          excludeSelectors: [],
          includeSets: [],
          excludeSets: [],
        };
        this.nodes.set(set.id, node);
      }
      if (set.kind === 'all') {
        node.all = true;
        continue;
      }
      if (set.kind === 'server-all') {
        if (typeof set.server === 'string') node.servers.push(set.server);
        continue;
      }
      if (set.kind === 'default') node.isDefault = true;
      for (const member of set.members ?? []) {
        const selector = member.selector;
        const include = member.mode === 'include';
        if (!include && member.mode !== 'exclude') continue;
        if (selector?.type === 'featureSet') {
          (include ? node.includeSets : node.excludeSets).push(selector.id);
        } else if (
          selector?.type === 'feature' ||
          selector?.type === 'server' ||
          selector?.type === 'annotation'
        ) {
          (include ? node.includeSelectors : node.excludeSelectors).push(selector);
        }
      }
    }
    for (const node of this.nodes.values()) {
      node.includeSets = sortedUnique(node.includeSets);
      node.excludeSets = sortedUnique(node.excludeSets);
    }
    this.defaults = [...this.nodes.values()]
      .filter((n) => n.isDefault)
      .map((n) => n.id)
      .sort();
  }

  /** Grants plus every `default` set, known ids only, sorted, without duplicates. */
  roots(grants: readonly string[]): string[] {
    const ids = new Set<string>(this.defaults);
    for (const id of grants) if (this.nodes.has(id)) ids.add(id);
    return [...ids].sort();
  }

  /** Every set reached from `roots` over `include featureSet` edges (each once; cycles end). */
  reach(roots: readonly string[]): SetNode[] {
    const seen = new Set<string>();
    const out: SetNode[] = [];
    const stack: string[] = [...roots];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      const node = this.nodes.get(id);
      if (node === undefined) continue;
      seen.add(id);
      out.push(node);
      for (const next of node.includeSets) if (!seen.has(next)) stack.push(next);
    }
    return out;
  }
}
