import { describe, expect, it } from 'vitest';
import {
  compileFeatureSets,
  createResolver,
  type Feature,
  type FeatureSet,
  featureKey,
  type Member,
  resolve,
  type Selector,
} from './index.js';

const tool = (server: string, name: string, annotations?: Feature['annotations']): Feature =>
  annotations === undefined ? { kind: 'tool', server, name } : { kind: 'tool', server, name, annotations };
const inc = (selector: Selector): Member => ({ mode: 'include', selector });
const exc = (selector: Selector): Member => ({ mode: 'exclude', selector });
const sel = (server: string, name: string, kind: Feature['kind'] = 'tool'): Selector => ({
  type: 'feature',
  kind,
  server,
  name,
});
const setRef = (id: string): Selector => ({ type: 'featureSet', id });
const custom = (id: string, ...members: Member[]): FeatureSet => ({ id, name: id, kind: 'custom', members });

function allowed(catalog: Feature[], featureSets: FeatureSet[], grants: string[]): string[] {
  return resolve({ catalog, featureSets, grants }).allowed.map(featureKey);
}

const catalog: Feature[] = [
  tool('gh', 'get_issue', { readOnlyHint: true }),
  tool('gh', 'delete_repo', { destructiveHint: true }),
  tool('gh', 'create_issue', { destructiveHint: false }),
  { kind: 'prompt', server: 'gh', name: 'summarize' },
  { kind: 'resource', server: 'fs', name: 'file:///a.txt' },
  tool('fs', 'read', { readOnlyHint: true }),
  tool('fs', 'write'),
];

describe('catalog', () => {
  it('never allows a feature that is not in the catalog, even when a set names it', () => {
    expect(
      allowed(catalog, [custom('a', inc(sel('gh', 'missing')), inc(sel('gh', 'get_issue')))], ['a']),
    ).toEqual(['tool:gh/get_issue']);
  });

  it('counts duplicated refs once and keeps the first occurrence', () => {
    const first = tool('x', 'dup', { readOnlyHint: true });
    const second = tool('x', 'dup');
    const r = resolve({
      catalog: [first, second],
      featureSets: [custom('a', inc({ type: 'server', server: 'x' }))],
      grants: ['a'],
    });
    expect(r.allowed).toEqual([first]);
    expect(r.allowed[0]).toBe(first);
    const readOnly = [custom('ro', inc({ type: 'annotation', readOnly: true }))];
    expect(allowed([first, second], readOnly, ['ro'])).toEqual(['tool:x/dup']);
    expect(allowed([second, first], readOnly, ['ro'])).toEqual([]);
  });

  it('sorts allowed by kind (tool, prompt, resource), then server, then name by code points, never by locale', () => {
    const features: Feature[] = [
      { kind: 'resource', server: 'a', name: 'r' },
      { kind: 'prompt', server: 'b', name: 'p' },
      tool('b', 'a'),
      tool('B', 'z'),
      tool('a', 'é'),
      tool('a', 'z'),
      tool('a', 'Z'),
    ];
    expect(allowed(features, [{ id: 'all', name: 'All', kind: 'all', members: [] }], ['all'])).toEqual([
      'tool:B/z',
      'tool:a/Z',
      'tool:a/z',
      'tool:a/é',
      'tool:b/a',
      'prompt:b/p',
      'resource:a/r',
    ]);
  });
});

describe('grants', () => {
  it('grants every set of kind default automatically, in addition to the grants', () => {
    const sets = [
      { id: 'default', name: 'Default', kind: 'default' as const, members: [inc(sel('fs', 'read'))] },
      custom('a', inc(sel('gh', 'get_issue'))),
    ];
    expect(allowed(catalog, sets, [])).toEqual(['tool:fs/read']);
    expect(allowed(catalog, sets, ['a'])).toEqual(['tool:fs/read', 'tool:gh/get_issue']);
  });

  it('ignores unknown set ids in grants and in members without throwing', () => {
    const sets = [custom('a', inc(setRef('ghost')), exc(setRef('ghost')), inc(sel('fs', 'read')))];
    expect(allowed(catalog, sets, ['nope', 'a', 'also-nope'])).toEqual(['tool:fs/read']);
  });

  it('treats sets sharing an id as one set, whatever their order', () => {
    const a1 = custom('a', inc(sel('fs', 'read')));
    const a2 = custom('a', inc(sel('fs', 'write')), exc(sel('fs', 'read')));
    expect(allowed(catalog, [a1, a2], ['a'])).toEqual(['tool:fs/write']);
    expect(allowed(catalog, [a2, a1], ['a'])).toEqual(['tool:fs/write']);
  });
});

