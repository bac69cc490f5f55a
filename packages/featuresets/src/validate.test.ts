import { isMcpmuxError, type McpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { featureSets } from '../test/fixtures.js';
import {
  assertValidFeatureSets,
  type FeatureSet,
  findCycle,
  type Member,
  validateFeatureSets,
} from './index.js';

const ref = (id: string, mode: Member['mode'] = 'include'): Member => ({
  mode,
  selector: { type: 'featureSet', id },
});
const custom = (id: string, ...members: Member[]): FeatureSet => ({ id, name: id, kind: 'custom', members });

function thrown(sets: FeatureSet[]): McpmuxError {
  try {
    assertValidFeatureSets(sets);
  } catch (e) {
    if (isMcpmuxError(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('validateFeatureSets', () => {
  it('finds no problem in the role-based fixture sets', () => {
    expect(validateFeatureSets(featureSets)).toEqual([]);
    expect(() => assertValidFeatureSets(featureSets)).not.toThrow();
    expect(findCycle(featureSets)).toBeUndefined();
  });

  it('reports a cycle with its path of set ids, through include and exclude members', () => {
    const sets = [custom('c', ref('a', 'exclude')), custom('a', ref('b')), custom('b', ref('c'))];
    expect(findCycle(sets)).toEqual(['a', 'b', 'c', 'a']);
    expect(validateFeatureSets(sets)).toEqual([
      {
        code: 'CYCLE',
        path: ['a', 'b', 'c', 'a'],
        message: 'FeatureSets form a cycle: a -> b -> c -> a. Remove one of these set members.',
      },
    ]);
    const err = thrown(sets);
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('a -> b -> c -> a');
    expect(err.data?.path).toEqual(['a', 'b', 'c', 'a']);
  });

  it('reports a set that includes itself as a cycle', () => {
    expect(findCycle([custom('a', ref('a'))])).toEqual(['a', 'a']);
  });

  it('reports an unknown set id with the set that references it', () => {
    const problems = validateFeatureSets([custom('dev', ref('read-only'), ref('ghost', 'exclude'))]);
    expect(problems.map((p) => p.code)).toEqual(['UNKNOWN_SET', 'UNKNOWN_SET']);
    expect(problems[1]).toMatchObject({
      setId: 'ghost',
      referencedBy: 'dev',
      memberIndex: 1,
      mode: 'exclude',
    });
    const err = thrown([custom('dev', ref('ghost'))]);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.data?.field).toBe('dev.members.0');
    expect(err.message).toBe('FeatureSet "dev" includes set "ghost", which does not exist.');
  });

  it('reports a server-all set without a server', () => {
    const sets: FeatureSet[] = [{ id: 'server-all:x', name: 'x', kind: 'server-all', members: [] }];
    expect(validateFeatureSets(sets)).toMatchObject([
      { code: 'SERVER_ALL_WITHOUT_SERVER', setId: 'server-all:x' },
    ]);
    expect(thrown(sets)).toMatchObject({ code: 'INVALID_INPUT', data: { field: 'server-all:x.server' } });
  });

  it('reports duplicate members and duplicate set ids as conflicts', () => {
    const readOnly: Member = { mode: 'include', selector: { type: 'annotation', readOnly: true } };
    const dupMember = [
      custom(
        'a',
        readOnly,
        { mode: 'exclude', selector: { type: 'annotation', readOnly: true } },
        { ...readOnly },
      ),
    ];
    expect(validateFeatureSets(dupMember)).toMatchObject([
      { code: 'DUPLICATE_MEMBER', setId: 'a', memberIndex: 2 },
    ]);
    expect(thrown(dupMember).code).toBe('CONFLICT');
    const dupIds = [custom('a'), custom('a'), custom('b')];
    expect(validateFeatureSets(dupIds)).toMatchObject([{ code: 'DUPLICATE_SET_ID', setId: 'a', count: 2 }]);
    expect(thrown(dupIds)).toMatchObject({ code: 'CONFLICT', data: { field: 'a.id' } });
  });

  it('lists every problem in the thrown error and counts the rest in its message', () => {
    const err = thrown([custom('a', ref('a'), ref('ghost'))]);
    expect(err.message).toContain('(1 more problem(s))');
    expect(err.data).toMatchObject({ problems: [{ code: 'UNKNOWN_SET' }, { code: 'CYCLE' }] });
  });
});
