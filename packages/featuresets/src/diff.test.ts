import { describe, expect, it } from 'vitest';
import { catalog, DEVELOPER_WRITES, featureSets } from '../test/fixtures.js';
import { compareFeatures, diffResolutions, type Feature, featureKey, fingerprint, resolve } from './index.js';

describe('diffResolutions', () => {
  it('lists added and removed features, sorted like allowed', () => {
    const intern = resolve({ catalog, featureSets, grants: ['intern'] });
    const developer = resolve({ catalog, featureSets, grants: ['developer'] });
    const { added, removed } = diffResolutions(intern, developer);
    expect(removed.map(featureKey)).toEqual(['tool:github/add_issue_comment', 'tool:github/create_issue']);
    expect(added.map(featureKey)).toEqual(DEVELOPER_WRITES);
    expect(diffResolutions(developer, developer)).toEqual({ added: [], removed: [] });
  });

  it('accepts plain feature lists in any order, with duplicates', () => {
    const a: Feature[] = [
      { kind: 'prompt', server: 's', name: 'p' },
      { kind: 'tool', server: 's', name: 't' },
    ];
    const b: Feature[] = [
      { kind: 'tool', server: 's', name: 'u' },
      { kind: 'tool', server: 's', name: 't' },
      { kind: 'tool', server: 's', name: 't' },
    ];
    expect(diffResolutions(a, b)).toEqual({ added: [b[0]], removed: [a[0]] });
  });
});

describe('fingerprint', () => {
  it('is FNV-1a 64 over UTF-8 (known vectors through a one-feature key)', () => {
    // fingerprint hashes each key plus a NUL; the empty list hashes nothing: the offset basis.
    expect(fingerprint([])).toBe('cbf29ce484222325');
  });

  it('depends on the set of refs only: not on order, duplicates or annotations', () => {
    const r = resolve({ catalog, featureSets, grants: ['developer'] });
    const shuffled = [...r.allowed].reverse();
    expect(fingerprint(shuffled)).toBe(fingerprint(r));
    expect(fingerprint([...shuffled, r.allowed[0]!])).toBe(fingerprint(r));
    expect(fingerprint(r.allowed.map((f) => ({ kind: f.kind, server: f.server, name: f.name })))).toBe(
      fingerprint(r),
    );
    expect(fingerprint(r.allowed.slice(1))).not.toBe(fingerprint(r));
    expect(fingerprint(resolve({ catalog, featureSets, grants: ['intern'] }))).not.toBe(fingerprint(r));
  });

  it('hashes non-ASCII names by their UTF-8 bytes', () => {
    const one = (name: string) => fingerprint([{ kind: 'tool', server: 's', name }]);
    expect(one('é')).not.toBe(one('e'));
    expect(one('😀')).not.toBe(one('😁'));
    expect(one('😀')).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('featureKey and compareFeatures', () => {
  it('gives distinct keys to refs that differ, even when a server holds "/"', () => {
    expect(featureKey({ kind: 'tool', server: 'a/b', name: 'c' })).not.toBe(
      featureKey({ kind: 'tool', server: 'a', name: 'b/c' }),
    );
    expect(featureKey({ kind: 'resource', server: 'fs', name: 'file:///x' })).toBe('resource:fs/file:///x');
  });

  it('orders by kind, then server, then name', () => {
    const t = { kind: 'tool' as const, server: 'b', name: 'a' };
    expect(compareFeatures(t, { kind: 'prompt', server: 'a', name: 'a' })).toBeLessThan(0);
    expect(compareFeatures(t, { kind: 'tool', server: 'a', name: 'z' })).toBeGreaterThan(0);
    expect(compareFeatures(t, { ...t })).toBe(0);
  });
});