describe('kinds all and server-all', () => {
  it('includes the whole catalog for kind all and ignores its members', () => {
    const all: FeatureSet = { id: 'all', name: 'All', kind: 'all', members: [exc(sel('*', '*'))] };
    expect(allowed(catalog, [all], ['all'])).toHaveLength(catalog.length);
  });

  it('includes every feature of its server for kind server-all, and nothing without a server', () => {
    const sets: FeatureSet[] = [
      { id: 'server-all:fs', name: 'fs', kind: 'server-all', server: 'fs', members: [exc(sel('fs', '*'))] },
      { id: 'broken', name: 'broken', kind: 'server-all', members: [] },
    ];
    expect(allowed(catalog, sets, ['server-all:fs'])).toEqual([
      'tool:fs/read',
      'tool:fs/write',
      'resource:fs/file:///a.txt',
    ]);
    expect(allowed(catalog, sets, ['broken'])).toEqual([]);
  });
});

describe('walking the grant', () => {
  it('adds the matches of include feature, server and annotation selectors to the include pool', () => {
    const sets = [
      custom(
        'a',
        inc(sel('gh', 'create_issue')),
        inc({ type: 'server', server: 'fs', kind: 'resource' }),
        inc({ type: 'annotation', readOnly: true }),
      ),
    ];
    expect(allowed(catalog, sets, ['a'])).toEqual([
      'tool:fs/read',
      'tool:gh/create_issue',
      'tool:gh/get_issue',
      'resource:fs/file:///a.txt',
    ]);
  });

  it('hides a tool excluded by a nested set from everything the grant includes (excludes are global)', () => {
    const sets = [
      custom('root', inc(setRef('wide')), inc(setRef('guard'))),
      custom('wide', inc({ type: 'server', server: 'gh' })),
      custom('guard', exc(sel('gh', 'delete_*'))),
    ];
    expect(allowed(catalog, sets, ['root'])).toEqual([
      'tool:gh/create_issue',
      'tool:gh/get_issue',
      'prompt:gh/summarize',
    ]);
  });

  it('expands an included set in place: its includes and its excludes both apply', () => {
    const sets = [
      custom('outer', inc(setRef('inner')), inc(sel('fs', 'write'))),
      custom('inner', inc(sel('fs', '*')), exc(sel('fs', 'write'))),
    ];
    expect(allowed(catalog, sets, ['outer'])).toEqual(['tool:fs/read']);
  });

  it('removes what an excluded set grants on its own, without the auto-granted default set', () => {
    const sets: FeatureSet[] = [
      { id: 'default', name: 'Default', kind: 'default', members: [inc(sel('fs', 'read'))] },
      custom('client', inc(sel('fs', '*')), exc(setRef('writer'))),
      custom('writer', inc(sel('fs', 'write'))),
    ];
    expect(allowed(catalog, sets, ['client'])).toEqual(['tool:fs/read']);
  });

  it("subtracts an excluded set's own excludes from what it removes", () => {
    const sets = [
      custom('client', inc({ type: 'server', server: 'gh', kind: 'tool' }), exc(setRef('gh-but-delete'))),
      custom('gh-but-delete', inc({ type: 'server', server: 'gh' }), exc(sel('gh', 'delete_repo'))),
    ];
    expect(allowed(catalog, sets, ['client'])).toEqual(['tool:gh/delete_repo']);
  });

  it('resolves sets that exclude each other deterministically: re-entering a set in progress adds nothing', () => {
    const a = custom('a', inc(sel('fs', 'read')), exc(setRef('b')));
    const b = custom('b', inc(sel('fs', 'read')), inc(sel('fs', 'write')), exc(setRef('a')));
    // alone(b) = {read, write} minus alone(a), where alone(a) = {read} minus alone(b) (b in progress: nothing)
    // = {read}; so alone(b) = {write}. Granting a: {read} minus {write} = {read}.
    expect(allowed(catalog, [a, b], ['a'])).toEqual(['tool:fs/read']);
    expect(allowed(catalog, [b, a], ['a'])).toEqual(['tool:fs/read']);
    // Granting b: {read, write} minus alone(a), where alone(a) = {read} minus alone(b) and
    // alone(b) = {read, write} (a in progress: nothing) = {}; so nothing is removed.
    expect(allowed(catalog, [a, b], ['b'])).toEqual(['tool:fs/read', 'tool:fs/write']);
    expect(allowed(catalog, [b, a], ['b'])).toEqual(['tool:fs/read', 'tool:fs/write']);
  });

  it('terminates on include cycles, expanding each set once', () => {
    const sets = [
      custom('a', inc(setRef('b')), inc(sel('fs', 'read'))),
      custom('b', inc(setRef('a')), inc(setRef('b')), inc(sel('fs', 'write'))),
    ];
    expect(allowed(catalog, sets, ['a'])).toEqual(['tool:fs/read', 'tool:fs/write']);
  });
});

