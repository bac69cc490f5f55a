import { describe, expect, expectTypeOf, it } from 'vitest';
import { catalog, featureSets } from '../test/fixtures.js';
import {
  type Explanation,
  ExplanationSchema,
  type Feature,
  type FeatureKind,
  type FeatureRef,
  FeatureSchema,
  type FeatureSet,
  FeatureSetSchema,
  type Member,
  type Resolution,
  resolve,
  type Selector,
  SelectorSchema,
} from './index.js';

// The shapes of DESIGN §3.1, written out by hand; the exported types must equal them exactly.
namespace Design {
  export type FeatureKind = 'tool' | 'prompt' | 'resource';
  export interface FeatureRef {
    kind: FeatureKind;
    server: string;
    name: string;
  }
  export interface Feature extends FeatureRef {
    annotations?: {
      readOnlyHint?: boolean;
      destructiveHint?: boolean;
      idempotentHint?: boolean;
      openWorldHint?: boolean;
    };
  }
  export type Selector =
    | { type: 'feature'; kind: FeatureKind; server: string; name: string }
    | { type: 'server'; server: string; kind?: FeatureKind }
    | { type: 'featureSet'; id: string }
    | { type: 'annotation'; readOnly?: boolean; destructive?: boolean };
  export interface Member {
    mode: 'include' | 'exclude';
    selector: Selector;
  }
  export interface FeatureSet {
    id: string;
    name: string;
    description?: string;
    kind: 'all' | 'default' | 'server-all' | 'custom';
    server?: string;
    members: Member[];
  }
  export interface Explanation {
    allowed: boolean;
    inCatalog: boolean;
    includedBy: string[][];
    excludedBy: string[][];
  }
  export interface Resolution {
    allowed: Feature[];
    allows(ref: FeatureRef): boolean;
    explain(ref: FeatureRef): Explanation;
  }
}

describe('schemas and types', () => {
  it('exports types equal to the shapes of DESIGN §3.1 under exactOptionalPropertyTypes', () => {
    expectTypeOf<FeatureKind>().toEqualTypeOf<Design.FeatureKind>();
    expectTypeOf<FeatureRef>().toEqualTypeOf<Design.FeatureRef>();
    expectTypeOf<Feature>().toEqualTypeOf<Design.Feature>();
    expectTypeOf<Selector>().toEqualTypeOf<Design.Selector>();
    expectTypeOf<Member>().toEqualTypeOf<Design.Member>();
    expectTypeOf<FeatureSet>().toEqualTypeOf<Design.FeatureSet>();
    expectTypeOf<Explanation>().toEqualTypeOf<Design.Explanation>();
    expectTypeOf<Resolution>().toEqualTypeOf<Design.Resolution>();
    expectTypeOf<{ catalog: Feature[]; featureSets: FeatureSet[]; grants: string[] }>().toExtend<
      Parameters<typeof resolve>[0]
    >();
  });

  it('accepts the fixture data and rejects malformed values', () => {
    for (const f of catalog) expect(FeatureSchema.parse(f)).toEqual(f);
    for (const s of featureSets) expect(FeatureSetSchema.parse(s)).toEqual(s);
    expect(
      SelectorSchema.safeParse({ type: 'feature', kind: 'tool', server: 'a/b', name: 'x' }).success,
    ).toBe(false);
    expect(SelectorSchema.safeParse({ type: 'server', server: 'gh', kind: undefined }).success).toBe(false);
    expect(FeatureSetSchema.safeParse({ id: '', name: 'x', kind: 'custom', members: [] }).success).toBe(
      false,
    );
    expect(
      ExplanationSchema.parse(resolve({ catalog, featureSets, grants: ['developer'] }).explain(catalog[0]!)),
    ).toEqual({
      allowed: true,
      inCatalog: true,
      includedBy: [['developer', 'read-only']],
      excludedBy: [],
    });
  });
});
