import { isMcpmuxError } from '@mcpmux/core';
import { ProtocolErrorCode as ErrorCode, ProtocolError } from '@modelcontextprotocol/server';

/**
 * JSON-RPC error codes the gateway adds to the MCP ones (implementation-defined server-error range).
 * `UPSTREAM_UNAVAILABLE` also covers `SECRET_MISSING` and `VAULT_LOCKED`: the upstream cannot be
 * reached because its configuration cannot be completed.
 */
export const GatewayErrorCode = {
  /** The upstream server is not connected (starting, crashed, circuit open, removed). */
  UpstreamUnavailable: -32010,
  /** The upstream call took longer than its timeout and was cancelled. */
  UpstreamTimeout: -32001,
} as const;

const SDK_PREFIX = /^MCP error -?\d+: /;

/** An error that carries a JSON-RPC answer: the SDK's `ProtocolError` (either SDK major's). */
function isProtocolError(err: unknown): err is Error & { code: number; data?: unknown } {
  return (
    err instanceof ProtocolError ||
    (err instanceof Error &&
      err.name === 'McpError' &&
      Number.isSafeInteger((err as { code?: unknown }).code))
  );
}

function rpcError(code: number, message: string, data?: unknown): ProtocolError {
  const error = new ProtocolError(code, message, data);
  // The SDK prefixes messages with "MCP error <code>: " and sends `message` as is; the client adds
  // the prefix again. Keep the wire message clean.
  error.message = message;
  return error;
}

/** The parts of a zod issue the message is built from (zod 4's shape; duck-typed, no zod import). */
interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  values?: readonly unknown[];
  errors?: readonly (readonly SchemaIssue[])[];
}

/** A `ZodError` from any zod copy: `name` and `issues` are what every version has. */
function isSchemaError(err: unknown): err is Error & { issues: readonly SchemaIssue[] } {
  if (!(err instanceof Error) || err.name !== 'ZodError') return false;
  const issues: unknown = (err as { issues?: unknown }).issues;
  return Array.isArray(issues) && issues.length > 0;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]{0,39}$/;
const MAX_KEY_CHARS = 40;

/** `arguments.a`, `messages[0].role`, `arguments["a b"]`; relative to `params` (a request's params). */
function fieldName(path: readonly PropertyKey[]): string {
  const keys = path[0] === 'params' ? path.slice(1) : path;
  let out = '';
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else {
      const text = String(key);
      out += `[${JSON.stringify(text.length > MAX_KEY_CHARS ? `${text.slice(0, MAX_KEY_CHARS)}...` : text)}]`;
    }
  }
  return out === '' ? 'params' : out;
}

const TYPE_NAMES: Record<string, string> = {
  record: 'an object',
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  null: 'null',
};

/** What an `invalid_type` or `invalid_value` issue expects, in words; undefined for other issues. */
function expectation(issue: SchemaIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.expected !== undefined) {
    return TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
  }
  if (issue.code === 'invalid_value' && issue.values !== undefined && issue.values.length > 0) {
    const shown = issue.values.slice(0, 8).map((v) => JSON.stringify(v));
    if (issue.values.length > 8) shown.push('...');
    return shown.length === 1 ? String(shown[0]) : `one of ${shown.join(', ')}`;
  }
  return undefined;
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