describe('exclude always wins', () => {
  it('over kind all granted directly', () => {
    const sets: FeatureSet[] = [
      { id: 'all', name: 'All', kind: 'all', members: [] },
      custom('no-gh', exc({ type: 'server', server: 'gh' })),
    ];
    expect(allowed(catalog, sets, ['all', 'no-gh'])).toEqual([
      'tool:fs/read',
      'tool:fs/write',
      'resource:fs/file:///a.txt',
    ]);
  });

  it('across different granted sets, and over an include of the same feature in the same set', () => {
    const sets = [
      custom('dev', inc(sel('gh', '*'))),
      custom('guard', exc(sel('*', '*delete*'))),
      custom('self', inc(sel('fs', 'read')), exc(sel('fs', 'read'))),
    ];
    expect(allowed(catalog, sets, ['dev', 'guard', 'self'])).toEqual([
      'tool:gh/create_issue',
      'tool:gh/get_issue',
    ]);
  });
});

describe('globs', () => {
  const names: Feature[] = ['ab', 'a.b', 'aXb', 'a', 'abc', 'Ab', 'a😀b', 'a\nb'].map((n) => tool('s.1', n));
  const match = (server: string, name: string): string[] =>
    allowed(names, [custom('g', inc(sel(server, name)))], ['g']).map((k) => k.slice('tool:s.1/'.length));

  it('matches * against any run of characters, also an empty one', () => {
    expect(match('*', 'a*b')).toEqual(['a\nb', 'a.b', 'aXb', 'ab', 'a😀b']);
  });

  it('matches ? against exactly one character (one code point)', () => {
    expect(match('s?1', 'a?b')).toEqual(['a\nb', 'a.b', 'aXb', 'a😀b']);
  });

  it('matches the whole string, case-sensitively, with every other character literal', () => {
    expect(match('s.1', 'a.b')).toEqual(['a.b']);
    expect(match('s.1', 'a')).toEqual(['a']);
    expect(match('s?1', 'Ab')).toEqual(['Ab']);
    expect(match('S.1', 'ab')).toEqual([]);
    expect(match('s.*', '(a|b)')).toEqual([]);
  });

  it('applies to the server of a server selector; server * is any server', () => {
    const features = [tool('github', 'x'), tool('gitlab', 'x'), tool('fs', 'x')];
    const via = (server: string) => allowed(features, [custom('g', inc({ type: 'server', server }))], ['g']);
    expect(via('git*')).toEqual(['tool:github/x', 'tool:gitlab/x']);
    expect(via('*')).toHaveLength(3);
    expect(via('git')).toEqual([]);
  });
});

