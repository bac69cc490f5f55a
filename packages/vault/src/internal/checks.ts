// The vault's input rules checked by hand, so that opening, unlocking, `get`, `set`, `list` and config
// resolution load no zod (~100 ms at every short command). The zod schemas of the same rules are in
// `../schemas.ts` (`@mcpmux/vault/schemas`); checks.test.ts holds the two equal, message and field.
//
// Each check mirrors how zod 4 parses the schema: it collects the issues zod would (path, message,
// and whether the issue aborts), so a union picks the same option zod does and the first issue is
// the one `parseOrThrow` reports.
import { McpmuxError, receivedTypeName, slugProblem } from '@mcpmux/core';
import type { DataKeyScope, ScryptParams, SecretListFilter, SecretScope } from '../types.js';

/** The pattern of a secret name: an ASCII letter or `_`, then up to 127 letters, digits, `_`, `.`, `-`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
/** The rule a malformed secret name breaks. */
export const SECRET_NAME_MESSAGE =
  'use 1-128 ASCII letters, digits, "_", "." or "-", starting with a letter or "_"';

/** The scrypt cost bounds of {@link ScryptParams}. */
export const SCRYPT_BOUNDS = {
  N: { min: 1024, max: 2 ** 20 },
  r: { min: 1, max: 32 },
  p: { min: 1, max: 16 },
  saltMinLength: 22,
} as const;

/** One problem, as zod reports it: where (a path below the checked value), what, and whether it aborts. */
interface Issue {
  path: string[];
  message: string;
  /** zod's `continue !== true`: a union skips an option with an aborting issue. */
  abort: boolean;
}

const NONE: Issue[] = [];

const invalidType = (expected: string, value: unknown): Issue => ({
  path: [],
  message: `Invalid input: expected ${expected}, received ${receivedTypeName(value)}`,
  abort: true,
});

const problem = (message: string): Issue => ({ path: [], message, abort: false });

/** `SlugSchema` of `@mcpmux/core`: its first broken rule (the only one a caller reports). */
function slugIssues(value: unknown): Issue[] {
  if (typeof value !== 'string') return [invalidType('string', value)];
  const found = slugProblem(value);
  return found === undefined ? NONE : [problem(found)];
}

function secretNameIssues(value: unknown): Issue[] {
  if (typeof value !== 'string') return [invalidType('string', value)];
  return SECRET_NAME_PATTERN.test(value) ? NONE : [problem(SECRET_NAME_MESSAGE)];
}

const literalTrueIssues = (value: unknown): Issue[] =>
  value === true ? NONE : [{ path: [], message: 'Invalid input: expected true', abort: true }];

const booleanIssues = (value: unknown): Issue[] =>
  typeof value === 'boolean' ? NONE : [invalidType('boolean', value)];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Field {
  key: string;
  check: (value: unknown) => Issue[];
  optional?: boolean;
}

/**
 * A strict `z.object` of `fields`: each field in order (an optional one only when its key is present
 * and not undefined), then one issue naming every key not in the shape (own or inherited, as
 * `for...in` finds them). Returns the issues and, when there are none, the parsed copy.
 */
function strictObject(value: unknown, fields: readonly Field[]): { issues: Issue[]; output?: object } {
  if (!isObject(value)) return { issues: [invalidType('object', value)] };
  let issues = NONE;
  const output: Record<string, unknown> = {};
  for (const { key, check, optional } of fields) {
    const present = key in value;
    if (optional === true && !present) continue;
    const field = value[key];
    const found = optional === true && field === undefined ? NONE : check(field);
    if (found.length > 0) {
      if (issues === NONE) issues = [];
      for (const issue of found) issues.push({ ...issue, path: [key, ...issue.path] });
    } else if (present) {
      output[key] = field;
    }
  }
  const unrecognized: string[] = [];
  for (const key in value) if (!fields.some((f) => f.key === key)) unrecognized.push(key);
  if (unrecognized.length > 0) {
    if (issues === NONE) issues = [];
    const keys = unrecognized.map((k) => `"${k}"`).join(', ');
    issues.push(problem(`Unrecognized key${unrecognized.length > 1 ? 's' : ''}: ${keys}`));
  }
  return issues.length > 0 ? { issues } : { issues, output };
}

/**
 * A `z.union` of strict objects: the first option without issues wins; else the issues of the only
 * option that did not abort, if exactly one did not; else one "Invalid input" for the whole value.
 */
function union(value: unknown, options: readonly (readonly Field[])[]): { issues: Issue[]; output?: object } {
  const results = [];
  for (const option of options) {
    const result = strictObject(value, option);
    if (result.issues.length === 0) return result;
    results.push(result);
  }
  const going = results.filter((r) => !r.issues.some((issue) => issue.abort));
  if (going.length === 1) return going[0]!;
  return { issues: [{ path: [], message: 'Invalid input', abort: true }] };
}

