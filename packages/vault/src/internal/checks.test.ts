// The hand-written checks answer exactly as `parseOrThrow` with the zod schemas of
// `@mcpmux/vault/schemas` does: the same parsed value, or the same message and `data.field`.
import { isDeepStrictEqual } from 'node:util';
import { checkSlug, isMcpmuxError, parseOrThrow } from '@mcpmux/core';
import { SlugSchema } from '@mcpmux/core/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  DataKeyScopeSchema,
  ScryptParamsSchema,
  SecretListFilterSchema,
  SecretNameSchema,
  SecretScopeSchema,
} from '../schemas.js';
import {
  checkDataKeyScope,
  checkScryptParams,
  checkSecretListFilter,
  checkSecretName,
  checkSecretScope,
  isSecretName,
  scryptParamsOf,
} from './checks.js';

/** What a check throws (message and data), or the value it returned. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (err) {
    if (!isMcpmuxError(err, 'INVALID_INPUT')) throw err;
    return { message: err.message, data: err.data };
  }
}

/** The inputs on which `check` and `parseOrThrow(schema)` answer differently (with both answers). */
function differences(
  schema: z.ZodType,
  check: (value: unknown, what: string) => unknown,
  values: Iterable<unknown>,
): unknown[] {
  const found: unknown[] = [];
  for (const value of values) {
    const mine = outcome(() => check(value, 'input'));
    const zods = outcome(() => parseOrThrow(schema, value, 'input'));
    if (!isDeepStrictEqual(mine, zods)) found.push({ value, mine, zods });
  }
  return found;
}

class Custom {
  spaceId = 'work';
  serverId = 'github';
}

/** Values that are no plain object: primitives, arrays, class instances, null-prototype objects. */
const OTHERS: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  42,
  -0,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  10n,
  Symbol('s'),
  '',
  'work',
  [],
  ['work'],
  {},
  new Date(0),
  new Map([['spaceId', 'work']]),
  new Custom(),
  Object.create(null),
  () => 'work',
];

/** Slug candidates: valid, each rule broken, lengths measured in code points, and non-strings. */
const SLUGS: unknown[] = [
  'work',
  'a',
  '0day',
  'client-alpha',
  '-lead',
  'Work',
  'a b',
  'é',
  '',
  'a'.repeat(64),
  'a'.repeat(65),
  '😀'.repeat(40),
  '😀'.repeat(10),
  `${'a'.repeat(60)}😀😀😀`,
  `${'a'.repeat(64)}\n`,
  'under_score',
  42,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  null,
  true,
  ['work'],
  new Date(0),
  new Custom(),
  Object.create(null),
];

const ABSENT = Symbol('absent');

/** Every object with each of `keys` absent or holding each of its candidate values. */
function* objects(candidates: Record<string, readonly unknown[]>): Generator<Record<string, unknown>> {
  const keys = Object.keys(candidates);
  function* build(i: number, acc: Record<string, unknown>): Generator<Record<string, unknown>> {
    if (i === keys.length) {
      yield { ...acc };
      return;
    }
    const key = keys[i]!;
    for (const value of [ABSENT, ...candidates[key]!]) {
      const next = { ...acc };
      if (value !== ABSENT) next[key] = value;
      yield* build(i + 1, next);
    }
  }
  yield* build(0, {});
}

/** Objects whose keys are inherited or oddly named, which zod reads with `in` and `for...in`. */
function oddObjects(own: Record<string, unknown>): unknown[] {
  const inherited = Object.assign(Object.create({ spaceId: 'work', global: true }), own);
  const nullProto = Object.assign(Object.create(null), own);
  const withProtoKey = { ...own, ['__proto__']: 1 };
  const withConstructor = Object.assign(Object.create(null), { ...own, constructor: 'x' });
  return [inherited, nullProto, withProtoKey, withConstructor, JSON.parse(JSON.stringify(own))];
}

const EXTRA = [1, undefined];
const GLOBAL = [true, false, 'true', 1, undefined];

