import {
  createResolver,
  diffResolutions,
  type Feature,
  type FeatureSet,
  fingerprint,
} from '@mcpmux/featuresets';

// One resolver for the gateway's lifetime: it indexes each catalog array once.
const resolver = createResolver();

const featureSets: FeatureSet[] = [
  {
    id: 'read-only',
    name: 'Read Only',
    kind: 'custom',
    members: [{ mode: 'include', selector: { type: 'annotation', readOnly: true } }],
  },
];
const before: Feature[] = [
  { kind: 'tool', server: 'github', name: 'get_issue', annotations: { readOnlyHint: true } },
];
// An upstream announced list_changed: a new catalog array (never mutate the old one).
const after: Feature[] = [
  ...before,
  { kind: 'tool', server: 'github', name: 'list_issues', annotations: { readOnlyHint: true } },
  { kind: 'tool', server: 'github', name: 'close_issue' },
];

const old = resolver.resolve({ catalog: before, featureSets, grants: ['read-only'] });
const now = resolver.resolve({ catalog: after, featureSets, grants: ['read-only'] });

// Notify the session only when what it sees changed.
export const changed = fingerprint(now) !== fingerprint(old); // true
export const { added, removed } = diffResolutions(old, now);
// added: [list_issues], removed: []
