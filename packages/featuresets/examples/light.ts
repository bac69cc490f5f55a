import {
  type Feature,
  type FeatureSet,
  featureKey,
  parseSelector,
  resolve,
} from '@mcpmux/featuresets/resolver';

// A short-lived command reads sets its store validated when they were written: no schemas, no zod.
const featureSets: FeatureSet[] = [
  {
    id: 'read-only',
    name: 'Read Only',
    kind: 'custom',
    members: [{ mode: 'include', selector: parseSelector('readonly') }],
  },
];
const catalog: Feature[] = [
  { kind: 'tool', server: 'github', name: 'get_issue', annotations: { readOnlyHint: true } },
  { kind: 'tool', server: 'github', name: 'delete_branch', annotations: { destructiveHint: true } },
];

export const tools = resolve({ catalog, featureSets, grants: ['read-only'] }).allowed.map(featureKey);
// ['tool:github/get_issue']
