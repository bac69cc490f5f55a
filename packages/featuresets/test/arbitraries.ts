// fast-check generators: small random catalogs and random (also cyclic) FeatureSet graphs.
import fc from 'fast-check';
import type { Feature, FeatureKind, FeatureSet, Member, Selector } from '../src/index.js';

export const SET_IDS = ['s0', 's1', 's2', 's3', 's4', 's5'] as const;
const SERVERS = ['gh', 'fs', 'g', 'deploy'];
const NAMES = ['get', 'get_x', 'delete_x', 'list', 'a.b', 'a+b', 'aXb', 'x(1)', 'é?'];
export const kindArb: fc.Arbitrary<FeatureKind> = fc.constantFrom('tool', 'prompt', 'resource');

const annotationsArb = fc.record(
  { readOnlyHint: fc.boolean(), destructiveHint: fc.boolean() },
  { requiredKeys: [] },
);

export const featureArb: fc.Arbitrary<Feature> = fc
  .record({
    kind: kindArb,
    server: fc.constantFrom(...SERVERS),
    name: fc.constantFrom(...NAMES),
    annotations: fc.option(annotationsArb, { nil: undefined }),
  })
  .map(({ annotations, ...ref }) => (annotations === undefined ? ref : { ...ref, annotations }));

/** A catalog whose duplicated refs are exact copies (so permuting it cannot change which copy counts). */
export const catalogArb: fc.Arbitrary<Feature[]> = fc
  .uniqueArray(featureArb, {
    maxLength: 12,
    selector: (f) => `${f.kind}\0${f.server}\0${f.name}`,
  })
  .chain((unique) =>
    unique.length === 0
      ? fc.constant(unique)
      : fc
          .array(fc.nat(unique.length - 1), { maxLength: 3 })
          .map((dups) => [...unique, ...dups.map((i) => unique[i]!)]),
  );

function globArb(alphabet: string[]): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom('*', '?', ...alphabet), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(''));
}

export const serverPatternArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SERVERS, '*', 'g*', '?s', 'd*y'),
  globArb(['g', 'h', 'f', 's']),
);
export const namePatternArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NAMES, '*', '*delete*', 'get*', 'a?b', 'a.b', '?'),
  globArb(['a', 'b', '.', '+', 'X', 'g', 'e', 't', '_', 'x']),
);

export const plainSelectorArb: fc.Arbitrary<Selector> = fc.oneof(
  fc.record({
    type: fc.constant('feature' as const),
    kind: kindArb,
    server: serverPatternArb,
    name: namePatternArb,
  }),
  fc
    .record({ server: serverPatternArb, kind: fc.option(kindArb, { nil: undefined }) })
    .map(({ server, kind }) =>
      kind === undefined ? { type: 'server' as const, server } : { type: 'server' as const, server, kind },
    ),
  fc
    .record({ readOnly: fc.boolean(), destructive: fc.boolean() }, { requiredKeys: [] })
    .map((fields) => ({ type: 'annotation' as const, ...fields })),
);

export const selectorArb: fc.Arbitrary<Selector> = fc.oneof(
  { arbitrary: plainSelectorArb, weight: 3 },
  {
    arbitrary: fc.constantFrom(...SET_IDS, 'missing').map((id) => ({ type: 'featureSet' as const, id })),
    weight: 2,
  },
);

export const memberArb: fc.Arbitrary<Member> = fc.record({
  mode: fc.constantFrom('include' as const, 'exclude' as const),
  selector: selectorArb,
});

export const featureSetArb: fc.Arbitrary<FeatureSet> = fc
  .record({
    id: fc.constantFrom(...SET_IDS),
    kind: fc.constantFrom(
      'custom' as const,
      'custom' as const,
      'custom' as const,
      'default' as const,
      'all' as const,
      'server-all' as const,
    ),
    server: fc.option(fc.constantFrom(...SERVERS), { nil: undefined }),
    members: fc.array(memberArb, { maxLength: 4 }),
  })
  .map(({ id, kind, server, members }) => {
    const set: FeatureSet = { id, name: id.toUpperCase(), kind, members };
    if (server !== undefined) set.server = server;
    return set;
  });

export interface Scenario {
  catalog: Feature[];
  featureSets: FeatureSet[];
  grants: string[];
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  catalog: catalogArb,
  featureSets: fc.array(featureSetArb, { maxLength: 7 }),
  grants: fc.array(fc.constantFrom(...SET_IDS, 'nope'), { maxLength: 3 }),
});

/** Refs worth asking about: the catalog plus some that are not in it. */
export function probeRefs(catalog: readonly Feature[]): Feature[] {
  return [
    ...catalog,
    { kind: 'tool', server: 'gh', name: 'not_there' },
    { kind: 'prompt', server: 'nowhere', name: 'get' },
    { kind: 'tool', server: 'gh', name: 'delete_x', annotations: { readOnlyHint: true } },
  ];
}