/** One issue as "<field> must be <what>" (or "<field> is required (<what>)" when it is missing). */
function describeIssue(issue: SchemaIssue, prefix: readonly PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path];
  const field = fieldName(path);
  if (issue.code === 'invalid_union' && issue.errors !== undefined && issue.errors.length > 0) {
    // Each branch's first issue at the same place (a discriminator, a scalar type): merge them.
    const firsts = issue.errors.map((branch) => branch[0]);
    const first = firsts[0];
    const same = firsts.every((i) => i !== undefined && first !== undefined && samePath(i.path, first.path));
    const wanted = firsts.map((i) => (i === undefined ? undefined : expectation(i)));
    if (same && first !== undefined && wanted.every((w) => w !== undefined)) {
      return `${fieldName([...path, ...first.path])} must be ${[...new Set(wanted)].join(' or ')}`;
    }
    // Otherwise describe the branch that came closest (fewest problems).
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]?.[0];
    if (closest !== undefined) return describeIssue(closest, path);
    return `${field} does not match any accepted form`;
  }
  const wanted = expectation(issue);
  if (wanted !== undefined) {
    return issue.code === 'invalid_type' && /received undefined$/.test(issue.message)
      ? `${field} is required (${wanted})`
      : `${field} must be ${wanted}`;
  }
  return `${field}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** "Invalid params: name must be a string" from a request schema's `ZodError`: one line, first issue. */
function invalidParamsMessage(issues: readonly SchemaIssue[]): { message: string; field: string } {
  const first = issues[0] as SchemaIssue;
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return { message: `Invalid params: ${describeIssue(first)}${more}`, field: fieldName(first.path) };
}

const INVALID_PARAMS_CODES = new Set(['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT']);
const INVALID_REQUEST_CODES = new Set(['FORBIDDEN', 'UNAUTHORIZED']);
const UNAVAILABLE_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'SECRET_MISSING', 'VAULT_LOCKED']);

/**
 * Maps any thrown value to the MCP JSON-RPC error sent to a downstream client. The one place where
 * errors cross the gateway's boundary: no stack trace, cause or secret passes.
 *
 * - `ProtocolError` (the gateway's own, or an upstream's error relayed by the pool) keeps its code,
 *   message (without the SDK's `MCP error <code>: ` prefix) and data.
 * - A `ZodError` (a request's params failed the method's schema) -> -32602 with one line naming the
 *   first field and what it must be (`Invalid params: name must be a string`); `data` is
 *   `{ code: 'INVALID_INPUT', field }`. Never the raw issue list.
 * - `McpmuxError` maps by code: `UPSTREAM_UNAVAILABLE`, `SECRET_MISSING`, `VAULT_LOCKED` ->
 *   -32010 with the message (it names the server and its state); `UPSTREAM_TIMEOUT` -> -32001;
 *   `INVALID_INPUT`, `NOT_FOUND`, `CONFLICT` -> -32602; `FORBIDDEN`, `UNAUTHORIZED` -> -32600;
 *   anything else -> -32603 `Internal error`. `data` is `{ code, ...error.data }`.
 * - Anything else -> -32603 `Internal error`.
 *
 * @param err - any thrown value.
 * @returns the `ProtocolError` to throw from an SDK request handler (its `message` is sent as is).
 * @example
 * ```ts
 * server.setRequestHandler(CallToolRequestSchema, async (req) => {
 *   try {
 *     return await route(req);
 *   } catch (err) {
 *     throw toRpcError(err); // never leaks a stack or a secret
 *   }
 * });
 * ```
 */
export function toRpcError(err: unknown): ProtocolError {
  if (isProtocolError(err)) {
    return rpcError(err.code, err.message.replace(SDK_PREFIX, ''), err.data);
  }
  if (isSchemaError(err)) {
    const { message, field } = invalidParamsMessage(err.issues);
    return rpcError(ErrorCode.InvalidParams, message, { code: 'INVALID_INPUT', field });
  }
  if (isMcpmuxError(err)) {
    const data = { ...(err.data ?? {}), code: err.code };
    if (UNAVAILABLE_CODES.has(err.code))
      return rpcError(GatewayErrorCode.UpstreamUnavailable, err.message, data);
    if (err.code === 'UPSTREAM_TIMEOUT') return rpcError(GatewayErrorCode.UpstreamTimeout, err.message, data);
    if (INVALID_PARAMS_CODES.has(err.code)) return rpcError(ErrorCode.InvalidParams, err.message, data);
    if (INVALID_REQUEST_CODES.has(err.code)) return rpcError(ErrorCode.InvalidRequest, err.message, data);
  }
  return rpcError(ErrorCode.InternalError, 'Internal error');
}

/** The message of a thrown value (its string form when it is not an `Error`). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The code of a thrown value as the audit log and observations name it: a string `code`
 * (`McpmuxError`'s), a JSON-RPC error's number as a string, else `INTERNAL`.
 */
export function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  if (err instanceof Error && Number.isSafeInteger(code)) return String(code); // a JSON-RPC error
  return 'INTERNAL';
}

/**
 * The answer to a request for a feature the caller cannot see: a denied feature looks exactly like a
 * nonexistent one (`Unknown tool: <name>`, InvalidParams).
 */
export function unknownError(kind: string, name: string): ProtocolError {
  const data = kind === 'resource' ? { uri: name } : undefined;
  return toRpcError(new ProtocolError(ErrorCode.InvalidParams, `Unknown ${kind}: ${name}`, data));
}
