import type { Feature } from '../schemas.js';
import { andNotInto, type Bitset, createBitset, EMPTY_POOL, orPool, type Pool, setRange } from './bitset.js';
import type { CatalogIndex } from './catalog-index.js';
import type { SetGraph, SetNode } from './set-graph.js';

const RESULT_CACHE_LIMIT = 256;

/** What a set reaches over include edges, pooled. Shared: do not mutate. */
export interface Closure {
  readonly include: Pool;
  readonly exclude: Pool;
  /** Known targets of `exclude featureSet` members of reached sets, sorted. */
  readonly targets: readonly string[];
}

/** The result of one root list, as cached: its bits, and its features in output order once asked twice. */
interface Result {
  readonly bits: Bitset;
  sorted: readonly Feature[] | undefined;
}

/**
 * The pools of one {@link SetGraph} over one {@link CatalogIndex}, memoized: each set's direct
 * include and exclude matches, what each set grants alone, and results per root list.
 */
export class Evaluation {
  private readonly includeMemo = new Map<string, Pool>();
  private readonly excludeMemo = new Map<string, Pool>();
  /** alone(X) results computed without the cycle guard firing (valid on any stack). */
  private readonly aloneMemo = new Map<string, Pool>();
  /** alone(X) computed from an empty stack (what `exclude featureSet X` contributes). */
  private readonly aloneTopMemo = new Map<string, Pool>();
  private readonly results = new Map<string, Result>();
  private readonly closures = new Map<string, Closure>();
  private readonly empty: Pool = EMPTY_POOL;
  /** Selector id ({@link SetGraph.selectorIds}) -> its matches, once asked for. */
  private readonly pools: (Pool | undefined)[] = [];
  /**
   * True while closures come from {@link Evaluation.walk} (each walk ORs every distinct selector
   * once, nothing per set is kept): the cheapest way to answer one root list. From the second root
   * list on, per-set closures are built and memoized, so further root lists cost only a few ORs.
   */
  private walking = true;

  constructor(
    readonly graph: SetGraph,
    readonly index: CatalogIndex,
  ) {}

