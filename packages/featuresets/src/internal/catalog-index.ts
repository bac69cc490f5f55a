import type { Feature, FeatureKind, FeatureRef, Selector } from '../schemas.js';
import { type Bitset, BitsetArena, EMPTY_POOL, orInto, type Pool, setBit, setRange } from './bitset.js';
import { compileGlob, hasGlob, literalPrefix } from './glob.js';
import { KINDS } from './kinds.js';
import { annotationAccepts, selectorKey } from './match.js';

interface ServerRange {
  readonly server: string;
  readonly start: number;
  readonly end: number;
  /** name -> feature index */
  readonly names: Map<string, number>;
}

interface KindIndex {
  /** Servers of this kind, sorted, each with its contiguous index range. */
  readonly servers: readonly ServerRange[];
  readonly byServer: Map<string, ServerRange>;
}

/**
 * A catalog, deduplicated (first occurrence wins) and sorted like `allowed`, so that feature index
 * order is output order and every (kind, server) is one contiguous range of indexes.
 */
export class CatalogIndex {
  readonly features: readonly Feature[];
  /** `features[i].name`, as a plain string array (monomorphic, fast to scan). */
  private readonly names: readonly string[];
  readonly size: number;
  private readonly kinds: Record<FeatureKind, KindIndex>;
  private readonly toolServers: Map<string, ServerRange>;
  private readonly promptServers: Map<string, ServerRange>;
  private readonly resourceServers: Map<string, ServerRange>;
  private readonly selectorCache = new Map<string, Pool>();
  private annotationClasses: readonly [Bitset, Bitset, Bitset] | undefined;
  private fullBits: Bitset | undefined;
  /** Where every bitset over this catalog comes from (also the evaluations' scratch space). */
  readonly arena: BitsetArena;

  constructor(catalog: readonly Feature[]) {
    // kind -> server -> name -> position in `catalog` of the first occurrence
    const buckets: Record<FeatureKind, Map<string, Map<string, number>>> = {
      tool: new Map(),
      prompt: new Map(),
      resource: new Map(),
    };
    for (let position = 0; position < catalog.length; position++) {
      const feature = catalog[position]!;
      const byServer = buckets[feature.kind];
      if (byServer === undefined) continue; // not a known kind: not part of any result
      let names = byServer.get(feature.server);
      if (names === undefined) {
        names = new Map();
        byServer.set(feature.server, names);
      }
      if (!names.has(feature.name)) names.set(feature.name, position);
    }
    const features: Feature[] = [];
    const featureNames: string[] = [];
    const kinds = {} as Record<FeatureKind, KindIndex>;
    for (const kind of KINDS) {
      const byServer = buckets[kind];
      const servers: ServerRange[] = [];
      // Default sort compares strings by UTF-16 code units, the same order as `<`.
      for (const server of [...byServer.keys()].sort()) {
        const names = byServer.get(server)!;
        const start = features.length;
        for (const name of [...names.keys()].sort()) {
          features.push(catalog[names.get(name)!]!);
          featureNames.push(name);
          names.set(name, features.length - 1); // from now on: the feature index
        }
        servers.push({ server, start, end: features.length, names });
      }
      kinds[kind] = { servers, byServer: new Map(servers.map((range) => [range.server, range])) };
    }
    this.features = features;
    this.names = featureNames;
    this.size = features.length;
    this.kinds = kinds;
    this.toolServers = kinds.tool.byServer;
    this.promptServers = kinds.prompt.byServer;
    this.resourceServers = kinds.resource.byServer;
    this.arena = new BitsetArena(features.length);
  }

  /** The index of a feature, or -1 when it is not in the catalog. */
  indexOf(ref: FeatureRef): number {
    const kind = ref.kind;
    // Comparisons, not a keyed lookup: this is the hot path of allows().
    const servers =
      kind === 'tool'
        ? this.toolServers
        : kind === 'prompt'
          ? this.promptServers
          : kind === 'resource'
            ? this.resourceServers
            : undefined;
    const range = servers?.get(ref.server);
    if (range === undefined) return -1;
    const i = range.names.get(ref.name);
    return i === undefined ? -1 : i;
  }

  /** Every feature of the catalog. Shared: do not mutate. */
  full(): Bitset {
    if (this.fullBits === undefined) {
      this.fullBits = this.arena.alloc();
      setRange(this.fullBits, 0, this.size);
    }
    return this.fullBits;
  }

