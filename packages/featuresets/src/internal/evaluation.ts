import { andNotInto, type Bitset, createBitset, orInto } from './bitset.js';
import type { CatalogIndex } from './catalog-index.js';
import type { SetGraph, SetNode } from './set-graph.js';

const RESULT_CACHE_LIMIT = 256;

/**
 * The pools of one {@link SetGraph} over one {@link CatalogIndex}, memoized: each set's direct
 * include and exclude matches, what each set grants alone, and results per root list.
 */
export class Evaluation {
  private readonly includeMemo = new Map<string, Bitset>();
  private readonly excludeMemo = new Map<string, Bitset>();
  /** alone(X) results computed without the cycle guard firing (valid on any stack). */
  private readonly aloneMemo = new Map<string, Bitset>();
  /** alone(X) computed from an empty stack (what `exclude featureSet X` contributes). */
  private readonly aloneTopMemo = new Map<string, Bitset>();
  private readonly results = new Map<string, Bitset>();
  private readonly empty: Bitset;

  constructor(
    readonly graph: SetGraph,
    readonly index: CatalogIndex,
  ) {
    this.empty = createBitset(index.size);
  }

  /** The features a set's own members include (or the catalog / a server for `all` / `server-all`). */
  directInclude(node: SetNode): Bitset {
    let bits = this.includeMemo.get(node.id);
    if (bits === undefined) {
      if (node.all) {
        bits = this.index.full();
      } else {
        const sources = node.servers.map((server) => this.index.serverBits(server));
        for (const selector of node.includeSelectors) sources.push(this.index.selectorBits(selector));
        bits = this.union(sources);
      }
      this.includeMemo.set(node.id, bits);
    }
    return bits;
  }

  /** The features a set's own `feature`/`server`/`annotation` exclude members match. */
  directExclude(node: SetNode): Bitset {
    let bits = this.excludeMemo.get(node.id);
    if (bits === undefined) {
      bits = this.union(node.excludeSelectors.map((selector) => this.index.selectorBits(selector)));
      this.excludeMemo.set(node.id, bits);
    }
    return bits;
  }

  /** The union of shared bitsets; shares the only one or the empty one instead of copying. */
  private union(sources: readonly Bitset[]): Bitset {
    if (sources.length === 0) return this.empty;
    if (sources.length === 1) return sources[0]!;
    const bits = createBitset(this.index.size);
    for (const source of sources) orInto(bits, source);
    return bits;
  }

  /** `target |= source`, skipping the shared empty set. */
  private add(target: Bitset, source: Bitset): void {
    if (source !== this.empty) orInto(target, source);
  }

  /** What set `id` grants on its own (no auto-granted `default`), as `exclude featureSet id` removes. */
  alone(id: string): Bitset {
    let bits = this.aloneTopMemo.get(id);
    if (bits === undefined) {
      bits = this.aloneGuarded(id, new Set()).bits;
      this.aloneTopMemo.set(id, bits);
    }
    return bits;
  }

  private aloneGuarded(id: string, inProgress: Set<string>): { bits: Bitset; guarded: boolean } {
    const memo = this.aloneMemo.get(id);
    if (memo !== undefined) return { bits: memo, guarded: false };
    if (inProgress.has(id)) return { bits: this.empty, guarded: true };
    inProgress.add(id);
    const reached = this.graph.reach([id]);
    const include = createBitset(this.index.size);
    const exclude = createBitset(this.index.size);
    let guarded = false;
    for (const node of reached) {
      this.add(include, this.directInclude(node));
      this.add(exclude, this.directExclude(node));
      for (const target of node.excludeSets) {
        if (!this.graph.nodes.has(target)) continue;
        const inner = this.aloneGuarded(target, inProgress);
        if (inner.guarded) guarded = true;
        this.add(exclude, inner.bits);
      }
    }
    inProgress.delete(id);
    andNotInto(include, exclude);
    if (!guarded) this.aloneMemo.set(id, include);
    return { bits: include, guarded };
  }

  /** (I minus E) for a sorted, de-duplicated list of known root ids. Shared: do not mutate. */
  result(roots: readonly string[]): Bitset {
    const key = JSON.stringify(roots);
    let bits = this.results.get(key);
    if (bits === undefined) {
      const reached = this.graph.reach(roots);
      const include = createBitset(this.index.size);
      const exclude = createBitset(this.index.size);
      for (const node of reached) {
        this.add(include, this.directInclude(node));
        this.add(exclude, this.directExclude(node));
        for (const target of node.excludeSets) {
          if (this.graph.nodes.has(target)) this.add(exclude, this.alone(target));
        }
      }
      andNotInto(include, exclude);
      bits = include;
      if (this.results.size >= RESULT_CACHE_LIMIT) this.results.clear();
      this.results.set(key, bits);
    }
    return bits;
  }
}
