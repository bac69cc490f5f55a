import type { z } from 'zod';
import { McpmuxError } from './errors.js';

/**
 * Parses `value` with `schema`, or throws an `INVALID_INPUT` {@link McpmuxError} whose message names
 * the first failing field (prefixed by `what`) and the rule it broke. `data.field` holds the dotted path.
 *
 * @example
 * ```ts
 * const id = parseOrThrow(SlugSchema, 'Work', 'space id'); // throws: space id: use lowercase letters...
 * ```
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = path === '' ? what : `${what}.${path}`;
  throw new McpmuxError('INVALID_INPUT', `${field}: ${issue?.message ?? 'invalid value'}`, {
    data: { field },
  });
}
