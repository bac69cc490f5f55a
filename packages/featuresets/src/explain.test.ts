import { describe, expect, it } from 'vitest';
import { catalog, featureSets } from '../test/fixtures.js';
import { type FeatureSet, type Member, resolve } from './index.js';

const includeSet = (id: string): Member => ({ mode: 'include', selector: { type: 'featureSet', id } });
const custom = (id: string, ...members: Member[]): FeatureSet => ({ id, name: id, kind: 'custom', members });
const ref = (server: string, name: string) => ({ kind: 'tool' as const, server, name });

describe('explain()', () => {
  it('reports the trail from the granted set down to the set holding the include member', () => {
    const r = resolve({ catalog, featureSets, grants: ['devops'] });
    expect(r.explain(ref('github', 'create_pull_request'))).toEqual({
      allowed: true,
      inCatalog: true,
      includedBy: [['devops', 'developer', 'pr-management']],
      excludedBy: [],
    });
  });

  it('lists every trail, sorted element by element with shorter prefixes first', () => {
    const r = resolve({ catalog, featureSets, grants: ['intern', 'devops', 'read-only'] });
    expect(r.explain(ref('github', 'get_issue')).includedBy).toEqual([
      ['devops', 'developer', 'read-only'],
      ['intern', 'read-only'],
      ['read-only'],
    ]);
  });

  it('ends an exclude trail at the set holding the exclude featureSet member when that set alone grants the ref', () => {
    const r = resolve({ catalog, featureSets, grants: ['devops', 'no-deploy'] });
    expect(r.explain(ref('deploy', 'deploy_service'))).toEqual({
      allowed: false,
      inCatalog: true,
      includedBy: [['devops', 'deployment']],
      excludedBy: [['no-deploy']],
    });
  });

  it('ends the trail at a set of kind all and shows an exclude that wins over it', () => {
    const r = resolve({ catalog, featureSets, grants: ['senior-developer'] });
    expect(r.explain(ref('kubernetes', 'kubectl_apply'))).toEqual({
      allowed: false,
      inCatalog: true,
      includedBy: [['senior-developer', 'all']],
      excludedBy: [['senior-developer']],
    });
  });

  it('starts trails at auto-granted default sets too', () => {
    const sets = [
      ...featureSets.filter((s) => s.id !== 'default'),
      { ...custom('default', includeSet('read-only')), kind: 'default' as const },
    ];
    const r = resolve({ catalog, featureSets: sets, grants: [] });
    expect(r.explain(ref('postgres', 'query')).includedBy).toEqual([['default', 'read-only']]);
  });

  it('reports a feature missing from the catalog as not allowed, with the trails it would have', () => {
    const r = resolve({ catalog, featureSets, grants: ['all', 'no-delete'] });
    expect(r.explain(ref('gitlab', 'delete_project'))).toEqual({
      allowed: false,
      inCatalog: false,
      includedBy: [['all']],
      excludedBy: [['no-delete']],
    });
    expect(
      r.explain({ kind: 'tool', server: 'gitlab', name: 'x', annotations: { readOnlyHint: true } } as never),
    ).toMatchObject({
      includedBy: [['all']],
      excludedBy: [],
    });
  });

  it('reports nothing for a feature no granted set mentions', () => {
    const r = resolve({ catalog, featureSets, grants: ['intern'] });
    expect(r.explain(ref('deploy', 'deploy_service'))).toEqual({
      allowed: false,
      inCatalog: true,
      includedBy: [],
      excludedBy: [],
    });
  });

  it('follows simple paths only through include cycles (no set twice in one trail)', () => {
    const sets = [
      custom('a', includeSet('b')),
      custom('b', includeSet('a'), includeSet('c'), {
        mode: 'include',
        selector: { type: 'server', server: 'figma' },
      }),
      custom('c', includeSet('a'), { mode: 'include', selector: { type: 'server', server: 'figma' } }),
    ];
    const r = resolve({ catalog, featureSets: sets, grants: ['a', 'c'] });
    expect(r.explain(ref('figma', 'get_design')).includedBy).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
      ['c'],
      ['c', 'a', 'b'],
    ]);
  });

  it('caps each trail list at 1,000, keeping the lexicographically first', () => {
    // 4 layers of 6 sets, each including all of the next layer: 6^4 = 1,296 paths to the leaf.
    const layers = [0, 1, 2, 3].map((l) => [0, 1, 2, 3, 4, 5].map((i) => `l${l}-${i}`));
    const sets: FeatureSet[] = [custom('root', ...layers[0]!.map(includeSet))];
    layers.forEach((layer, l) => {
      for (const id of layer) {
        const next = layers[l + 1];
        sets.push(next === undefined ? custom(id, includeSet('leaf')) : custom(id, ...next.map(includeSet)));
      }
    });
    sets.push(custom('leaf', { mode: 'include', selector: { type: 'annotation' } }));
    const trails = resolve({ catalog, featureSets: sets, grants: ['root'] }).explain(
      ref('figma', 'get_design'),
    ).includedBy;
    expect(trails).toHaveLength(1000);
    expect(trails[0]).toEqual(['root', 'l0-0', 'l1-0', 'l2-0', 'l3-0', 'leaf']);
    expect(trails[999]).toEqual(['root', 'l0-4', 'l1-3', 'l2-4', 'l3-3', 'leaf']);
  });
});
