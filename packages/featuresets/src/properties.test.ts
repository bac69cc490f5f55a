import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  memberArb,
  plainSelectorArb,
  probeRefs,
  type Scenario,
  scenarioArb,
  selectorArb,
} from '../test/arbitraries.js';
import { NaiveModel } from '../test/reference-model.js';
import {
  compileFeatureSets,
  createResolver,
  type Feature,
  type FeatureSet,
  featureKey,
  formatSelector,
  parseSelector,
  resolve,
} from './index.js';

const RUNS = { numRuns: 1000 };
const keys = (features: readonly Feature[]): string[] => features.map(featureKey);

function shuffled<T>(items: readonly T[], order: readonly number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (order[i % Math.max(order.length, 1)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Ids of every set reachable (over include edges) from the target of some `exclude featureSet`. */
function underExcludedSets(s: Scenario): Set<string> {
  const model = new NaiveModel(s.catalog, s.featureSets, s.grants);
  const targets = new Set<string>();
  for (const set of s.featureSets) for (const id of model.edges(set.id, 'exclude')) targets.add(id);
  return new Set(model.reach([...targets]));
}

function withMember(sets: readonly FeatureSet[], index: number, member: FeatureSet['members'][number]) {
  return sets.map((set, i) => (i === index ? { ...set, members: [...set.members, member] } : set));
}

describe('resolve() properties (1,000 random catalogs and set graphs each)', { timeout: 60_000 }, () => {
  it('agrees with an independent naive reference model on allowed and on every explanation', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const model = new NaiveModel(s.catalog, s.featureSets, s.grants);
        const resolution = resolve(s);
        expect(keys(resolution.allowed)).toEqual(keys(model.allowed()));
        for (const ref of probeRefs(s.catalog)) expect(resolution.explain(ref)).toEqual(model.explain(ref));
      }),
      RUNS,
    );
  });

  it('returns a sorted, duplicate-free subset of the catalog made of the catalog objects', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { allowed } = resolve(s);
        for (const f of allowed) expect(s.catalog).toContain(f);
        const k = keys(allowed);
        expect(new Set(k).size).toBe(k.length);
        for (let i = 1; i < allowed.length; i++) {
          const a = allowed[i - 1]!;
          const b = allowed[i]!;
          const rank = { tool: 0, prompt: 1, resource: 2 };
          const ordered =
            rank[a.kind] < rank[b.kind] ||
            (a.kind === b.kind && (a.server < b.server || (a.server === b.server && a.name < b.name)));
          expect(ordered).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('never allows anything in the exclude pool (exclude wins)', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const model = new NaiveModel(s.catalog, s.featureSets, s.grants);
        const resolution = resolve(s);
        for (const f of s.catalog) if (model.inExcludePool(f)) expect(resolution.allows(f)).toBe(false);
      }),
      RUNS,
    );
  });

  it('does not depend on the order of catalog, sets, members or grants', () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (s, order) => {
        const permuted = {
          catalog: shuffled(s.catalog, order),
          featureSets: shuffled(s.featureSets, order).map((set) => ({
            ...set,
            members: shuffled(set.members, [...order].reverse()),
          })),
          grants: shuffled(s.grants, order),
        };
        const a = resolve(s);
        const b = resolve(permuted);
        expect(keys(b.allowed)).toEqual(keys(a.allowed));
        for (const ref of probeRefs(s.catalog)) expect(b.explain(ref)).toEqual(a.explain(ref));
      }),
      RUNS,
    );
  });

  it('never removes a feature when an include member is added to a set outside every excluded set', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), plainSelectorArb, (s, pick, selector) => {
        fc.pre(s.featureSets.length > 0);
        const index = pick % s.featureSets.length;
        fc.pre(!underExcludedSets(s).has(s.featureSets[index]!.id));
        const before = resolve(s);
        const after = resolve({
          ...s,
          featureSets: withMember(s.featureSets, index, { mode: 'include', selector }),
        });
        for (const f of before.allowed) expect(after.allows(f)).toBe(true);
      }),
      RUNS,
    );
  });

  it('never adds a feature when an exclude member is added to a set the grant reaches', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), selectorArb, (s, pick, selector) => {
        const model = new NaiveModel(s.catalog, s.featureSets, s.grants);
        const reached = model.reach(model.roots());
        const index = s.featureSets.findIndex((set, i) => i >= pick % 7 && reached.includes(set.id));
        fc.pre(index >= 0);
        fc.pre(selector.type !== 'featureSet' || !underExcludedSets(s).has(s.featureSets[index]!.id));
        const before = resolve(s);
        const after = resolve({
          ...s,
          featureSets: withMember(s.featureSets, index, { mode: 'exclude', selector }),
        });
        for (const f of after.allowed) expect(before.allows(f)).toBe(true);
      }),
      RUNS,
    );
  });

  it('terminates on cyclic include graphs and cyclic exclude-set chains', () => {
    const cyclicArb = fc
      .array(fc.tuple(fc.constantFrom('s0', 's1', 's2'), fc.constantFrom('s0', 's1', 's2'), fc.boolean()), {
        minLength: 1,
        maxLength: 9,
      })
      .map((edges) =>
        ['s0', 's1', 's2'].map(
          (id): FeatureSet => ({
            id,
            name: id,
            kind: 'custom',
            members: [
              { mode: 'include', selector: { type: 'server', server: '*' } },
              ...edges
                .filter(([from]) => from === id)
                .map(([, to, include]) => ({
                  mode: include ? ('include' as const) : ('exclude' as const),
                  selector: { type: 'featureSet' as const, id: to },
                })),
            ],
          }),
        ),
      );
    fc.assert(
      fc.property(scenarioArb, cyclicArb, fc.subarray(['s0', 's1', 's2']), (s, featureSets, grants) => {
        const model = new NaiveModel(s.catalog, featureSets, grants);
        const resolution = resolve({ catalog: s.catalog, featureSets, grants });
        expect(keys(resolution.allowed)).toEqual(keys(model.allowed()));
        for (const f of s.catalog) expect(resolution.explain(f)).toEqual(model.explain(f));
      }),
      RUNS,
    );
  });

  it('answers allows() exactly for the refs in allowed, and explain().allowed the same', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const resolution = resolve(s);
        const allowed = new Set(keys(resolution.allowed));
        for (const ref of probeRefs(s.catalog)) {
          const allows = resolution.allows(ref);
          expect(allows).toBe(allowed.has(featureKey(ref)));
          const explanation = resolution.explain(ref);
          expect(explanation.allowed).toBe(allows);
          expect(allows).toBe(
            explanation.inCatalog && explanation.includedBy.length > 0 && explanation.excludedBy.length === 0,
          );
        }
      }),
      RUNS,
    );
  });

  it('gives the same results from createResolver() and compileFeatureSets() as from resolve()', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.constantFrom('s0', 's1', 's2', 's3', 'nope'), { maxLength: 3 }),
        (s, other) => {
          const resolver = createResolver();
          const compiled = compileFeatureSets(s);
          for (let round = 0; round < 2; round++) {
            for (const grants of [s.grants, other]) {
              const expected = resolve({ ...s, grants });
              const memo = resolver.resolve({ ...s, grants });
              expect(keys(memo.allowed)).toEqual(keys(expected.allowed));
              expect(
                keys(resolver.compile({ featureSets: s.featureSets, grants }).resolve(s.catalog).allowed),
              ).toEqual(keys(expected.allowed));
              for (const ref of probeRefs(s.catalog)) {
                expect(memo.allows(ref)).toBe(expected.allows(ref));
                expect(memo.explain(ref)).toEqual(expected.explain(ref));
              }
            }
            expect(keys(compiled.resolve(s.catalog).allowed)).toEqual(keys(resolve(s).allowed));
          }
        },
      ),
      RUNS,
    );
  });

  it('round-trips every valid selector through formatSelector and parseSelector', () => {
    const textArb = fc.string({
      minLength: 1,
      maxLength: 6,
      unit: fc.constantFrom('a', '*', '?', ':', '/', ' ', 'é', '😀'),
    });
    const anySelectorArb = fc.oneof(
      selectorArb,
      memberArb.map((m) => m.selector),
      fc.record({ type: fc.constant('featureSet' as const), id: textArb }),
      fc
        .record({ name: textArb, server: textArb.filter((t) => !t.includes('/') && !t.includes(':')) })
        .map(({ name, server }) => ({ type: 'feature' as const, kind: 'resource' as const, server, name })),
    );
    fc.assert(
      fc.property(anySelectorArb, (selector) => {
        const text = formatSelector(selector);
        expect(parseSelector(text)).toStrictEqual({ ...selector });
        expect(formatSelector(parseSelector(text))).toBe(text);
      }),
      RUNS,
    );
  });
});