/** Throws the `INVALID_INPUT` error `parseOrThrow(schema, value, what)` throws for the first issue. */
function fail(issue: Issue, what: string): never {
  const field = issue.path.length === 0 ? what : `${what}.${issue.path.join('.')}`;
  throw new McpmuxError('INVALID_INPUT', `${field}: ${issue.message}`, { data: { field } });
}

function checked<T>(result: { issues: Issue[]; output?: object }, what: string): T {
  const [first] = result.issues;
  if (first !== undefined) fail(first, what);
  return result.output as T;
}

const SPACE_SCOPE: readonly Field[] = [
  { key: 'spaceId', check: slugIssues },
  { key: 'serverId', check: slugIssues },
];
const GLOBAL_SCOPE: readonly Field[] = [
  { key: 'global', check: literalTrueIssues },
  { key: 'serverId', check: slugIssues },
];
const SPACE_KEY_SCOPE: readonly Field[] = [{ key: 'spaceId', check: slugIssues }];
const GLOBAL_KEY_SCOPE: readonly Field[] = [{ key: 'global', check: literalTrueIssues }];
const LIST_FILTER: readonly Field[] = [
  { key: 'spaceId', check: slugIssues, optional: true },
  { key: 'serverId', check: slugIssues, optional: true },
  { key: 'global', check: booleanIssues, optional: true },
];

/** Returns `value` when it is a secret name, or throws what `parseOrThrow(SecretNameSchema, value, what)` throws. */
export function checkSecretName(value: unknown, what: string): string {
  const [first] = secretNameIssues(value);
  if (first !== undefined) fail(first, what);
  return value as string;
}

/** True when `value` is a well-formed secret name (what `SecretNameSchema` accepts). */
export function isSecretName(value: string): boolean {
  return SECRET_NAME_PATTERN.test(value);
}

/** The parsed scope, or throws what `parseOrThrow(SecretScopeSchema, value, what)` throws. */
export function checkSecretScope(value: unknown, what: string): SecretScope {
  return checked(union(value, [SPACE_SCOPE, GLOBAL_SCOPE]), what);
}

/** The parsed data-key scope, or throws what `parseOrThrow(DataKeyScopeSchema, value, what)` throws. */
export function checkDataKeyScope(value: unknown, what: string): DataKeyScope {
  return checked(union(value, [SPACE_KEY_SCOPE, GLOBAL_KEY_SCOPE]), what);
}

/** The parsed filter, or throws what `parseOrThrow(SecretListFilterSchema, value, what)` throws. */
export function checkSecretListFilter(value: unknown, what: string): SecretListFilter {
  return checked(strictObject(value, LIST_FILTER), what);
}

/** A `z.number().int().min(min).max(max)`: its first issue, if any. */
function intIssues(value: unknown, min: number, max: number): Issue[] {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [invalidType('number', value)];
  if (!Number.isInteger(value)) return [invalidType('int', value)];
  if (!Number.isSafeInteger(value)) {
    return [
      value > 0
        ? problem(`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`)
        : problem(`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`),
    ];
  }
  if (value < min) return [problem(`Too small: expected number to be >=${min}`)];
  if (value > max) return [problem(`Too big: expected number to be <=${max}`)];
  return NONE;
}

const SCRYPT: readonly Field[] = [
  {
    key: 'algorithm',
    check: (v) =>
      v === 'scrypt' ? NONE : [{ path: [], message: 'Invalid input: expected "scrypt"', abort: true }],
  },
  {
    key: 'N',
    check: (v) => {
      const found = intIssues(v, SCRYPT_BOUNDS.N.min, SCRYPT_BOUNDS.N.max);
      if (found.length > 0) return found;
      const n = v as number;
      return (n & (n - 1)) === 0 ? NONE : [problem('must be a power of two')];
    },
  },
  { key: 'r', check: (v) => intIssues(v, SCRYPT_BOUNDS.r.min, SCRYPT_BOUNDS.r.max) },
  { key: 'p', check: (v) => intIssues(v, SCRYPT_BOUNDS.p.min, SCRYPT_BOUNDS.p.max) },
  {
    key: 'salt',
    check: (v) => {
      if (typeof v !== 'string') return [invalidType('string', v)];
      const min = SCRYPT_BOUNDS.saltMinLength;
      return [...v].length >= min
        ? NONE
        : [problem(`Too small: expected string to have >=${min} characters`)];
    },
  },
];

/** The parsed KDF parameters, or `undefined` when `value` is not what `ScryptParamsSchema` accepts. */
export function scryptParamsOf(value: unknown): ScryptParams | undefined {
  const result = strictObject(value, SCRYPT);
  return result.issues.length === 0 ? (result.output as ScryptParams) : undefined;
}

/** The parsed KDF parameters, or throws what `parseOrThrow(ScryptParamsSchema, value, what)` throws. */
export function checkScryptParams(value: unknown, what: string): ScryptParams {
  return checked(strictObject(value, SCRYPT), what);
}