  /** Every feature of the servers matching `server` (a glob), of one kind or all. Memoized. */
  serverBits(server: string, kind?: FeatureKind): Pool {
    return this.selectorBits(
      kind === undefined ? { type: 'server', server } : { type: 'server', server, kind },
    );
  }

  /** The catalog features a non-`featureSet` selector matches. Memoized; shared: do not mutate. */
  selectorBits(selector: Selector): Pool {
    const key = selectorKey(selector);
    let bits = this.selectorCache.get(key);
    if (bits === undefined) {
      bits = this.computeSelectorBits(selector);
      this.selectorCache.set(key, bits);
    }
    return bits;
  }

  private computeSelectorBits(selector: Selector): Pool {
    if (selector.type === 'feature') return this.featureMatches(selector);
    const bits = this.arena.alloc();
    switch (selector.type) {
      case 'server': {
        const serverGlob = compileGlob(selector.server);
        for (const kindName of KINDS) {
          if (selector.kind !== undefined && selector.kind !== kindName) continue;
          const kind = this.kinds[kindName];
          if (serverGlob.literal) {
            const range = kind.byServer.get(selector.server);
            if (range !== undefined) setRange(bits, range.start, range.end);
          } else {
            for (const range of kind.servers) {
              if (serverGlob.test(range.server)) setRange(bits, range.start, range.end);
            }
          }
        }
        break;
      }
      case 'annotation': {
        const [readOnly, destructive, neither] = this.classes();
        if (annotationAccepts(selector, true, false)) orInto(bits, readOnly);
        if (annotationAccepts(selector, false, true)) orInto(bits, destructive);
        if (annotationAccepts(selector, false, false)) orInto(bits, neither);
        break;
      }
      case 'featureSet':
        break;
    }
    return bits;
  }

  /** Matches of a `feature` selector: sparse when few, dense otherwise. */
  private featureMatches(selector: Extract<Selector, { type: 'feature' }>): Pool {
    const kind = this.kinds[selector.kind];
    if (kind === undefined) return EMPTY_POOL;
    const hits: number[] = [];
    const nameGlob = compileGlob(selector.name);
    const prefix = literalPrefix(selector.name);
    const visit = (range: ServerRange): void => {
      if (nameGlob.literal) {
        const i = range.names.get(selector.name);
        if (i !== undefined) hits.push(i);
      } else if (nameGlob.any) {
        for (let i = range.start; i < range.end; i++) hits.push(i);
      } else {
        // Names are sorted within a range: only those starting with the literal prefix can match.
        const names = this.names;
        let i = prefix === '' ? range.start : this.lowerBound(range, prefix);
        for (; i < range.end; i++) {
          const name = names[i]!;
          if (prefix !== '' && !name.startsWith(prefix)) break;
          if (nameGlob.test(name)) hits.push(i);
        }
      }
    };
    if (!hasGlob(selector.server)) {
      const range = kind.byServer.get(selector.server);
      if (range !== undefined) visit(range);
    } else {
      const serverGlob = compileGlob(selector.server);
      for (const range of kind.servers) if (serverGlob.test(range.server)) visit(range);
    }
    if (hits.length === 0) return EMPTY_POOL;
    if (hits.length * 32 < this.size) return Int32Array.from(hits);
    const bits = this.arena.alloc();
    for (const i of hits) setBit(bits, i);
    return bits;
  }

  /** The first index in `range` whose name is not below `prefix` (names sorted by `<`). */
  private lowerBound(range: ServerRange, prefix: string): number {
    let lo = range.start;
    let hi = range.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Tools split by effective hints: [read-only, destructive, neither]. */
  private classes(): readonly [Bitset, Bitset, Bitset] {
    if (this.annotationClasses === undefined) {
      const readOnly = this.arena.alloc();
      const destructive = this.arena.alloc();
      const neither = this.arena.alloc();
      const tools = this.kinds.tool.servers;
      const end = tools.length === 0 ? 0 : tools[tools.length - 1]!.end;
      for (let i = 0; i < end; i++) {
        const hints = this.features[i]!.annotations;
        if (hints?.readOnlyHint === true) setBit(readOnly, i);
        else if (hints?.destructiveHint === false) setBit(neither, i);
        else setBit(destructive, i);
      }
      this.annotationClasses = [readOnly, destructive, neither];
    }
    return this.annotationClasses;
  }
}
