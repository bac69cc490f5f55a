import { type Feature, type FeatureSet, featureKey, resolve } from '@mcpmux/featuresets';

// What the Space's connected servers offer right now.
const catalog: Feature[] = [
  { kind: 'tool', server: 'github', name: 'get_issue', annotations: { readOnlyHint: true } },
  { kind: 'tool', server: 'github', name: 'create_pull_request', annotations: { destructiveHint: false } },
  { kind: 'tool', server: 'github', name: 'delete_branch', annotations: { destructiveHint: true } },
  { kind: 'tool', server: 'filesystem', name: 'read_text_file', annotations: { readOnlyHint: true } },
  { kind: 'tool', server: 'filesystem', name: 'write_file' },
  { kind: 'tool', server: 'deploy', name: 'deploy_service', annotations: { destructiveHint: true } },
];

const featureSets: FeatureSet[] = [
  { id: 'default', name: 'Default', kind: 'default', members: [] },
  {
    id: 'read-only',
    name: 'Read Only',
    kind: 'custom',
    members: [{ mode: 'include', selector: { type: 'annotation', readOnly: true } }],
  },
  {
    id: 'developer',
    name: 'Developer',
    kind: 'custom',
    members: [
      { mode: 'include', selector: { type: 'featureSet', id: 'read-only' } },
      { mode: 'include', selector: { type: 'feature', kind: 'tool', server: 'github', name: '*' } },
      { mode: 'include', selector: { type: 'feature', kind: 'tool', server: 'filesystem', name: 'write_*' } },
    ],
  },
  {
    id: 'no-delete',
    name: 'No Delete',
    kind: 'custom',
    members: [
      { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: '*', name: '*delete*' } },
    ],
  },
];

// A client granted Developer plus the exclude-only guard No Delete.
const resolution = resolve({ catalog, featureSets, grants: ['developer', 'no-delete'] });

export const allowed = resolution.allowed.map(featureKey);
// ['tool:filesystem/read_text_file', 'tool:filesystem/write_file',
//  'tool:github/create_pull_request', 'tool:github/get_issue']

export const mayDeploy = resolution.allows({ kind: 'tool', server: 'deploy', name: 'deploy_service' });
// false

export const why = resolution.explain({ kind: 'tool', server: 'github', name: 'delete_branch' });
// { allowed: false, inCatalog: true, includedBy: [['developer']], excludedBy: [['no-delete']] }
