// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests use ${secret:...} templates verbatim
import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import type { FeatureSet } from '../../types.js';
import { aliasOwner, checkDefaultAlias, defaultAlias } from './aliases.js';
import { summarizeChanges } from './changes.js';
import { planDiscovery } from './discovery.js';
import { checkMembers, dedupeMembers, rotateCycle, setsUsing } from './members.js';
import { applyOverridesPatch, mergeTransport } from './overrides.js';
import { planPresence } from './presence.js';
import { checkSecretInputs, isReference } from './secret-inputs.js';

function thrown(fn: () => unknown): { code: string; message: string; data?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (isMcpmuxError(e)) return e as never;
    throw e;
  }
  throw new Error('expected an McpmuxError');
}

async function rejected(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isMcpmuxError(e)) return e as unknown as { code: string; data?: Record<string, unknown> };
    throw e;
  }
  throw new Error('expected an McpmuxError');
}

const setRef = (id: string) => ({ mode: 'include' as const, selector: { type: 'featureSet' as const, id } });
const set = (id: string, members: FeatureSet['members'] = []): FeatureSet => ({
  id,
  name: id,
  kind: 'custom',
  members,
});

describe('aliases', () => {
  it('finds the installation holding an alias, then a default-enabled server without a local row', () => {
    const rows = [{ serverId: 'gh', alias: 'git' }];
    expect(aliasOwner('git', 'gl', rows, [])).toBe('gh');
    expect(aliasOwner('git', 'gh', rows, [])).toBeUndefined();
    expect(aliasOwner('memory', 'm2', rows, ['memory'])).toBe('memory');
    // A default-enabled server with a local row holds the row's alias, not its default one.
    expect(aliasOwner('memory', 'm2', [{ serverId: 'memory', alias: 'mem' }], ['memory'])).toBeUndefined();
  });

  it('refuses a default-enabled twin and an installation holding the default alias elsewhere', () => {
    const long = 'a-very-long-server-id-number-one';
    expect(defaultAlias(long)).toHaveLength(24);
    const twin = thrown(() => checkDefaultAlias(long, ['a-very-long-server-id-number-two'], [], new Set()));
    expect(twin.code).toBe('CONFLICT');
    const clash = thrown(() =>
      checkDefaultAlias('fs', [], [{ spaceId: 'work', serverId: 'files' }], new Set()),
    );
    expect(clash.data).toMatchObject({ spaceId: 'work', serverId: 'files' });
    // Where the server has its own row, that row decides its alias there.
    expect(() =>
      checkDefaultAlias('fs', [], [{ spaceId: 'work', serverId: 'files' }], new Set(['work'])),
    ).not.toThrow();
  });
});

describe('members', () => {
  it('drops exact duplicate members, keeping the first', () => {
    const a = setRef('a');
    expect(dedupeMembers([a, { ...a }, setRef('b')])).toEqual([a, setRef('b')]);
  });

  it('rotates a cycle to start at the edited set', () => {
    expect(rotateCycle(['b', 'a', 'b'], 'a')).toEqual(['a', 'b', 'a']);
    expect(rotateCycle(['b', 'a', 'b'], 'z')).toEqual(['b', 'a', 'b']);
  });

  it('refuses a cycle through the edited set, naming its path', async () => {
    const sets = [set('a', [setRef('b')]), set('b')];
    const err = await rejected(
      checkMembers('work', 'b', [setRef('a')], [], { sets, spaceOfSet: async () => undefined }),
    );
    expect(err.code).toBe('CONFLICT');
    expect(err.data?.path).toEqual(['b', 'a', 'b']);
  });

  it('asks the lookup only for unknown sets, and names a set of another Space', async () => {
    const asked: string[] = [];
    const lookup = {
      sets: [set('a')],
      spaceOfSet: async (id: string) => {
        asked.push(id);
        return id === 'elsewhere' ? 'home' : undefined;
      },
    };
    await checkMembers('work', 'n', [setRef('a')], [], lookup);
    expect(asked).toEqual([]);
    expect((await rejected(checkMembers('work', 'n', [setRef('elsewhere')], [], lookup))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await rejected(checkMembers('work', 'n', [setRef('nope')], [], lookup))).code).toBe('NOT_FOUND');
    // A member already stored is not checked again.
    await checkMembers('work', 'n', [setRef('nope')], [setRef('nope')], lookup);
    expect(asked).toEqual(['elsewhere', 'nope']);
  });

  it('lists the sets that include or exclude a set', () => {
    const sets = [
      set('a'),
      set('b', [setRef('a')]),
      set('c', [{ mode: 'exclude', selector: { type: 'featureSet', id: 'a' } }]),
    ];
    expect(setsUsing('a', sets)).toEqual(['b', 'c']);
  });
});

