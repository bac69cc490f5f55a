import { isMcpmuxError, parseOrThrow } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ListDiscoveredOptionsSchema } from '../../types.js';
import { SetIdSchema } from '../input-schemas.js';
import { checkBool, checkListDiscoveredOptions, checkSetId } from './input.js';

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
  'all',
  'default',
  'server-all:memory',
  'server-all:',
  'server-all:Memory',
  'server-all',
  'readonly',
  'read-only-2',
  '-x',
  'Read',
  'a b',
  '😀'.repeat(40),
  '😀'.repeat(70),
  '😀'.repeat(150),
  '😀'.repeat(250),
  'a'.repeat(60) + '😀'.repeat(10),
  '',
  'a'.repeat(200),
  'a'.repeat(201),
  'server-all:'.padEnd(240, 'x'),
  'all:x',
  42,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  new Date(0),
  Object.create(null),
  new (class Foo {})(),
  Symbol('s'),
  null,
  undefined,
  true,
  false,
  ['all'],
  { id: 'all' },
  0n,
];

describe('the store argument checks without zod', () => {
  it('checkSetId answers exactly as the zod SetIdSchema does, message and field', () => {
    for (const [i, value] of VALUES.entries()) {
      expect(
        outcome(() => checkSetId(value, 'set id')),
        `VALUES[${i}]`,
      ).toEqual(outcome(() => parseOrThrow(SetIdSchema, value, 'set id')));
    }
  });

  it('checkBool answers exactly as z.boolean() does', () => {
    for (const [i, value] of VALUES.entries()) {
      expect(
        outcome(() => checkBool(value, 'enabled')),
        `VALUES[${i}]`,
      ).toEqual(outcome(() => parseOrThrow(z.boolean(), value, 'enabled')));
    }
  });

  it('checkListDiscoveredOptions answers exactly as ListDiscoveredOptionsSchema does', () => {
    const options: unknown[] = [
      ...VALUES,
      {},
      { serverId: 'memory' },
      { availableOnly: true },
      { serverId: 'memory', availableOnly: false, extra: 1 },
      { serverId: 'Memory' },
      { serverId: 7 },
      { availableOnly: 'yes' },
      { serverId: '', availableOnly: 'yes' },
      { serverId: undefined, availableOnly: undefined },
      new Date(0),
      new Map(),
    ];
    for (const value of options) {
      expect(
        outcome(() => checkListDiscoveredOptions(value, 'options')),
        `options[${options.indexOf(value)}]`,
      ).toEqual(outcome(() => parseOrThrow(ListDiscoveredOptionsSchema, value, 'options')));
    }
  });
});
