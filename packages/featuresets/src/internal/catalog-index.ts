import type { Feature, FeatureKind, FeatureRef, Selector } from '../schemas.js';
import { type Bitset, BitsetArena, EMPTY_POOL, orInto, type Pool, setBit, setRange } from './bitset.js';
import { compileGlob, literalPrefix } from './glob.js';
import { KINDS } from './kinds.js';
import { annotationAccepts, selectorKey } from './match.js';

interface ServerRange {
  readonly server: string;
  readonly start: number;
  readonly end: number;
  /** name -> feature index minus `start` */
  readonly names: Map<string, number>;
}

interface KindIndex {
  /** Servers of this kind, sorted, each with its contiguous index range. */
  readonly servers: readonly ServerRange[];
  readonly byServer: Map<string, ServerRange>;
  /** chars -> table (see {@link CatalogIndex.prefixTable}) */
  readonly prefixTables: (PrefixTable | undefined)[];
}

/** Name prefixes longer than this are hashed on their first `PREFIX_CHARS` characters only. */
const PREFIX_CHARS = 8;

/** See {@link CatalogIndex.prefixTable}. */
interface PrefixTable {
  readonly chars: number;
  readonly mask: number;
  /** bucket -> first feature index of its chain, or -1 */
  readonly head: Int32Array;
  /** The kind's first feature index. */
  readonly start: number;
  /** feature index minus `start` -> next feature index of its chain, or -1 */
  readonly next: Int32Array;
  /** bucket -> length of its chain */
  readonly count: Int32Array;
}

/**
 * A hash of the first `chars` UTF-16 code units of `text` (which has at least that many), sampled
 * at four of those positions (cheaper than all of them, and nearly as selective).
 */
function hashPrefix(text: string, chars: number): number {
  const last = chars - 1;
  let h = text.charCodeAt(0);
  h = (Math.imul(h, 31) + text.charCodeAt(last >> 1)) | 0;
  h = (Math.imul(h, 31) + text.charCodeAt((last * 3) >> 2)) | 0;
  h = (Math.imul(h, 31) + text.charCodeAt(last)) | 0;
  return h ^ (h >>> 15);
}

/** One (kind, server) of the catalog while it is being grouped. */
interface Bucket {
  readonly server: string;
  /** Some name came twice. */
  repeats: boolean;
  /** name -> position in the bucket (first occurrence) */
  readonly names: Map<string, number>;
  /** Where the first occurrence of each name is in the catalog, in catalog order. */
  readonly positions: number[];
}

/** The bucket of `server` in `byServer`, created when missing. */
function bucketOf(byServer: Map<string, Bucket>, server: string): Bucket {
  let bucket = byServer.get(server);
  if (bucket === undefined) {
    bucket = { server, repeats: false, names: new Map(), positions: [] };
    byServer.set(server, bucket);
  }
  return bucket;
}

/** Effective hints of a tool (MCP defaults): read-only, destructive, or neither. */
const READ_ONLY = 0;
const DESTRUCTIVE = 1;
const NEITHER = 2;

/**
 * A catalog, deduplicated (first occurrence wins) and grouped like `allowed`: feature indexes run
 * by kind (tool, prompt, resource), then by server, so every (kind, server) is one contiguous range
 * of indexes. Within a range, features keep catalog order (names are sorted only on output, for the
 * few features a resolution allows: see {@link CatalogIndex.sortedFeatures}).
 */
export class CatalogIndex {
  readonly features: readonly Feature[];
  /** `features[i].name`, as a plain string array (monomorphic, fast to scan). */
  private readonly names: readonly string[];
  readonly size: number;
  private readonly kinds: Record<FeatureKind, KindIndex>;
  /** Every (kind, server) range, in index order. */
  private readonly ranges: readonly ServerRange[];
  private readonly toolServers: Map<string, ServerRange>;
  private readonly promptServers: Map<string, ServerRange>;
  private readonly resourceServers: Map<string, ServerRange>;
  private readonly selectorCache = new Map<string, Pool>();
  private annotationClasses: readonly [Bitset, Bitset, Bitset] | undefined;
  private fullBits: Bitset | undefined;
  /** Tools (indexes `0` to the end of the tool ranges): their effective-hints class. */
  private readonly hints: Uint8Array;
  /** Scratch of {@link CatalogIndex.featureMatches}. */
  private hits: Int32Array | undefined;
  /** Where every bitset over this catalog comes from (also the evaluations' scratch space). */
  readonly arena: BitsetArena;

