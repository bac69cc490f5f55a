// `SelectorSchema` checked by hand, so that `formatSelector` and `parseSelector` (and with them the
// `@mcpmux/featuresets/resolver` entry) load no zod. It reports the first issue zod would report, with
// the same path and message; selector-check.test.ts holds the two equal over many inputs.
import { receivedTypeName } from '@mcpmux/core';
import type { FeatureKind } from '../schemas.js';
import { KINDS } from './kinds.js';

/** The first rule a value breaks as a selector: where (`['server']`, `[]` for the value itself) and why. */
export interface SelectorIssue {
  readonly path: readonly string[];
  readonly message: string;
}

const SELECTOR_TYPES = ['feature', 'server', 'featureSet', 'annotation'];
const DISCRIMINATOR_MESSAGE = `Invalid discriminator value. Expected ${SELECTOR_TYPES.map((t) => `'${t}'`).join(' | ')}`;
const KIND_MESSAGE = `Invalid option: expected one of ${KINDS.map((k) => `"${k}"`).join('|')}`;
const EMPTY_MESSAGE = 'must not be empty';
const SERVER_PATTERN = /^[^/:]*$/;
const SERVER_PATTERN_MESSAGE = 'must not contain "/" or ":"';

/** Whether `value` is one of the three feature kinds (what `FeatureKindSchema` accepts). */
export function isFeatureKind(value: unknown): value is FeatureKind {
  return value === 'tool' || value === 'prompt' || value === 'resource';
}

function typeIssue(key: string | undefined, expected: string, value: unknown): SelectorIssue {
  return {
    path: key === undefined ? [] : [key],
    message: `Invalid input: expected ${expected}, received ${receivedTypeName(value)}`,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `z.string().min(1, …)`, plus the server pattern when `server`. */
function stringIssue(
  input: Record<string, unknown>,
  key: string,
  server: boolean,
): SelectorIssue | undefined {
  const value = input[key];
  if (typeof value !== 'string') return typeIssue(key, 'string', value);
  if (value.length < 1) return { path: [key], message: EMPTY_MESSAGE };
  if (server && !SERVER_PATTERN.test(value)) return { path: [key], message: SERVER_PATTERN_MESSAGE };
  return undefined;
}

function kindIssue(
  input: Record<string, unknown>,
  key: string,
  optional: boolean,
): SelectorIssue | undefined {
  if (optional && !(key in input)) return undefined;
  return isFeatureKind(input[key]) ? undefined : { path: [key], message: KIND_MESSAGE };
}

function booleanIssue(input: Record<string, unknown>, key: string): SelectorIssue | undefined {
  if (!(key in input)) return undefined;
  const value = input[key];
  return typeof value === 'boolean' ? undefined : typeIssue(key, 'boolean', value);
}

/**
 * The first issue `SelectorSchema.safeParse(value)` reports (its `path` and `message`), or undefined
 * when `value` is a valid selector. Keys are checked in the schema's order; like zod, a key counts as
 * present when `key in value` and unknown keys are ignored.
 */
export function selectorIssue(value: unknown): SelectorIssue | undefined {
  if (!isObject(value)) return typeIssue(undefined, 'object', value);
  switch (value.type) {
    case 'feature':
      return (
        kindIssue(value, 'kind', false) ??
        stringIssue(value, 'server', true) ??
        stringIssue(value, 'name', false)
      );
    case 'server':
      return stringIssue(value, 'server', true) ?? kindIssue(value, 'kind', true);
    case 'featureSet':
      return stringIssue(value, 'id', false);
    case 'annotation':
      return booleanIssue(value, 'readOnly') ?? booleanIssue(value, 'destructive');
    default:
      return { path: ['type'], message: DISCRIMINATOR_MESSAGE };
  }
}
