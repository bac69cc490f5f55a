/**
 * Every error code mcpmux raises. Codes are stable strings: branch on them, never on messages.
 *
 * - `INVALID_INPUT`: a value failed validation; `data.field` names the field.
 * - `NOT_FOUND`: a referenced entity does not exist; `data.entity` and `data.id` say which.
 * - `CONFLICT`: the write would break a uniqueness or consistency rule (duplicate id or alias, a cycle).
 * - `FORBIDDEN`: the operation is not allowed on this entity (editing a built-in set, deleting the active Space).
 * - `VAULT_LOCKED`: the vault's master key is missing or wrong; nothing was decrypted.
 * - `SECRET_MISSING`: a `${secret:NAME}` reference has no value in its scope.
 * - `UPSTREAM_UNAVAILABLE`: an upstream MCP server is not connected (starting, crashed, circuit open).
 * - `UPSTREAM_TIMEOUT`: an upstream call took longer than its timeout and was cancelled.
 * - `UNAUTHORIZED`: no valid access key.
 * - `INTERNAL`: a bug; the message carries no detail that could leak data.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'VAULT_LOCKED',
  'SECRET_MISSING',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options for {@link McpmuxError}. */
export interface McpmuxErrorOptions {
  /** Structured, non-secret details for programs (`field`, `entity`, `id`, `path`...). */
  data?: Record<string, unknown>;
  /** The underlying error, kept for debugging; never shown to MCP clients. */
  cause?: unknown;
}

/**
 * The one error type of mcpmux. `code` is for programs, `message` is for people and says what to do.
 * Messages never contain secret values.
 *
 * @example
 * ```ts
 * throw new McpmuxError('NOT_FOUND', 'Space "work" does not exist. Run `mcpmux space list`.', {
 *   data: { entity: 'space', id: 'work' },
 * });
 * ```
 */
export class McpmuxError extends Error {
  override readonly name = 'McpmuxError';
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: McpmuxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
  }

  /** A plain object for `--json` output and logs: code, message and data, never the cause or stack. */
  toJSON(): { code: ErrorCode; message: string; data?: Record<string, unknown> } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * True when `value` is an {@link McpmuxError}, optionally with the given code. Works across
 * duplicated copies of this package by checking the shape, not the prototype.
 */
export function isMcpmuxError(value: unknown, code?: ErrorCode): value is McpmuxError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  if (v.name !== 'McpmuxError' || typeof v.code !== 'string') return false;
  return code === undefined || v.code === code;
}
