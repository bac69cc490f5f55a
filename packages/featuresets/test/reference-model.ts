// An independent, deliberately naive model of DESIGN §3.2 for property tests: it scans everything,
// uses no bitsets, no regular expressions and no memoization.
import type { Explanation, Feature, FeatureRef, FeatureSet, Selector } from '../src/index.js';

const KIND_RANK = { tool: 0, prompt: 1, resource: 2 } as const;

export function naiveCompare(a: FeatureRef, b: FeatureRef): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (a.server !== b.server) return a.server < b.server ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

function same(a: FeatureRef, b: FeatureRef): boolean {
  return a.kind === b.kind && a.server === b.server && a.name === b.name;
}

/** Glob match by recursion over code points. */
export function naiveGlob(pattern: string, value: string): boolean {
  const p = [...pattern];
  const v = [...value];
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === v.length;
    if (p[i] === '*') return go(i + 1, j) || (j < v.length && go(i, j + 1));
    if (j === v.length) return false;
    if (p[i] === '?' || p[i] === v[j]) return go(i + 1, j + 1);
    return false;
  };
  return go(0, 0);
}

function matches(selector: Selector, f: Feature): boolean {
  if (selector.type === 'feature') {
    return (
      selector.kind === f.kind && naiveGlob(selector.server, f.server) && naiveGlob(selector.name, f.name)
    );
  }
  if (selector.type === 'server') {
    return (selector.kind === undefined || selector.kind === f.kind) && naiveGlob(selector.server, f.server);
  }
  if (selector.type === 'annotation') {
    if (f.kind !== 'tool') return false;
    const readOnly = f.annotations?.readOnlyHint === true;
    let destructive = !readOnly;
    if (!readOnly && f.annotations?.destructiveHint === false) destructive = false;
    if (selector.readOnly !== undefined && selector.readOnly !== readOnly) return false;
    if (selector.destructive !== undefined && selector.destructive !== destructive) return false;
    return true;
  }
  return false;
}

export class NaiveModel {
  constructor(
    readonly catalog: readonly Feature[],
    readonly featureSets: readonly FeatureSet[],
    readonly grants: readonly string[],
  ) {}

  setsWithId(id: string): FeatureSet[] {
    return this.featureSets.filter((s) => s.id === id);
  }

  known(id: string): boolean {
    return this.setsWithId(id).length > 0;
  }

  roots(): string[] {
    const ids: string[] = [];
    for (const id of [
      ...this.grants,
      ...this.featureSets.filter((s) => s.kind === 'default').map((s) => s.id),
    ]) {
      if (this.known(id) && !ids.includes(id)) ids.push(id);
    }
    return ids.sort();
  }

  edges(id: string, mode: 'include' | 'exclude'): string[] {
    const out: string[] = [];
    for (const set of this.setsWithId(id)) {
      if (set.kind !== 'custom' && set.kind !== 'default') continue;
      for (const m of set.members) {
        if (m.mode === mode && m.selector.type === 'featureSet' && this.known(m.selector.id)) {
          if (!out.includes(m.selector.id)) out.push(m.selector.id);
        }
      }
    }
    return out.sort();
  }

  reach(roots: readonly string[]): string[] {
    const seen: string[] = [];
    const work = [...roots];
    while (work.length > 0) {
      const id = work.shift()!;
      if (seen.includes(id) || !this.known(id)) continue;
      seen.push(id);
      work.push(...this.edges(id, 'include'));
    }
    return seen;
  }

  includes(id: string, f: Feature): boolean {
    return this.setsWithId(id).some(
      (s) =>
        s.kind === 'all' ||
        (s.kind === 'server-all' && s.server === f.server) ||
        ((s.kind === 'custom' || s.kind === 'default') &&
          s.members.some((m) => m.mode === 'include' && matches(m.selector, f))),
    );
  }

  directlyExcludes(id: string, f: Feature): boolean {
    return this.setsWithId(id).some(
      (s) =>
        (s.kind === 'custom' || s.kind === 'default') &&
        s.members.some((m) => m.mode === 'exclude' && matches(m.selector, f)),
    );
  }

  /** What `id` grants alone; `stack` holds sets whose alone() is in progress. */
  alone(id: string, f: Feature, stack: readonly string[] = []): boolean {
    if (stack.includes(id)) return false;
    const inner = [...stack, id];
    const reached = this.reach([id]);
    return reached.some((r) => this.includes(r, f)) && !reached.some((r) => this.excludes(r, f, inner));
  }

  excludes(id: string, f: Feature, stack: readonly string[] = []): boolean {
    return this.directlyExcludes(id, f) || this.edges(id, 'exclude').some((x) => this.alone(x, f, stack));
  }

  inIncludePool(f: Feature): boolean {
    return this.reach(this.roots()).some((id) => this.includes(id, f));
  }

  inExcludePool(f: Feature): boolean {
    return this.reach(this.roots()).some((id) => this.excludes(id, f));
  }

  dedupedCatalog(): Feature[] {
    const out: Feature[] = [];
    for (const f of this.catalog) if (!out.some((g) => same(f, g))) out.push(f);
    return out;
  }

  allowed(): Feature[] {
    return this.dedupedCatalog()
      .filter((f) => this.inIncludePool(f) && !this.inExcludePool(f))
      .sort(naiveCompare);
  }

  /** Every simple path from a root over include edges ending at a set where `holds`. */
  trails(holds: (id: string) => boolean): string[][] {
    const out: string[][] = [];
    const walk = (path: string[]): void => {
      const last = path[path.length - 1]!;
      if (holds(last)) out.push([...path]);
      for (const next of this.edges(last, 'include')) if (!path.includes(next)) walk([...path, next]);
    };
    for (const root of this.roots()) walk([root]);
    const key = (t: string[]): string => JSON.stringify(t);
    const unique = [...new Map(out.map((t) => [key(t), t])).values()];
    unique.sort((a, b) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      }
      return a.length - b.length;
    });
    return unique.slice(0, 1000);
  }

  explain(ref: Feature): Explanation {
    const inCatalog = this.dedupedCatalog().find((g) => same(g, ref));
    const f = inCatalog ?? ref;
    const allowed = inCatalog !== undefined && this.inIncludePool(f) && !this.inExcludePool(f);
    return {
      allowed,
      inCatalog: inCatalog !== undefined,
      includedBy: this.trails((id) => this.includes(id, f)),
      excludedBy: this.trails((id) => this.excludes(id, f)),
    };
  }
}