describe('annotation selectors', () => {
  const tools: Feature[] = [
    tool('s', 'declares-nothing'),
    tool('s', 'read-only', { readOnlyHint: true }),
    tool('s', 'read-only-but-destructive-hint', { readOnlyHint: true, destructiveHint: true }),
    tool('s', 'additive', { destructiveHint: false }),
    tool('s', 'destructive', { readOnlyHint: false, destructiveHint: true }),
    { kind: 'prompt', server: 's', name: 'prompt', annotations: { readOnlyHint: true } },
    { kind: 'resource', server: 's', name: 'res', annotations: { destructiveHint: true } },
  ];
  const match = (selector: Selector) =>
    allowed(tools, [custom('a', inc(selector))], ['a']).map((k) => k.slice('tool:s/'.length));

  it('takes only tools that declare readOnlyHint for readOnly: true', () => {
    expect(match({ type: 'annotation', readOnly: true })).toEqual([
      'read-only',
      'read-only-but-destructive-hint',
    ]);
  });

  it('treats a tool that declares nothing as destructive, and a read-only tool as never destructive', () => {
    expect(match({ type: 'annotation', destructive: true })).toEqual(['declares-nothing', 'destructive']);
    expect(match({ type: 'annotation', destructive: false })).toEqual([
      'additive',
      'read-only',
      'read-only-but-destructive-hint',
    ]);
  });

  it('requires every given field and takes every tool (never prompts or resources) when none is given', () => {
    expect(match({ type: 'annotation', readOnly: false, destructive: false })).toEqual(['additive']);
    expect(match({ type: 'annotation', readOnly: true, destructive: true })).toEqual([]);
    expect(match({ type: 'annotation' })).toHaveLength(5);
  });
});

describe('order independence and monotonicity', () => {
  const sets = [
    custom('a', inc({ type: 'server', server: '*' }), exc(setRef('b')), inc(setRef('c'))),
    custom('b', inc(sel('gh', '*'))),
    custom('c', exc({ type: 'annotation', destructive: true }), inc(sel('gh', 'delete_repo'))),
  ];

  it('gives the same result for any order of catalog, sets, members and grants', () => {
    const expected = allowed(catalog, sets, ['a', 'c']);
    const reversed = [...sets].reverse().map((s) => ({ ...s, members: [...s.members].reverse() }));
    expect(allowed([...catalog].reverse(), reversed, ['c', 'a'])).toEqual(expected);
    expect(expected).toEqual(['tool:fs/read', 'prompt:gh/summarize', 'resource:fs/file:///a.txt']);
  });

  it('never removes a feature when an include member is added, never adds one when an exclude is added', () => {
    const before = allowed(catalog, sets, ['a']);
    const more = allowed(catalog, [...sets, custom('a', inc(sel('gh', 'create_issue')))], ['a']);
    const less = allowed(catalog, [...sets, custom('a', exc(sel('fs', 'read')))], ['a']);
    expect(more).toEqual(expect.arrayContaining(before));
    expect(before).toEqual(expect.arrayContaining(less));
    expect(less).not.toContain('tool:fs/read');
  });
});

describe('allows() and the cached resolvers', () => {
  it('answers allows() by kind, server and name only, ignoring the annotations of the ref', () => {
    const r = resolve({ catalog, featureSets: [custom('a', inc(sel('gh', 'get_issue')))], grants: ['a'] });
    expect(r.allows({ kind: 'tool', server: 'gh', name: 'get_issue' })).toBe(true);
    expect(r.allows(tool('gh', 'get_issue', { readOnlyHint: false }))).toBe(true);
    expect(r.allows({ kind: 'prompt', server: 'gh', name: 'get_issue' })).toBe(false);
    expect(r.allows({ kind: 'tool', server: 'gh', name: 'create_issue' })).toBe(false);
  });

  it('returns a fresh allowed array per call, so mutating one cannot poison a cache', () => {
    const resolver = createResolver();
    const input = { catalog, featureSets: [custom('a', inc(sel('fs', '*')))], grants: ['a'] };
    const first = resolver.resolve(input);
    first.allowed.length = 0;
    expect(resolver.resolve(input).allowed.map(featureKey)).toEqual(['tool:fs/read', 'tool:fs/write']);
    const compiled = compileFeatureSets(input);
    compiled.resolve(catalog).allowed.pop();
    expect(compiled.resolve(catalog).allowed).toHaveLength(2);
  });

  it('sees a new catalog array passed to a resolver that cached the previous one', () => {
    const compiled = compileFeatureSets({
      featureSets: [custom('a', inc({ type: 'server', server: 'fs' }))],
      grants: ['a'],
    });
    expect(compiled.resolve(catalog).allowed).toHaveLength(3);
    expect(compiled.resolve([...catalog, tool('fs', 'new')]).allowed).toHaveLength(4);
  });
});
