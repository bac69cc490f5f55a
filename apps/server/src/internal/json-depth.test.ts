import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, jsonDepth } from './json-depth.js';

/** The reference: nesting depth of a parsed JSON value, by recursion. */
function naiveDepth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(naiveDepth));
  if (typeof value === 'object' && value !== null) {
    return 1 + Math.max(0, ...Object.values(value).map(naiveDepth));
  }
  return 0;
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('jsonDepth', () => {
  it('counts nested arrays and objects, and nothing for scalars', () => {
    expect(jsonDepth(bytes('1'))).toBe(0);
    expect(jsonDepth(bytes('"x"'))).toBe(0);
    expect(jsonDepth(bytes('[]'))).toBe(1);
    expect(jsonDepth(bytes('{}'))).toBe(1);
    expect(jsonDepth(bytes('[{"a":[]}]'))).toBe(3);
    expect(jsonDepth(bytes('[[1],[[2]],3]'))).toBe(3);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonDepth(bytes('{"a":"[[[{{{"}'))).toBe(1);
    expect(jsonDepth(bytes('["\\"[[[", "\\\\", []]'))).toBe(2);
    expect(jsonDepth(bytes('["\\u005b\\u007b"]'))).toBe(1);
    expect(jsonDepth(bytes('{"k[{":"v]}"}'))).toBe(1);
  });

  it('reads UTF-8 text with multi-byte characters and a BOM', () => {
    expect(jsonDepth(bytes('\ufeff[{"é😀":["ü"]}]'))).toBe(3);
  });

  it('stops one level past the limit, however deep the text goes', () => {
    const deep = bytes(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    expect(jsonDepth(deep, 64)).toBe(65);
    expect(exceedsJsonDepth(deep, 64)).toBe(true);
    expect(jsonDepth(deep)).toBe(1_000_000);
  });

  it('accepts depth exactly at the limit and rejects one more, for arrays and objects', () => {
    const arrays = (n: number) => bytes(`${'['.repeat(n)}${']'.repeat(n)}`);
    const objects = (n: number) => bytes(`${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`);
    for (const make of [arrays, objects]) {
      expect(exceedsJsonDepth(make(64), 64)).toBe(false);
      expect(exceedsJsonDepth(make(65), 64)).toBe(true);
    }
  });

  it('never throws on text that is not JSON', () => {
    for (const text of ['', ']]]]', '"unterminated [[[', '[[[', '\\', '"\\']) {
      expect(() => jsonDepth(bytes(text))).not.toThrow();
    }
    expect(jsonDepth(bytes(']][['))).toBe(2);
  });

  it('agrees with a recursive depth on random JSON, strings with brackets and escapes included', () => {
    const text = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', '😀', '\n') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(text, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.oneof(value, fc.jsonValue()), fc.integer({ min: 0, max: 12 }), (v, limit) => {
        const b = bytes(JSON.stringify(v));
        const d = naiveDepth(v);
        expect(jsonDepth(b)).toBe(d);
        expect(jsonDepth(b, limit)).toBe(d > limit ? limit + 1 : d);
        expect(exceedsJsonDepth(b, limit)).toBe(d > limit);
      }),
      { numRuns: 2000 },
    );
  });
});
