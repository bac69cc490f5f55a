import { hasBit } from './internal/bitset.js';
import { CatalogIndex } from './internal/catalog-index.js';
import { Evaluation } from './internal/evaluation.js';
import { explainFeature } from './internal/explain.js';
import { SetGraph } from './internal/set-graph.js';
import type { Explanation, Feature, FeatureRef, FeatureSet } from './schemas.js';

/**
 * The outcome of resolving a client's grants against a catalog.
 *
 * - `allowed`: the features the client may use, sorted by {@link compareFeatures} (kind `tool`,
 *   `prompt`, `resource`, then server, then name). The objects are the catalog's own (first occurrence
 *   of each ref). A fresh array per call: yours to keep or mutate.
 * - `allows(ref)`: true iff `ref` (kind, server, name) is in `allowed`; O(1), no allocation.
 * - `explain(ref)`: why `ref` is or is not allowed (see {@link Explanation}); computed lazily, only
 *   when called. Trails are simple paths of set ids from a root (a granted or auto-granted `default`
 *   set) to the set holding the matching member, de-duplicated, sorted element by element (shorter
 *   prefix first) and capped at 1,000 per list. A ref that is not in the catalog gets
 *   `allowed: false, inCatalog: false` and the trails it would have if it appeared (annotations
 *   carried on the ref are read).
 *
 * @example
 * ```ts
 * const { allowed, allows, explain } = resolve({ catalog, featureSets, grants: ['developer'] });
 * allows({ kind: 'tool', server: 'github', name: 'delete_repository' }); // false
 * explain({ kind: 'tool', server: 'github', name: 'get_issue' }).includedBy; // [['developer', 'read-only']]
 * ```
 */
export interface Resolution {
  allowed: Feature[];
  allows(ref: FeatureRef): boolean;
  explain(ref: FeatureRef): Explanation;
}

/** The catalog, FeatureSets and grants to resolve. Arrays are read, never modified. */
export interface ResolveInputData {
  /** The features available now in the Space. Duplicated refs count once (first occurrence wins). */
  readonly catalog: readonly Feature[];
  /** The Space's FeatureSets. Sets sharing an id act as one set (the union of their members). */
  readonly featureSets: readonly FeatureSet[];
  /** Ids of the sets granted to the client; unknown ids contribute nothing. */
  readonly grants: readonly string[];
}

function makeResolution(evaluation: Evaluation, roots: readonly string[]): Resolution {
  const index = evaluation.index;
  const { bits, allowed } = evaluation.result(roots);
  const features = index.features;
  const allows = (ref: FeatureRef): boolean => {
    const i = index.indexOf(ref);
    return i >= 0 && hasBit(bits, i);
  };
  const explain = (ref: FeatureRef): Explanation => {
    const i = index.indexOf(ref);
    const inCatalog = i >= 0;
    const feature: Feature = inCatalog ? features[i]! : ref;
    return explainFeature(evaluation.graph, roots, feature, inCatalog, inCatalog && hasBit(bits, i));
  };
  return { allowed, allows, explain };
}

/**
 * Resolves what a client may use: the union of what its granted sets and every `default` set include,
 * minus everything any of them excludes, within the catalog. Exclude always wins. Pure and total:
 * unknown set ids and cycles contribute nothing and never throw. Builds its indexes afresh on each
 * call; use {@link createResolver} or {@link compileFeatureSets} to reuse them.
 *
 * @param input - `{ catalog, featureSets, grants }`; not validated (parse untrusted data with
 *   {@link ResolveInputSchema} first) and never modified
 * @returns the {@link Resolution}
 * @example
 * ```ts
 * const { allowed, allows, explain } = resolve({
 *   catalog: [{ kind: 'tool', server: 'github', name: 'delete_repository' }],
 *   featureSets: [{ id: 'no-delete', name: 'No Delete', kind: 'custom', members: [
 *     { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: '*', name: '*delete*' } },
 *   ] }],
 *   grants: ['all', 'no-delete'],
 * });
 * ```
 */
export function resolve(input: ResolveInputData): Resolution {
  const graph = new SetGraph(input.featureSets);
  const evaluation = new Evaluation(graph, new CatalogIndex(input.catalog));
  return makeResolution(evaluation, graph.roots(input.grants));
}

