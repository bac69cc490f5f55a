import { describe, expect, it } from 'vitest';
import { checkAlias, checkSlug, isMcpmuxError, parseOrThrow } from './index.js';
import { AliasSchema, SlugSchema } from './schemas.js';

/** What a check throws (message and data), or the value it returned. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (err) {
    if (!isMcpmuxError(err, 'INVALID_INPUT')) throw err;
    return { message: err.message, data: err.data };
  }
}

const VALUES: unknown[] = [
  'work',
  'client-alpha',
  '0day',
  '-lead',
  'trail-',
  'Work',
  'a b',
  '😀'.repeat(40),
  '😀'.repeat(70),
  'a'.repeat(60) + '😀'.repeat(10),
  'é',
  '',
  'a'.repeat(24),
  'a'.repeat(25),
  'a'.repeat(64),
  'a'.repeat(65),
  'A'.repeat(70),
  '-'.repeat(30),
  'under_score',
  42,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  new Date(0),
  new Map(),
  Object.create(null),
  new (class Foo {})(),
  Symbol('s'),
  () => 1,
  null,
  undefined,
  true,
  ['work'],
  { id: 'work' },
  10n,
];

describe('the id rules without zod', () => {
  it('checkSlug answers exactly as parseOrThrow(SlugSchema) does, message and field', () => {
    for (const [i, value] of VALUES.entries()) {
      expect(
        outcome(() => checkSlug(value, 'space id')),
        `VALUES[${i}]`,
      ).toEqual(outcome(() => parseOrThrow(SlugSchema, value, 'space id')));
    }
  });

  it('checkAlias answers exactly as parseOrThrow(AliasSchema) does, message and field', () => {
    for (const [i, value] of VALUES.entries()) {
      expect(
        outcome(() => checkAlias(value, 'alias')),
        `VALUES[${i}]`,
      ).toEqual(outcome(() => parseOrThrow(AliasSchema, value, 'alias')));
    }
  });

  it('names the rule broken and what to use instead', () => {
    expect(() => checkSlug('Work', 'space id')).toThrowError(
      'space id: use lowercase letters, digits and "-" (start with a letter or digit)',
    );
    expect(() => checkAlias('a'.repeat(25), 'alias')).toThrowError('alias: must be at most 24 characters');
  });
});