describe('the vault checks without zod', () => {
  it('checkSlug answers as parseOrThrow(SlugSchema) does', () => {
    expect(differences(SlugSchema, checkSlug, [...SLUGS, ...OTHERS])).toEqual([]);
  });

  it('checkSecretName answers as parseOrThrow(SecretNameSchema) does', () => {
    const names = [
      'GITHUB_TOKEN',
      'api_key',
      '_x',
      'a.b-c',
      'A'.repeat(128),
      'A'.repeat(129),
      '1TOKEN',
      '../x',
      'a b',
      'a\0',
      'TOKEN\n',
      'ТOKEN',
      '',
      '.x',
      ...OTHERS,
    ];
    expect(differences(SecretNameSchema, checkSecretName, names)).toEqual([]);
    for (const name of names.filter((n): n is string => typeof n === 'string')) {
      expect(isSecretName(name), name).toBe(SecretNameSchema.safeParse(name).success);
    }
  });

  it('checkSecretScope answers as parseOrThrow(SecretScopeSchema) does', () => {
    const values = [
      ...objects({ spaceId: SLUGS, serverId: SLUGS, global: GLOBAL, extra: EXTRA }),
      ...oddObjects({ serverId: 'github' }),
      ...oddObjects({ spaceId: 'work', serverId: 'github' }),
      ...OTHERS,
    ];
    expect(values.length).toBeGreaterThan(5000);
    expect(differences(SecretScopeSchema, checkSecretScope, values)).toEqual([]);
  });

  it('checkDataKeyScope answers as parseOrThrow(DataKeyScopeSchema) does', () => {
    const values = [
      ...objects({ spaceId: SLUGS, global: GLOBAL, serverId: ['github', 5], extra: EXTRA }),
      ...oddObjects({}),
      ...oddObjects({ global: true }),
      ...OTHERS,
    ];
    expect(differences(DataKeyScopeSchema, checkDataKeyScope, values)).toEqual([]);
  });

  it('checkSecretListFilter answers as parseOrThrow(SecretListFilterSchema) does', () => {
    const values = [
      ...objects({ spaceId: SLUGS, serverId: SLUGS, global: GLOBAL, extra: EXTRA }),
      ...oddObjects({}),
      ...oddObjects({ serverId: 'github' }),
      ...OTHERS,
    ];
    expect(differences(SecretListFilterSchema, checkSecretListFilter, values)).toEqual([]);
  });

  it('checkScryptParams and scryptParamsOf answer as ScryptParamsSchema does', () => {
    const N = [1024, 2 ** 20, 2 ** 21, 512, 3000, 1024.5, 2 ** 60, -(2 ** 60), Number.NaN];
    const small = (max: number) => [max, max + 1, 0, 2.5, Number.POSITIVE_INFINITY, '8'];
    const values = [
      ...objects({
        algorithm: ['scrypt', 'Scrypt', 1],
        N,
        r: small(32),
        p: small(16),
        salt: ['a'.repeat(22), 'a'.repeat(21), '😀'.repeat(21), 22],
        extra: [1],
      }),
      ...oddObjects({ algorithm: 'scrypt', N: 1024, r: 8, p: 1, salt: 'a'.repeat(22) }),
      ...OTHERS,
    ];
    expect(values.length).toBeGreaterThan(10_000);
    expect(differences(ScryptParamsSchema, checkScryptParams, values)).toEqual([]);
    const mismatched = values.filter((value) => {
      const zods = ScryptParamsSchema.safeParse(value);
      return !isDeepStrictEqual(scryptParamsOf(value), zods.success ? zods.data : undefined);
    });
    expect(mismatched).toEqual([]);
  });

  it('every check answers as its schema does on arbitrary values', () => {
    const pairs: [z.ZodType, (value: unknown, what: string) => unknown][] = [
      [SlugSchema, checkSlug],
      [SecretNameSchema, checkSecretName],
      [SecretScopeSchema, checkSecretScope],
      [DataKeyScopeSchema, checkDataKeyScope],
      [SecretListFilterSchema, checkSecretListFilter],
      [ScryptParamsSchema, checkScryptParams],
    ];
    const keyed = fc.dictionary(
      fc.constantFrom('spaceId', 'serverId', 'global', 'algorithm', 'N', 'r', 'p', 'salt', 'x', '__proto__'),
      fc.oneof(fc.anything(), fc.string(), fc.constantFrom('work', true, 1024, 'scrypt')),
      { noNullPrototype: false },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.anything({ withNullPrototype: true, withBoxedValues: true }), keyed),
        (value) => {
          for (const [schema, check] of pairs) expect(differences(schema, check, [value])).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the field and the rule broken', () => {
    expect(() => checkSecretScope({ spaceId: 'work', serverId: 'GitHub' }, 'secret scope')).toThrowError(
      'secret scope.serverId: use lowercase letters, digits and "-" (start with a letter or digit)',
    );
    expect(() => checkSecretListFilter({ space: 'work' }, 'secret filter')).toThrowError(
      'secret filter: Unrecognized key: "space"',
    );
  });
});
