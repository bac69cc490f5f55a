// The id rules, checked by hand so that `@mcpmux/core` loads no zod: a short-lived command (`mcpmux
// space list`) checks ids on every read and should not pay ~100 ms for a schema library. The zod
// schemas of the same rules are in `./schemas.ts` (`@mcpmux/core/schemas`); a test holds the two equal.
import { McpmuxError } from './errors.js';

/** The maximum length of a slug id. */
export const SLUG_MAX_LENGTH = 64;

/** The maximum length of an installation alias (the tool-name prefix). */
export const ALIAS_MAX_LENGTH = 24;

/**
 * A slug id: lowercase ASCII letters, digits and `-`, starting with a letter or digit, at most 64
 * characters. Used for Spaces, servers, clients and custom FeatureSets.
 */
export type Slug = string;

/** An installation alias, the prefix of exposed tool names: `[a-z0-9-]`, at most 24 characters. */
export type Alias = string;

/** The rule a slug breaks when it has a character outside `[a-z0-9-]` or starts with `-`. */
export const SLUG_PATTERN_MESSAGE = 'use lowercase letters, digits and "-" (start with a letter or digit)';
/** The rule an alias breaks when it has a character outside `[a-z0-9-]`. */
export const ALIAS_PATTERN_MESSAGE = 'use lowercase letters, digits and "-"';
/** The pattern of a slug id. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** The pattern of an alias. */
export const ALIAS_PATTERN = /^[a-z0-9-]+$/;

/**
 * How zod names the type of `value` in "expected string, received X": `null`, `array`, `NaN`,
 * `Infinity`, a class name (`Date`, `Map`), or `typeof`. Hand-written checks use it so that their
 * messages stay those of the zod schemas they stand for.
 */
export function receivedTypeName(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'number' : String(value);
  }
  if (typeof value === 'object') {
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'array';
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && 'constructor' in value && typeof value.constructor === 'function') {
      return value.constructor.name;
    }
  }
  return typeof value;
}

function problem(value: unknown, max: number, pattern: RegExp, patternMessage: string): string | undefined {
  if (typeof value !== 'string') return `Invalid input: expected string, received ${receivedTypeName(value)}`;
  if (value.length < 1) return 'must not be empty';
  // Characters as zod counts them (code points): 40 emoji are 80 UTF-16 units but 40 characters.
  if (value.length > max && [...value].length > max) return `must be at most ${max} characters`;
  if (!pattern.test(value)) return patternMessage;
  return undefined;
}

/** The first rule `value` breaks as a slug id (the message a client sees), or undefined when it is one. */
export function slugProblem(value: unknown): string | undefined {
  return problem(value, SLUG_MAX_LENGTH, SLUG_PATTERN, SLUG_PATTERN_MESSAGE);
}

/** The first rule `value` breaks as an alias, or undefined when it is one. */
export function aliasProblem(value: unknown): string | undefined {
  return problem(value, ALIAS_MAX_LENGTH, ALIAS_PATTERN, ALIAS_PATTERN_MESSAGE);
}

function check(found: string | undefined, value: unknown, what: string): string {
  if (found === undefined) return value as string;
  throw new McpmuxError('INVALID_INPUT', `${what}: ${found}`, { data: { field: what } });
}

/**
 * Returns `value` when it is a slug id, or throws the `INVALID_INPUT` {@link McpmuxError} that
 * `parseOrThrow(SlugSchema, value, what)` would: same message, same `data.field`, without zod.
 *
 * @example
 * ```ts
 * checkSlug('work', 'space id'); // 'work'
 * checkSlug('Work', 'space id'); // throws: space id: use lowercase letters, digits and "-" (...)
 * ```
 */
export function checkSlug(value: unknown, what: string): Slug {
  return check(slugProblem(value), value, what);
}

/** Like {@link checkSlug}, for an installation alias. */
export function checkAlias(value: unknown, what: string): Alias {
  return check(aliasProblem(value), value, what);
}
