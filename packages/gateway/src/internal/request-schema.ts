/**
 * The params of every request the gateway serves, checked before the SDK sees the request: the SDK
 * answers invalid params with a raw, multi-line issue list (and drops a request whose progress token
 * is not a string or number without answering it). Checked here, a bad request gets one -32602 line
 * naming the first field and what it must be, through `toRpcError`.
 */
import { z } from 'zod';
import { toRpcError } from './errors.js';

const meta = z.looseObject({ progressToken: z.union([z.string(), z.number()]).optional() }).optional();
const paginated = z.looseObject({ cursor: z.string().optional(), _meta: meta }).optional();
const named = z.looseObject({ name: z.string(), _meta: meta });
const byUri = z.looseObject({ uri: z.string(), _meta: meta });

/** Params schemas of the requests the gateway serves in both eras, by method. */
const PARAMS: Record<string, z.ZodType | undefined> = {
  'tools/list': paginated,
  'prompts/list': paginated,
  'resources/list': paginated,
  'resources/templates/list': paginated,
  'tools/call': named.extend({ arguments: z.record(z.string(), z.unknown()).optional() }),
  'prompts/get': named.extend({ arguments: z.record(z.string(), z.string()).optional() }),
  'resources/read': byUri,
  'completion/complete': z.looseObject({
    ref: z.union([
      z.looseObject({ type: z.literal('ref/prompt'), name: z.string() }),
      z.looseObject({ type: z.literal('ref/resource'), uri: z.string() }),
    ]),
    argument: z.looseObject({ name: z.string(), value: z.string() }),
    _meta: meta,
  }),
};

/** Params schemas of the requests only 2025-era sessions have (2026-07-28 has no such methods). */
const SESSION_PARAMS: Record<string, z.ZodType | undefined> = {
  'resources/subscribe': byUri,
  'resources/unsubscribe': byUri,
  'logging/setLevel': z.looseObject({
    level: z.enum(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']),
    _meta: meta,
  }),
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for `tools/call` params the full schema accepts, decided without it (most calls). */
function isPlainToolCall(params: unknown): boolean {
  if (!isObject(params) || typeof params.name !== 'string') return false;
  if (params.arguments !== undefined && !isObject(params.arguments)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isObject(meta)) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === 'string' || typeof token === 'number';
}

/** The answer to a JSON-RPC request whose params are invalid. */
export interface InvalidParamsAnswer {
  jsonrpc: '2.0';
  id: string | number;
  error: { code: number; message: string; data?: unknown };
}

/**
 * Checks the params of a request the gateway serves (`tools/call`, the lists, `prompts/get`...).
 *
 * @param message - any inbound JSON-RPC message.
 * @param era - `modern` for a 2026-07-28 request: the session methods are left to the SDK (which
 *   answers that they do not exist in that era).
 * @returns the -32602 error response to send instead of dispatching it, or undefined when the
 *   message is not a request of a served method or its params are valid.
 * @example
 * ```ts
 * const answer = invalidParamsAnswer({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 5 } });
 * // answer.error: { code: -32602, message: 'Invalid params: name must be a string', ... }
 * ```
 */
export function invalidParamsAnswer(
  message: unknown,
  era: 'legacy' | 'modern' = 'legacy',
): InvalidParamsAnswer | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { id, method, params } = message as { id?: unknown; method?: unknown; params?: unknown };
  if (typeof method !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  if (method === 'tools/call' && isPlainToolCall(params)) return undefined; // the hot path, without zod
  const schema = PARAMS[method] ?? (era === 'legacy' ? SESSION_PARAMS[method] : undefined);
  if (schema === undefined) return undefined;
  const checked = schema.safeParse(params);
  if (checked.success) return undefined;
  const error = toRpcError(checked.error);
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    },
  };
}
