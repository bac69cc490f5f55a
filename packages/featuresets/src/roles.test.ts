import { describe, expect, it } from 'vitest';
import { catalog, DEVELOPER, featureSets, READ_ONLY } from '../test/fixtures.js';
import { featureKey, resolve } from './index.js';

const allowedFor = (...grants: string[]): string[] =>
  resolve({ catalog, featureSets, grants }).allowed.map(featureKey);

describe('role-based FeatureSets on a GitHub / filesystem / deploy catalog', () => {
  it('grants all of GitHub except delete_repository, delete_branch and delete_file', () => {
    const allowed = allowedFor('github-safe');
    expect(allowed).toHaveLength(14);
    expect(allowed).not.toContain('tool:github/delete_repository');
    expect(allowed).not.toContain('tool:github/delete_branch');
    expect(allowed).not.toContain('tool:github/delete_file');
    expect(allowed).toContain('tool:github/merge_pull_request');
    expect(allowed.slice(-2)).toEqual([
      'prompt:github/summarize_pull_request',
      'resource:github/repo://acme/api/README.md',
    ]);
  });

  it('Read Only takes exactly the tools that declare readOnlyHint', () => {
    expect(allowedFor('read-only')).toEqual(READ_ONLY);
  });

  it('Developer is Read Only plus code editing plus PR management', () => {
    expect(allowedFor('developer')).toEqual(DEVELOPER);
  });

  it('DevOps is Developer plus deployment', () => {
    expect(allowedFor('devops')).toEqual(
      [...DEVELOPER, 'tool:deploy/deploy_service', 'tool:deploy/rollback_service'].sort(),
    );
  });

  it('Senior Developer is All minus deployment and infrastructure', () => {
    const allowed = allowedFor('senior-developer');
    const hidden = catalog.map(featureKey).filter((k) => !allowed.includes(k));
    expect(hidden.sort()).toEqual([
      'tool:deploy/deploy_service',
      'tool:deploy/get_deploy_status',
      'tool:deploy/list_services',
      'tool:deploy/rollback_service',
      'tool:kubernetes/kubectl_apply',
      'tool:kubernetes/kubectl_delete',
      'tool:kubernetes/kubectl_get',
    ]);
  });

  it('Intern is Read Only plus create_issue and add_issue_comment', () => {
    expect(allowedFor('intern')).toEqual(
      [...READ_ONLY, 'tool:github/add_issue_comment', 'tool:github/create_issue'].sort(),
    );
  });

  it('Full Stack is the union of the Frontend and Backend domain sets', () => {
    const frontend = allowedFor('frontend');
    const backend = allowedFor('backend');
    expect(frontend).toContain('tool:figma/export_assets');
    expect(frontend).not.toContain('tool:postgres/execute');
    expect(backend).toContain('prompt:postgres/explain_query');
    expect(backend).not.toContain('resource:filesystem/file:///workspace/notes.md');
    const union = [...new Set([...frontend, ...backend])];
    expect(allowedFor('full-stack').sort()).toEqual(union.sort());
  });

  it('No Delete granted beside Developer removes every delete tool and nothing else', () => {
    const guarded = allowedFor('all', 'no-delete');
    expect(guarded.filter((k) => k.includes('delete'))).toEqual([]);
    expect(allowedFor('all').length - guarded.length).toBe(4);
    const developer = allowedFor('developer', 'no-delete');
    expect(developer).toEqual(DEVELOPER);
    const withDelete = resolve({
      catalog,
      featureSets: featureSets.map((s) =>
        s.id === 'developer'
          ? {
              ...s,
              members: [...s.members, { mode: 'include', selector: { type: 'server', server: 'github' } }],
            }
          : s,
      ),
      grants: ['developer', 'no-delete'],
    }).allowed.map(featureKey);
    expect(withDelete.filter((k) => k.includes('delete'))).toEqual([]);
    expect(withDelete).toContain('tool:github/create_issue');
  });

  it('No Deploy removes what the deployment set grants, even from DevOps', () => {
    expect(allowedFor('devops', 'no-deploy')).toEqual(DEVELOPER.filter((k) => !k.startsWith('tool:deploy/')));
  });

  it('Sandbox keeps the filesystem minus every tool that is destructive or declares nothing', () => {
    expect(allowedFor('sandbox')).toEqual([
      'tool:filesystem/create_directory',
      'tool:filesystem/list_directory',
      'tool:filesystem/read_text_file',
      'tool:filesystem/search_files',
      'resource:filesystem/file:///workspace/notes.md',
    ]);
  });

  it('grants nothing when nothing is granted and the default set is empty (deny by default)', () => {
    expect(allowedFor()).toEqual([]);
  });
});