  /** The features a set's own members include (or the catalog / a server for `all` / `server-all`). */
  directInclude(node: SetNode): Pool {
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
  directExclude(node: SetNode): Pool {
    let bits = this.excludeMemo.get(node.id);
    if (bits === undefined) {
      bits = this.union(node.excludeSelectors.map((selector) => this.index.selectorBits(selector)));
      this.excludeMemo.set(node.id, bits);
    }
    return bits;
  }

  /** The union of shared pools; shares the only one or the empty one instead of copying. */
  private union(sources: readonly Pool[]): Pool {
    const nonEmpty = sources.filter((source) => source.length > 0);
    if (nonEmpty.length === 0) return this.empty;
    if (nonEmpty.length === 1) return nonEmpty[0]!;
    let sparse = 0;
    for (const source of nonEmpty) {
      if (!(source instanceof Int32Array)) {
        sparse = -1;
        break;
      }
      sparse += source.length;
    }
    if (sparse >= 0 && sparse * 32 < this.index.size) {
      const out = new Int32Array(sparse);
      let at = 0;
      for (const source of nonEmpty) {
        out.set(source, at);
        at += source.length;
      }
      return out;
    }
    const bits = this.index.arena.alloc();
    for (const source of nonEmpty) orPool(bits, source);
    return bits;
  }

  /** `target |= source`. */
  private add(target: Bitset, source: Pool): void {
    if (source.length > 0) orPool(target, source);
  }

  /**
   * The pools of everything a set reaches over `include featureSet` edges: the union of their
   * direct includes and direct excludes, and the (known) targets of their `exclude featureSet`
   * members. Computed per strongly connected component (Tarjan), so each edge is ORed once.
   */
  closure(id: string): Closure {
    if (this.walking) return this.walk([id]);
    const known = this.closures.get(id);
    if (known !== undefined) return known;
    const graph = this.graph;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const strong = (v: string): void => {
      const n = order.size;
      order.set(v, n);
      low.set(v, n);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.nodes.get(v)!.includeSets) {
        if (!graph.nodes.has(w) || this.closures.has(w)) continue;
        if (!order.has(w)) {
          strong(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, order.get(w)!));
        }
      }
      if (low.get(v) !== order.get(v)) return;
      const members: SetNode[] = [];
      for (;;) {
        const m = stack.pop()!;
        onStack.delete(m);
        members.push(graph.nodes.get(m)!);
        if (m === v) break;
      }
      this.storeClosure(members);
    };
    strong(id);
    return this.closures.get(id)!;
  }

  /** The matches of selector `id`. */
  private pool(id: number): Pool {
    const pools = this.pools;
    while (pools.length <= id) pools.push(undefined);
    let pool = pools[id];
    if (pool === undefined) {
      pool = this.index.selectorBits(this.graph.selectors[id]!, this.graph.selectorKey(id));
      pools[id] = pool;
    }
    return pool;
  }

  /**
   * The closure of a root list, by walking every set it reaches over `include featureSet` edges:
   * each distinct selector is ORed once; the pools returned are fresh (the caller's to keep).
   */
  private walk(roots: readonly string[]): Closure {
    const graph = this.graph;
    const nodes = graph.nodes;
    const index = this.index;
    const stamp = graph.stamp();
    const include = index.arena.alloc();
    const exclude = index.arena.alloc();
    const targets = new Set<string>();
    const includeMarks = graph.includeMarks;
    const excludeMarks = graph.excludeMarks;
    const stack: SetNode[] = [];
    for (const id of roots) {
      const node = nodes.get(id);
      if (node !== undefined && node.mark !== stamp) {
        node.mark = stamp;
        stack.push(node);
      }
    }
    let all = false;
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.all && !all) {
        all = true;
        setRange(include, 0, index.size);
      }
      for (const server of node.servers) this.add(include, index.serverBits(server));
      graph.selectorIds(node);
      for (const id of node.includeIds!) {
        if (includeMarks[id] === stamp) continue;
        includeMarks[id] = stamp;
        if (!all) this.add(include, this.pool(id));
      }
      for (const id of node.excludeIds!) {
        if (excludeMarks[id] === stamp) continue;
        excludeMarks[id] = stamp;
        this.add(exclude, this.pool(id));
      }
      for (const target of node.excludeSets) if (nodes.has(target)) targets.add(target);
      for (const next of node.includeSets) {
        const child = nodes.get(next);
        if (child !== undefined && child.mark !== stamp) {
          child.mark = stamp;
          stack.push(child);
        }
      }
    }
    return { include, exclude, targets: [...targets] };
  }

  private storeClosure(members: readonly SetNode[]): void {
    const inside = new Set(members.map((m) => m.id));
    const includes: Pool[] = [];
    const excludes: Pool[] = [];
    const targets = new Set<string>();
    for (const member of members) {
      includes.push(this.directInclude(member));
      excludes.push(this.directExclude(member));
      for (const target of member.excludeSets) if (this.graph.nodes.has(target)) targets.add(target);
      for (const next of member.includeSets) {
        if (inside.has(next) || !this.graph.nodes.has(next)) continue;
        const child = this.closures.get(next)!;
        includes.push(child.include);
        excludes.push(child.exclude);
        for (const target of child.targets) targets.add(target);
      }
    }
    const closure: Closure = {
      include: this.union(includes),
      exclude: this.union(excludes),
      targets: [...targets].sort(),
    };
    for (const member of members) this.closures.set(member.id, closure);
  }

  /** What set `id` grants on its own (no auto-granted `default`), as `exclude featureSet id` removes. */
  alone(id: string): Pool {
    let bits = this.aloneTopMemo.get(id);
    if (bits === undefined) {
      bits = this.aloneGuarded(id, new Set()).bits;
      this.aloneTopMemo.set(id, bits);
    }
    return bits;
  }

  private aloneGuarded(id: string, inProgress: Set<string>): { bits: Pool; guarded: boolean } {
    const memo = this.aloneMemo.get(id);
    if (memo !== undefined) return { bits: memo, guarded: false };
    if (inProgress.has(id)) return { bits: this.empty, guarded: true };
    inProgress.add(id);
    let include: Bitset;
    let exclude: Bitset;
    let targets: readonly string[];
    if (this.walking) {
      const closure = this.walk([id]); // fresh pools: ours to change
      include = closure.include as Bitset;
      exclude = closure.exclude as Bitset;
      targets = closure.targets;
    } else {
      const closure = this.closure(id);
      include = this.index.arena.alloc();
      this.add(include, closure.include);
      exclude = createBitset(this.index.size); // scratch: not kept
      this.add(exclude, closure.exclude);
      targets = closure.targets;
    }
    let guarded = false;
    for (const target of targets) {
      const inner = this.aloneGuarded(target, inProgress);
      if (inner.guarded) guarded = true;
      this.add(exclude, inner.bits);
    }
    inProgress.delete(id);
    andNotInto(include, exclude);
    if (!guarded) this.aloneMemo.set(id, include);
    return { bits: include, guarded };
  }

  /**
   * (I minus E) for a sorted, de-duplicated list of known root ids (`bits`: shared, do not mutate),
   * and its features in output order (`allowed`: a fresh array, the caller's).
   */
  result(roots: readonly string[]): { bits: Bitset; allowed: Feature[] } {
    const key = JSON.stringify(roots);
    const known = this.results.get(key);
    if (known !== undefined) {
      // Asked again: keep the sorted features from now on (a copy per call is cheaper than a sort).
      if (known.sorted === undefined) known.sorted = this.index.sortedFeatures(known.bits);
      return { bits: known.bits, allowed: known.sorted.slice() };
    }
    let include: Bitset;
    let exclude: Bitset;
    let targets: Iterable<string>;
    if (this.walking) {
      const closure = this.walk(roots); // fresh pools: ours to change
      include = closure.include as Bitset;
      exclude = closure.exclude as Bitset;
      targets = closure.targets;
    } else {
      include = createBitset(this.index.size); // kept in a bounded cache
      exclude = createBitset(this.index.size); // scratch
      const all = new Set<string>();
      for (const root of roots) {
        const closure = this.closure(root);
        this.add(include, closure.include);
        this.add(exclude, closure.exclude);
        for (const target of closure.targets) all.add(target);
      }
      targets = all;
    }
    for (const target of targets) this.add(exclude, this.alone(target));
    andNotInto(include, exclude);
    // Answered by walking when first; any further root list builds (and reuses) per-set closures.
    const allowed = this.index.sortedFeatures(include);
    this.walking = false;
    if (this.results.size >= RESULT_CACHE_LIMIT) this.results.clear();
    this.results.set(key, { bits: include, sorted: undefined });
    return { bits: include, allowed };
  }
}