describe('overrides', () => {
  it('merges env and headers key by key and replaces args', () => {
    expect(
      mergeTransport(
        { type: 'stdio', command: 'gh', args: ['a'], env: { A: '1', B: '2' } },
        { args: ['b'], env: { B: '3' } },
      ),
    ).toEqual({ type: 'stdio', command: 'gh', args: ['b'], env: { A: '1', B: '3' } });
    expect(
      mergeTransport(
        { type: 'http', url: 'https://x.example/mcp', headers: { A: '1' } },
        { headers: { H: 'v' } },
      ),
    ).toEqual({ type: 'http', url: 'https://x.example/mcp', headers: { A: '1', H: 'v' } });
  });

  it('applies a patch: null removes a key or a whole map, empty maps are dropped', () => {
    const current = { env: { A: '1', B: '2' }, args: ['x'], timeoutSeconds: 5 };
    expect(applyOverridesPatch(current, { env: { A: null, C: '3' }, args: null })).toEqual({
      env: { B: '2', C: '3' },
      timeoutSeconds: 5,
    });
    expect(applyOverridesPatch(current, { env: { A: null, B: null }, timeoutSeconds: null })).toEqual({
      args: ['x'],
    });
    expect(applyOverridesPatch({ headers: { H: 'v' } }, { headers: null })).toEqual({});
  });
});

describe('secret inputs', () => {
  it('accepts references and refuses literal values of declared secret inputs', () => {
    expect(isReference('Bearer ${secret:TOKEN}')).toBe(true);
    expect(isReference('plain')).toBe(false);
    const inputs = [{ name: 'TOKEN', secret: true, required: true }];
    expect(() => checkSecretInputs(inputs, [{ field: 'env', values: { TOKEN: '${env:GH}' } }])).not.toThrow();
    const err = thrown(() => checkSecretInputs(inputs, [{ field: 'env', values: { TOKEN: 'ghp_123' } }]));
    expect(err.data).toEqual({ field: 'env.TOKEN' });
    expect(err.message).not.toContain('ghp_123');
  });
});

describe('discovery', () => {
  const row = (
    id: number,
    name: string,
    extra: Partial<Parameters<typeof planDiscovery>[0][number]> = {},
  ) => ({
    id,
    kind: 'tool' as const,
    name,
    description: null,
    annotations: null,
    definitionHash: 'h1',
    available: true,
    ...extra,
  });
  const feature = (name: string, hash = 'h1') => ({
    kind: 'tool' as const,
    server: 's',
    name,
    definitionHash: hash,
  });

  it('keeps identities, inserts new features, marks missing ones and counts what changed', () => {
    const current = [
      row(1, 'same'),
      row(2, 'changed'),
      row(3, 'gone'),
      row(4, 'back', { available: false }),
      row(5, 'still-gone', { available: false }),
    ];
    const incoming = new Map(
      [feature('same'), feature('changed', 'h2'), feature('back'), feature('new')].map((f) => [
        `tool\0${f.name}`,
        f,
      ]),
    );
    const { writes, diff } = planDiscovery(current, incoming);
    expect(diff).toEqual({ added: 2, removed: 1, changed: 1 });
    expect(writes.markUnavailable).toEqual([3]);
    expect(writes.update.map((u) => u.id)).toEqual([1, 2, 4]);
    expect(writes.insert.map((f) => f.name)).toEqual(['new']);
  });

  it('counts changed annotations and descriptions', () => {
    const current = [
      row(1, 'a', { annotations: '{"readOnlyHint":true}' }),
      row(2, 'b', { description: 'old' }),
    ];
    const incoming = new Map([
      ['tool\0a', { ...feature('a'), annotations: { readOnlyHint: false } }],
      ['tool\0b', { ...feature('b'), description: 'new' }],
    ]);
    expect(planDiscovery(current, incoming).diff).toEqual({ added: 0, removed: 0, changed: 2 });
  });
});

describe('presence', () => {
  it('creates missing server-all sets, removes orphans and drops the cache of absent servers', () => {
    const p = (spaceId: string, serverId: string) => ({ spaceId, serverId });
    const plan = planPresence(
      [p('work', 'gh'), p('home', 'gh')],
      [p('work', 'gh'), p('work', 'old')],
      [p('work', 'old'), p('home', 'gh')],
    );
    expect(plan).toEqual({ create: [p('home', 'gh')], remove: [p('work', 'old')], drop: [p('work', 'old')] });
  });
});

describe('change summaries', () => {
  it('names the kinds and Spaces of consecutive rows', () => {
    const change = summarizeChanges(
      [
        { id: 5, kind: 'grant', spaceId: 'work' },
        { id: 6, kind: 'featureset', spaceId: 'home' },
      ],
      4,
    );
    expect(change.revision).toBe(6);
    expect([...change.kinds].sort()).toEqual(['featureset', 'grant']);
    expect(change.spaceIds).toEqual(['work', 'home']);
  });

  it('says everything may have changed when rows were pruned past the cursor, or a change named no Space', () => {
    const behind = summarizeChanges([{ id: 9, kind: 'grant', spaceId: 'work' }], 4);
    expect(behind.kinds.size).toBeGreaterThan(5);
    expect(behind.spaceIds).toBeUndefined();
    expect(summarizeChanges([{ id: 5, kind: 'server', spaceId: null }], 4).spaceIds).toBeUndefined();
  });
});