  /**
   * @param sortNames - also sort names within each range, so that index order is output order
   *   (worth it for an index that serves many resolutions: see {@link CatalogIndex.sortedFeatures})
   */
  constructor(
    catalog: readonly Feature[],
    private readonly sortNames = false,
  ) {
    // kind -> server -> bucket
    const tools = new Map<string, Bucket>();
    const prompts = new Map<string, Bucket>();
    const resources = new Map<string, Bucket>();
    // The bucket of the previous feature of each kind (catalogs come mostly grouped by server).
    let lastTool: Bucket | undefined;
    let lastPrompt: Bucket | undefined;
    let lastResource: Bucket | undefined;
    /** catalog position -> effective-hints class of the tool there */
    const positionHints = new Uint8Array(catalog.length);
    for (let position = 0; position < catalog.length; position++) {
      const feature = catalog[position]!;
      const kind = feature.kind;
      const server = feature.server;
      let bucket: Bucket;
      if (kind === 'tool') {
        if (lastTool === undefined || lastTool.server !== server) lastTool = bucketOf(tools, server);
        bucket = lastTool;
      } else if (kind === 'prompt') {
        if (lastPrompt === undefined || lastPrompt.server !== server) lastPrompt = bucketOf(prompts, server);
        bucket = lastPrompt;
      } else if (kind === 'resource') {
        if (lastResource === undefined || lastResource.server !== server) {
          lastResource = bucketOf(resources, server);
        }
        bucket = lastResource;
      } else {
        continue; // not a known kind: not part of any result
      }
      const names = bucket.names;
      const name = feature.name;
      const size = names.size;
      if (bucket.repeats) {
        if (names.get(name) !== undefined) continue; // later occurrences: the first one wins
        names.set(name, size);
      } else {
        names.set(name, size); // one map operation per feature while the bucket has no repeat
        if (names.size === size) {
          // A repeat, which the first occurrence wins: restore that one's slot. Once per bucket:
          // from now on, this bucket looks names up before setting them.
          names.set(
            name,
            bucket.positions.findIndex((at) => catalog[at]!.name === name),
          );
          bucket.repeats = true;
          continue;
        }
      }
      bucket.positions.push(position);
      // Read while the object is at hand (one memory access per feature, not two).
      if (kind === 'tool') {
        const hints = feature.annotations;
        positionHints[position] =
          hints === undefined
            ? DESTRUCTIVE
            : hints.readOnlyHint === true
              ? READ_ONLY
              : hints.destructiveHint === false
                ? NEITHER
                : DESTRUCTIVE;
      }
    }
    const features: Feature[] = [];
    const featureNames: string[] = [];
    const hints = new Uint8Array(catalog.length); // indexed by feature index (at most this many)
    const ranges: ServerRange[] = [];
    const kinds = {} as Record<FeatureKind, KindIndex>;
    const buckets: Record<FeatureKind, Map<string, Bucket>> = {
      tool: tools,
      prompt: prompts,
      resource: resources,
    };
    for (const kind of KINDS) {
      const byServer = buckets[kind];
      const servers: ServerRange[] = [];
      const byName = new Map<string, ServerRange>();
      // Default sort compares strings by UTF-16 code units, the same order as `<`.
      for (const server of [...byServer.keys()].sort()) {
        const bucket = byServer.get(server)!;
        const start = features.length;
        const positions = bucket.positions;
        if (sortNames) {
          const names = bucket.names;
          for (const name of [...names.keys()].sort()) {
            const position = positions[names.get(name)!]!;
            names.set(name, features.length - start); // from now on: the sorted slot
            if (kind === 'tool') hints[features.length] = positionHints[position]!;
            features.push(catalog[position]!);
            featureNames.push(name);
          }
        } else {
          for (const position of positions) {
            if (kind === 'tool') hints[features.length] = positionHints[position]!;
            features.push(catalog[position]!);
          }
          for (const name of bucket.names.keys()) featureNames.push(name); // insertion order
        }
        const range: ServerRange = { server, start, end: features.length, names: bucket.names };
        servers.push(range);
        ranges.push(range);
        byName.set(server, range);
      }
      kinds[kind] = { servers, byServer: byName, prefixTables: [] };
    }
    this.features = features;
    this.names = featureNames;
    this.size = features.length;
    this.kinds = kinds;
    this.ranges = ranges;
    this.toolServers = kinds.tool.byServer;
    this.promptServers = kinds.prompt.byServer;
    this.resourceServers = kinds.resource.byServer;
    this.arena = new BitsetArena(features.length);
    this.hints = hints;
  }

