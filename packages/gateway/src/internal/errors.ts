import { isMcpmuxError } from '@mcpmux/core';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * JSON-RPC error codes the gateway adds to the MCP ones (implementation-defined server-error range).
 * `UPSTREAM_UNAVAILABLE` also covers `SECRET_MISSING` and `VAULT_LOCKED`: the upstream cannot be
 * reached because its configuration cannot be completed.
 */
export const GatewayErrorCode = {
  /** The upstream server is not connected (starting, crashed, circuit open, removed). */
  UpstreamUnavailable: -32010,
  /** The upstream call took longer than its timeout and was cancelled. */
  UpstreamTimeout: ErrorCode.RequestTimeout,
} as const;

const SDK_PREFIX = /^MCP error -?\d+: /;

function rpcError(code: number, message: string, data?: unknown): McpError {
  const error = new McpError(code, message, data);
  // The SDK prefixes messages with "MCP error <code>: " and sends `message` as is; the client adds
  // the prefix again. Keep the wire message clean.
  error.message = message;
  return error;
}

const INVALID_PARAMS_CODES = new Set(['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT']);
const INVALID_REQUEST_CODES = new Set(['FORBIDDEN', 'UNAUTHORIZED']);
const UNAVAILABLE_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'SECRET_MISSING', 'VAULT_LOCKED']);

/**
 * Maps any thrown value to the MCP JSON-RPC error sent to a downstream client. The one place where
 * errors cross the gateway's boundary: no stack trace, cause or secret passes.
 *
 * - `McpError` (the gateway's own, or an upstream's error relayed by the pool) keeps its code,
 *   message (without the SDK's `MCP error <code>: ` prefix) and data.
 * - `McpmuxError` maps by code: `UPSTREAM_UNAVAILABLE`, `SECRET_MISSING`, `VAULT_LOCKED` ->
 *   -32010 with the message (it names the server and its state); `UPSTREAM_TIMEOUT` -> -32001;
 *   `INVALID_INPUT`, `NOT_FOUND`, `CONFLICT` -> -32602; `FORBIDDEN`, `UNAUTHORIZED` -> -32600;
 *   anything else -> -32603 `Internal error`. `data` is `{ code, ...error.data }`.
 * - Anything else -> -32603 `Internal error`.
 *
 * @param err - any thrown value.
 * @returns the `McpError` to throw from an SDK request handler (its `message` is sent as is).
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
export function toRpcError(err: unknown): McpError {
  if (err instanceof McpError) {
    return rpcError(err.code, err.message.replace(SDK_PREFIX, ''), err.data);
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
