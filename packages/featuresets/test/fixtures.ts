// A realistic Space: GitHub, filesystem, deploy, Kubernetes, Figma and Postgres servers, and the
// role-based FeatureSets of the product's use cases.
import type { Feature, FeatureSet, Member, Selector } from '../src/index.js';

const RO = { readOnlyHint: true };
const WRITE = { readOnlyHint: false, destructiveHint: false };
const DESTROY = { readOnlyHint: false, destructiveHint: true };

function tools(server: string, entries: Record<string, Feature['annotations'] | null>): Feature[] {
  return Object.entries(entries).map(([name, annotations]) =>
    !annotations ? { kind: 'tool', server, name } : { kind: 'tool', server, name, annotations },
  );
}

export const catalog: Feature[] = [
  ...tools('github', {
    get_issue: RO,
    list_issues: RO,
    search_code: RO,
    get_file_contents: RO,
    list_pull_requests: RO,
    create_issue: WRITE,
    add_issue_comment: WRITE,
    create_pull_request: WRITE,
    create_pull_request_review: WRITE,
    merge_pull_request: DESTROY,
    create_branch: WRITE,
    delete_branch: DESTROY,
    create_or_update_file: null,
    delete_file: DESTROY,
    delete_repository: DESTROY,
  }),
  { kind: 'prompt', server: 'github', name: 'summarize_pull_request' },
  { kind: 'resource', server: 'github', name: 'repo://acme/api/README.md' },
  ...tools('filesystem', {
    read_text_file: RO,
    list_directory: RO,
    search_files: RO,
    write_file: null,
    edit_file: DESTROY,
    create_directory: WRITE,
    move_file: DESTROY,
  }),
  { kind: 'resource', server: 'filesystem', name: 'file:///workspace/notes.md' },
  ...tools('deploy', {
    list_services: RO,
    get_deploy_status: RO,
    deploy_service: DESTROY,
    rollback_service: DESTROY,
  }),
  ...tools('kubernetes', { kubectl_get: RO, kubectl_apply: DESTROY, kubectl_delete: DESTROY }),
  ...tools('figma', { get_design: RO, export_assets: WRITE }),
  ...tools('postgres', { query: RO, execute: null }),
  { kind: 'prompt', server: 'postgres', name: 'explain_query' },
];

const tool = (server: string, name: string): Selector => ({ type: 'feature', kind: 'tool', server, name });
const set = (id: string): Selector => ({ type: 'featureSet', id });
const include = (selector: Selector): Member => ({ mode: 'include', selector });
const exclude = (selector: Selector): Member => ({ mode: 'exclude', selector });

export const featureSets: FeatureSet[] = [
  { id: 'all', name: 'All', kind: 'all', members: [] },
  { id: 'default', name: 'Default', kind: 'default', members: [] },
  { id: 'server-all:github', name: 'GitHub', kind: 'server-all', server: 'github', members: [] },
  {
    id: 'github-safe',
    name: 'All GitHub except deletes',
    kind: 'custom',
    members: [
      include({ type: 'server', server: 'github' }),
      exclude(tool('github', 'delete_repository')),
      exclude(tool('github', 'delete_branch')),
      exclude(tool('github', 'delete_file')),
    ],
  },
  {
    id: 'read-only',
    name: 'Read Only',
    kind: 'custom',
    members: [include({ type: 'annotation', readOnly: true })],
  },
  {
    id: 'code-editing',
    name: 'Code editing',
    kind: 'custom',
    members: [
      include(tool('filesystem', 'write_file')),
      include(tool('filesystem', 'edit_file')),
      include(tool('filesystem', 'create_directory')),
      include(tool('github', 'create_or_update_file')),
      include(tool('github', 'create_branch')),
    ],
  },
  {
    id: 'pr-management',
    name: 'PR management',
    kind: 'custom',
    members: [include(tool('github', '*pull_request*'))],
  },
  {
    id: 'developer',
    name: 'Developer',
    kind: 'custom',
    members: [include(set('read-only')), include(set('code-editing')), include(set('pr-management'))],
  },
  {
    id: 'deployment',
    name: 'Deployment',
    kind: 'custom',
    members: [include({ type: 'server', server: 'deploy' })],
  },
  {
    id: 'devops',
    name: 'DevOps',
    kind: 'custom',
    members: [include(set('developer')), include(set('deployment'))],
  },
  {
    id: 'infrastructure',
    name: 'Infrastructure',
    kind: 'custom',
    members: [include({ type: 'server', server: 'kubernetes' })],
  },
  {
    id: 'senior-developer',
    name: 'Senior Developer',
    kind: 'custom',
    members: [include(set('all')), exclude(set('deployment')), exclude(set('infrastructure'))],
  },
  {
    id: 'intern',
    name: 'Intern',
    kind: 'custom',
    members: [
      include(set('read-only')),
      include(tool('github', 'create_issue')),
      include(tool('github', 'add_issue_comment')),
    ],
  },
  {
    id: 'frontend',
    name: 'Frontend',
    kind: 'custom',
    members: [
      include({ type: 'server', server: 'figma' }),
      include({ type: 'server', server: 'filesystem', kind: 'tool' }),
    ],
  },
  {
    id: 'backend',
    name: 'Backend',
    kind: 'custom',
    members: [
      include({ type: 'server', server: 'postgres' }),
      include({ type: 'server', server: 'filesystem', kind: 'tool' }),
    ],
  },
  {
    id: 'full-stack',
    name: 'Full Stack',
    kind: 'custom',
    members: [include(set('frontend')), include(set('backend'))],
  },
  { id: 'no-delete', name: 'No Delete', kind: 'custom', members: [exclude(tool('*', '*delete*'))] },
  { id: 'no-deploy', name: 'No Deploy', kind: 'custom', members: [exclude(set('deployment'))] },
  {
    id: 'sandbox',
    name: 'Sandbox',
    kind: 'custom',
    members: [
      include({ type: 'server', server: 'filesystem' }),
      exclude({ type: 'annotation', destructive: true }),
    ],
  },
];

/** Keys of the read-only tools (the Read Only set). */
export const READ_ONLY = [
  'tool:deploy/get_deploy_status',
  'tool:deploy/list_services',
  'tool:figma/get_design',
  'tool:filesystem/list_directory',
  'tool:filesystem/read_text_file',
  'tool:filesystem/search_files',
  'tool:github/get_file_contents',
  'tool:github/get_issue',
  'tool:github/list_issues',
  'tool:github/list_pull_requests',
  'tool:github/search_code',
  'tool:kubernetes/kubectl_get',
  'tool:postgres/query',
];

/** What Developer adds to Read Only. */
export const DEVELOPER_WRITES = [
  'tool:filesystem/create_directory',
  'tool:filesystem/edit_file',
  'tool:filesystem/write_file',
  'tool:github/create_branch',
  'tool:github/create_or_update_file',
  'tool:github/create_pull_request',
  'tool:github/create_pull_request_review',
  'tool:github/merge_pull_request',
];

/** Keys Developer grants, sorted. */
export const DEVELOPER = [...READ_ONLY, ...DEVELOPER_WRITES].sort();