  /**
   * The features of `bits` in output order: kind, server (the index order), then name by `<`
   * (index order too when the index was built with `sortNames`; otherwise sorted here, within each
   * range: cheap for the few features a resolution usually allows).
   */
  sortedFeatures(bits: Bitset): Feature[] {
    const features = this.features;
    const out: Feature[] = [];
    if (this.sortNames) {
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const low = word & -word;
          out.push(features[(w << 5) + (31 - Math.clz32(low))]!);
          word ^= low;
        }
      }
      return out;
    }
    const names = this.names;
    const ranges = this.ranges;
    const run: number[] = [];
    const flush = (): void => {
      if (run.length > 1) run.sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
      for (const i of run) out.push(features[i]!);
      run.length = 0;
    };
    let r = 0;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      while (word !== 0) {
        const low = word & -word;
        const i = (w << 5) + (31 - Math.clz32(low));
        word ^= low;
        if (i >= ranges[r]!.end) {
          flush();
          while (i >= ranges[r]!.end) r++;
        }
        run.push(i);
      }
    }
    flush();
    return out;
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
    return i === undefined ? -1 : range.start + i;
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

  /**
   * The catalog features a non-`featureSet` selector matches (`key`: its {@link selectorKey}).
   * Memoized; shared: do not mutate.
   */
  selectorBits(selector: Selector, key: string = selectorKey(selector)): Pool {
    let bits = this.selectorCache.get(key);
    if (bits === undefined) {
      bits = this.computeSelectorBits(selector);
      this.selectorCache.set(key, bits);
    }
    return bits;
  }

  private computeSelectorBits(selector: Selector): Pool {
    switch (selector.type) {
      case 'feature':
        return this.featureMatches(selector);
      case 'server': {
        let span = 0;
        const ranges: ServerRange[] = [];
        for (const kindName of KINDS) {
          if (selector.kind !== undefined && selector.kind !== kindName) continue;
          for (const range of this.serverRanges(this.kinds[kindName], selector.server)) {
            ranges.push(range);
            span += range.end - range.start;
          }
        }
        if (span === 0) return EMPTY_POOL;
        if (span * 32 < this.size) {
          const ids = new Int32Array(span);
          let at = 0;
          for (const range of ranges) for (let i = range.start; i < range.end; i++) ids[at++] = i;
          return ids;
        }
        const bits = this.arena.alloc();
        for (const range of ranges) setRange(bits, range.start, range.end);
        return bits;
      }
      case 'annotation': {
        const bits = this.arena.alloc();
        const [readOnly, destructive, neither] = this.classes();
        if (annotationAccepts(selector, true, false)) orInto(bits, readOnly);
        if (annotationAccepts(selector, false, true)) orInto(bits, destructive);
        if (annotationAccepts(selector, false, false)) orInto(bits, neither);
        return bits;
      }
      default:
        return EMPTY_POOL;
    }
  }

  /** The ranges of `kind` whose server matches the glob `server`, in index order. */
  private serverRanges(kind: KindIndex, server: string): readonly ServerRange[] {
    const glob = compileGlob(server);
    if (glob.literal) {
      const range = kind.byServer.get(server);
      return range === undefined ? [] : [range];
    }
    const servers = kind.servers;
    if (glob.any) return servers;
    // Servers are sorted: only those starting with the glob's literal prefix can match.
    const prefix = literalPrefix(server);
    let lo = 0;
    let hi = servers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (servers[mid]!.server < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: ServerRange[] = [];
    for (let r = lo; r < servers.length; r++) {
      const range = servers[r]!;
      if (!range.server.startsWith(prefix)) break;
      if (glob.test(range.server)) out.push(range);
    }
    return out;
  }

  /** Matches of a `feature` selector: sparse when few, dense otherwise. */
  private featureMatches(selector: Extract<Selector, { type: 'feature' }>): Pool {
    const kind = this.kinds[selector.kind];
    if (kind === undefined) return EMPTY_POOL;
    const ranges = this.serverRanges(kind, selector.server);
    if (ranges.length === 0) return EMPTY_POOL;
    if (this.hits === undefined) this.hits = new Int32Array(this.size);
    const hits = this.hits; // scratch
    let n = 0;
    const nameGlob = compileGlob(selector.name);
    const names = this.names;
    if (nameGlob.literal) {
      for (const range of ranges) {
        const i = range.names.get(selector.name);
        if (i !== undefined) hits[n++] = range.start + i;
      }
    } else if (nameGlob.any) {
      for (const range of ranges) for (let i = range.start; i < range.end; i++) hits[n++] = i;
    } else {
      const test = nameGlob.test;
      const prefix = literalPrefix(selector.name);
      let span = 0;
      for (const range of ranges) span += range.end - range.start;
      const table = prefix === '' ? undefined : this.prefixTable(kind, Math.min(prefix.length, PREFIX_CHARS));
      const bucket = table === undefined ? 0 : hashPrefix(prefix, table.chars) & table.mask;
      if (table !== undefined && table.count[bucket]! < span) {
        // Only names whose first characters hash like the prefix's can match: walk that chain
        // (ascending indexes) alongside the (ascending) ranges.
        const next = table.next;
        const offset = table.start;
        let r = 0;
        for (let i = table.head[bucket]!; i >= 0; i = next[i - offset]!) {
          while (r < ranges.length && ranges[r]!.end <= i) r++;
          if (r === ranges.length) break;
          if (i >= ranges[r]!.start && test(names[i]!)) hits[n++] = i;
        }
      } else {
        for (const range of ranges) {
          for (let i = range.start; i < range.end; i++) if (test(names[i]!)) hits[n++] = i;
        }
      }
    }
    if (n === 0) return EMPTY_POOL;
    if (n * 32 < this.size) return hits.slice(0, n);
    const bits = this.arena.alloc();
    for (let k = 0; k < n; k++) setBit(bits, hits[k]!);
    return bits;
  }

  /**
   * Chains of feature indexes (ascending) by a hash of the first `chars` characters of their names
   * (names shorter than that are left out: no prefix that long can match them). Built on first use.
   */
  private prefixTable(kind: KindIndex, chars: number): PrefixTable {
    let table = kind.prefixTables[chars];
    if (table === undefined) {
      const names = this.names;
      const servers = kind.servers;
      const start = servers.length === 0 ? 0 : servers[0]!.start;
      const end = servers.length === 0 ? 0 : servers[servers.length - 1]!.end;
      let size = 16;
      while (size < 2 * (end - start)) size *= 2;
      const mask = size - 1;
      const head = new Int32Array(size).fill(-1);
      const count = new Int32Array(size);
      const next = new Int32Array(end - start);
      for (let i = end - 1; i >= start; i--) {
        const name = names[i]!;
        if (name.length < chars) continue;
        const bucket = hashPrefix(name, chars) & mask;
        next[i - start] = head[bucket]!;
        head[bucket] = i;
        count[bucket]!++;
      }
      table = { chars, mask, start, head, next, count };
      kind.prefixTables[chars] = table;
    }
    return table;
  }

  /** Tools split by effective hints: [read-only, destructive, neither]. */
  private classes(): readonly [Bitset, Bitset, Bitset] {
    if (this.annotationClasses === undefined) {
      const readOnly = this.arena.alloc();
      const destructive = this.arena.alloc();
      const neither = this.arena.alloc();
      const tools = this.kinds.tool.servers;
      const end = tools.length === 0 ? 0 : tools[tools.length - 1]!.end;
      const hints = this.hints;
      for (let i = 0; i < end; i++) {
        const hint = hints[i];
        setBit(hint === READ_ONLY ? readOnly : hint === NEITHER ? neither : destructive, i);
      }
      this.annotationClasses = [readOnly, destructive, neither];
    }
    return this.annotationClasses;
  }
}