/** FeatureSets and grants prepared once, resolved against any catalog. */
export interface CompiledFeatureSets {
  /**
   * Resolves against `catalog`. Indexes and per-set matches are cached per catalog array (a
   * `WeakMap` keyed by the array): pass a new array when the catalog changes, never mutate one
   * already passed.
   */
  resolve(catalog: readonly Feature[]): Resolution;
}

/** A cache of catalog indexes and compiled FeatureSets, keyed by array identity. */
export interface Resolver {
  /**
   * Same result as {@link resolve}, reusing the index of a catalog array and the compiled graph of a
   * featureSets array seen before (held weakly). Never mutate an array after passing it.
   */
  resolve(input: ResolveInputData): Resolution;
  /** Prepares FeatureSets and grants; the result shares this resolver's catalog cache. */
  compile(input: Omit<ResolveInputData, 'catalog'>): CompiledFeatureSets;
}

class CatalogCache {
  private readonly indexes = new WeakMap<readonly Feature[], CatalogIndex>();
  get(catalog: readonly Feature[]): CatalogIndex {
    let index = this.indexes.get(catalog);
    if (index === undefined) {
      index = new CatalogIndex(catalog, true); // kept for many resolutions: names sorted once
      this.indexes.set(catalog, index);
    }
    return index;
  }
}

class CompiledGraph {
  private readonly evaluations = new WeakMap<CatalogIndex, Evaluation>();
  constructor(readonly graph: SetGraph) {}
  evaluation(index: CatalogIndex): Evaluation {
    let evaluation = this.evaluations.get(index);
    if (evaluation === undefined) {
      evaluation = new Evaluation(this.graph, index);
      this.evaluations.set(index, evaluation);
    }
    return evaluation;
  }
}

function compileWith(catalogs: CatalogCache, compiled: CompiledGraph, grants: readonly string[]) {
  const roots = compiled.graph.roots(grants);
  return {
    resolve: (catalog: readonly Feature[]): Resolution =>
      makeResolution(compiled.evaluation(catalogs.get(catalog)), roots),
  };
}

/**
 * Prepares FeatureSets and grants once; each `resolve(catalog)` then reuses the catalog's index and
 * every set's matches for as long as the same catalog array is passed. Equal to {@link resolve}.
 *
 * @param input - `{ featureSets, grants }`, read once (later changes to the arrays are not seen)
 * @returns `{ resolve(catalog) }`
 * @example
 * ```ts
 * const compiled = compileFeatureSets({ featureSets, grants: ['developer'] });
 * const resolution = compiled.resolve(catalog); // again with the same array: cached
 * ```
 */
export function compileFeatureSets(input: Omit<ResolveInputData, 'catalog'>): CompiledFeatureSets {
  return compileWith(new CatalogCache(), new CompiledGraph(new SetGraph(input.featureSets)), input.grants);
}

/**
 * Creates a resolver that caches, weakly by array identity, each catalog's index and each
 * featureSets array's compiled graph with its per-set matches and results per grant list, so repeated
 * resolution over an unchanged catalog costs little. Results equal {@link resolve}.
 *
 * @returns a {@link Resolver}
 * @example
 * ```ts
 * const resolver = createResolver();
 * const a = resolver.resolve({ catalog, featureSets, grants: ['developer'] });
 * const b = resolver.resolve({ catalog, featureSets, grants: ['intern'] }); // reuses the index
 * ```
 */
export function createResolver(): Resolver {
  const catalogs = new CatalogCache();
  const graphs = new WeakMap<readonly FeatureSet[], CompiledGraph>();
  const graphFor = (featureSets: readonly FeatureSet[]): CompiledGraph => {
    let compiled = graphs.get(featureSets);
    if (compiled === undefined) {
      compiled = new CompiledGraph(new SetGraph(featureSets));
      graphs.set(featureSets, compiled);
    }
    return compiled;
  };
  return {
    resolve(input) {
      const compiled = graphFor(input.featureSets);
      return makeResolution(
        compiled.evaluation(catalogs.get(input.catalog)),
        compiled.graph.roots(input.grants),
      );
    },
    compile(input) {
      return compileWith(catalogs, graphFor(input.featureSets), input.grants);
    },
  };
}
