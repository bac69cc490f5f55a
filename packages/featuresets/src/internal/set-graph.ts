import type { FeatureSet, Selector } from '../schemas.js';
import { selectorKey } from './match.js';

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
  /** {@link SetGraph.selectorIds} of `includeSelectors` / `excludeSelectors`, once asked for. */
  includeIds?: readonly number[];
  excludeIds?: readonly number[];
  /** Scratch for walks ({@link SetGraph.stamp}). */
  mark: number;
}

function sortedUnique(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  if (ids.length > 16) return [...new Set(ids)].sort();
  // Few ids (the usual case): insertion sort in place, dropping repeats.
  let n = 0;
  for (const id of ids) {
    let at = n;
    while (at > 0 && ids[at - 1]! > id) at--;
    if (at > 0 && ids[at - 1] === id) continue;
    for (let k = n; k > at; k--) ids[k] = ids[k - 1]!;
    ids[at] = id;
    n++;
  }
  ids.length = n;
  return ids;
}

/** The sets of a graph by id, each merged (and its members sorted out) on first use. */
class Nodes {
  /** id -> the FeatureSet with that id, or all of them when several share it */
  private readonly sources = new Map<string, FeatureSet | FeatureSet[]>();
  private readonly built = new Map<string, SetNode>();

  /** Ids of `default` sets, sorted, without duplicates. */
  readonly defaults: readonly string[];

  constructor(featureSets: readonly FeatureSet[]) {
    const sources = this.sources;
    const defaults: string[] = [];
    for (const set of featureSets) {
      const id = set.id;
      const known = sources.get(id);
      if (known === undefined) sources.set(id, set);
      else if (Array.isArray(known)) known.push(set);
      else sources.set(id, [known, set]);
      if (set.kind === 'default') defaults.push(id);
    }
    this.defaults = defaults.length === 1 ? defaults : [...new Set(defaults)].sort();
  }

  /** True when some set has this id. */
  has(id: string): boolean {
    return this.sources.has(id);
  }

  /** The merged node of the sets with this id, or undefined when there is none. */
  get(id: string): SetNode | undefined {
    let node = this.built.get(id);
    if (node === undefined) {
      const source = this.sources.get(id);
      if (source === undefined) return undefined;
      node = {
        id,
        isDefault: false,
        all: false,
        servers: [],
        includeSelectors: [],
        excludeSelectors: [],
        includeSets: [],
        excludeSets: [],
        mark: 0,
      };
      if (Array.isArray(source)) for (const set of source) addSet(node, set);
      else addSet(node, source);
      node.includeSets = sortedUnique(node.includeSets);
      node.excludeSets = sortedUnique(node.excludeSets);
      this.built.set(id, node);
    }
    return node;
  }
}

/** Merges one FeatureSet into the node of its id. */
function addSet(node: SetNode, set: FeatureSet): void {
  if (set.kind === 'all') {
    node.all = true;
    return;
  }
  if (set.kind === 'server-all') {
    if (typeof set.server === 'string') node.servers.push(set.server);
    return;
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

/**
 * The FeatureSets of a Space as a graph over set ids. Immutable once built (nodes are merged
 * lazily, on first use: a resolution reads only the sets its grants reach).
 */
export class SetGraph {
  readonly nodes: Nodes;
  /** Ids of `default` sets, sorted. */
  readonly defaults: readonly string[];

  constructor(featureSets: readonly FeatureSet[]) {
    this.nodes = new Nodes(featureSets);
    this.defaults = this.nodes.defaults;
  }

  /** Equal selectors (by {@link selectorKey}) share one small integer id. */
  private readonly selectorIndex = new Map<string, number>();
  /** id -> one selector with that id. */
  readonly selectors: Selector[] = [];
  /** id -> its {@link selectorKey}, once computed */
  private readonly keys: (string | undefined)[] = [];
  /** `feature` selectors: kind -> server -> name -> id */
  private readonly featureIds = new Map<string, Map<string, Map<string, number>>>();
  /** Per selector id: the last {@link SetGraph.stamp} of a walk that took it (include / exclude). */
  readonly includeMarks: number[] = [];
  readonly excludeMarks: number[] = [];
  private stamps = 0;

  /** A number never returned before: walks mark what they visited with it. */
  stamp(): number {
    return ++this.stamps;
  }

  /** Fills `node.includeIds` and `node.excludeIds` (once per graph). */
  selectorIds(node: SetNode): void {
    if (node.includeIds !== undefined) return;
    node.includeIds = node.includeSelectors.map((selector) => this.selectorId(selector));
    node.excludeIds = node.excludeSelectors.map((selector) => this.selectorId(selector));
  }

  private selectorId(selector: Selector): number {
    if (selector.type === 'feature') {
      // Nested maps over the selector's own strings: no key string to build and hash.
      let byServer = this.featureIds.get(selector.kind);
      if (byServer === undefined) {
        byServer = new Map();
        this.featureIds.set(selector.kind, byServer);
      }
      let byName = byServer.get(selector.server);
      if (byName === undefined) {
        byName = new Map();
        byServer.set(selector.server, byName);
      }
      let id = byName.get(selector.name);
      if (id === undefined) {
        id = this.newSelector(selector, undefined);
        byName.set(selector.name, id);
      }
      return id;
    }
    const key = selectorKey(selector);
    let id = this.selectorIndex.get(key);
    if (id === undefined) {
      id = this.newSelector(selector, key);
      this.selectorIndex.set(key, id);
    }
    return id;
  }

  private newSelector(selector: Selector, key: string | undefined): number {
    const id = this.selectors.length;
    this.selectors.push(selector);
    this.keys.push(key);
    this.includeMarks.push(0);
    this.excludeMarks.push(0);
    return id;
  }

  /** The {@link selectorKey} of selector `id`. */
  selectorKey(id: number): string {
    let key = this.keys[id];
    if (key === undefined) {
      key = selectorKey(this.selectors[id]!);
      this.keys[id] = key;
    }
    return key;
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
