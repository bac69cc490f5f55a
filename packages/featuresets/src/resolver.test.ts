import { describe, expect, it } from 'vitest';
import * as root from './index.js';
import * as resolver from './resolver.js';

const SCHEMAS = [
  'ExplanationSchema',
  'FeatureAnnotationsSchema',
  'FeatureKindSchema',
  'FeatureRefSchema',
  'FeatureSchema',
  'FeatureSetKindSchema',
  'FeatureSetSchema',
  'MemberModeSchema',
  'MemberSchema',
  'ResolveInputSchema',
  'SelectorSchema',
];

describe('@mcpmux/featuresets/resolver', () => {
  it('holds every value export of the root except the zod schemas, the very same objects', () => {
    const light = Object.keys(resolver).sort();
    expect(light).toEqual(
      Object.keys(root)
        .filter((name) => !SCHEMAS.includes(name))
        .sort(),
    );
    const rootValues = new Map(Object.entries(root));
    for (const [name, value] of Object.entries(resolver)) expect(value, name).toBe(rootValues.get(name));
    expect(
      Object.keys(root)
        .filter((name) => SCHEMAS.includes(name))
        .sort(),
    ).toEqual(SCHEMAS);
  });
});
