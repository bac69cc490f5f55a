import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveGlob } from '../../test/reference-model.js';
import { compileGlob, literalPrefix } from './glob.js';

describe('compileGlob', () => {
  it('agrees with a recursive code-point matcher on random patterns and values', () => {
    const unit = fc.constantFrom('a', 'b', '.', '*', '?', '😀', '\n', '(');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 6 }), fc.string({ unit, maxLength: 8 }), (pattern, value) => {
        expect(compileGlob(pattern).test(value)).toBe(naiveGlob(pattern, value));
      }),
      { numRuns: 1000 },
    );
  });

  it('reports the literal prefix that bounds a name search', () => {
    expect(literalPrefix('delete_*')).toBe('delete_');
    expect(literalPrefix('a?b*')).toBe('a');
    expect(literalPrefix('*x')).toBe('');
    expect(literalPrefix('plain')).toBe('plain');
  });
});
