// Small helpers of the HTTP layer: JSON errors, address checks, JSON-RPC shape validation.
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** JSON-RPC error codes the HTTP layer answers with. */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  SERVER_ERROR: -32000,
  SESSION_NOT_FOUND: -32001,
  UNAUTHORIZED: -32002,
  FORBIDDEN: -32003,
  TOO_LARGE: -32004,
  TOO_MANY_SESSIONS: -32005,
} as const;

/** Answers with a JSON-RPC error body and the given HTTP status. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string | number> = {},
  id: string | number | null = null,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The host name of a `Host` header value (`localhost:45818`, `[::1]:80`), lower-cased. */
export function hostHeaderName(value: string): string {
  const v = value.toLowerCase();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end === -1 ? v : v.slice(0, end + 1);
  }
  const colon = v.indexOf(':');
  return colon === -1 ? v : v.slice(0, colon);
}

/** `scheme://host[:port]` of an Origin header value, or undefined when it is not a URL origin. */
export function normalizeOrigin(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? undefined : url;
  } catch {
    return undefined;
  }
}

/** True when the media type of a Content-Type header is `application/json`. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** What an Accept header allows: JSON bodies, SSE streams. A missing header allows both. */
export function parseAccept(value: string | undefined): { json: boolean; sse: boolean } {
  if (value === undefined || value === '') return { json: true, sse: true };
  const v = value.toLowerCase();
  const any = v.includes('*/*');
  return {
    json: any || v.includes('application/json') || v.includes('application/*'),
    sse: any || v.includes('text/event-stream') || v.includes('text/*'),
  };
}

const MAX_ID_LENGTH = 256;
const MAX_METHOD_LENGTH = 256;

function isId(value: unknown): value is string | number {
  if (typeof value === 'string') return value.length <= MAX_ID_LENGTH;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESPONSE_KEYS = new Set(['jsonrpc', 'id', 'result', 'error']);
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** The first own key of `value` outside `allowed`, if any. */
function extraKey(value: Record<string, unknown>, allowed: ReadonlySet<string>): string | undefined {
  for (const key in value) if (!allowed.has(key)) return key;
  return undefined;
}

/** What the SDK's schema requires of a request's or notification's `params._meta`, if present. */
function invalidMeta(params: Record<string, unknown>): string | undefined {
  const meta = params._meta;
  if (meta === undefined) return undefined;
  if (!isObject(meta)) return 'params._meta must be an object.';
  const token = meta.progressToken;
  if (
    token !== undefined &&
    typeof token !== 'string' &&
    !(typeof token === 'number' && Number.isSafeInteger(token))
  )
    return 'params._meta.progressToken must be a string or an integer.';
  const task = meta[RELATED_TASK];
  if (task !== undefined && !(isObject(task) && typeof task.taskId === 'string'))
    return `params._meta["${RELATED_TASK}"] must be an object with a string taskId.`;
  return undefined;
}

/**
 * Checks one JSON-RPC 2.0 message as MCP uses it: a request (method + id), a notification (method,
 * no id), or a response (id + exactly one of result/error). Ids are strings (at most 256 chars) or
 * safe integers; params and results are objects. Returns an error message, or undefined when valid.
 *
 * Everything it accepts, the SDK's `JSONRPCMessageSchema` accepts too (no other member, `_meta`
 * shaped as the SDK reads it), so a message that passes is never dropped unanswered by the SDK; the
 * HTTP layer then hands the parsed object on as is, without a second (zod) parse per message.
 */
export function invalidMessage(value: unknown): string | undefined {
  if (!isObject(value)) return 'A JSON-RPC message must be an object.';
  if (value.jsonrpc !== '2.0') return 'jsonrpc must be "2.0".';
  if ('method' in value) {
    if (
      typeof value.method !== 'string' ||
      value.method.length === 0 ||
      value.method.length > MAX_METHOD_LENGTH
    )
      return 'method must be a non-empty string.';
    if ('params' in value && !isObject(value.params)) return 'params must be an object.';
    if ('id' in value && !isId(value.id)) return 'id must be a string or a safe integer.';
    if ('result' in value || 'error' in value) return 'A request has no result or error.';
    const extra = extraKey(value, REQUEST_KEYS);
    if (extra !== undefined) return `unknown member "${extra}".`;
    return value.params === undefined ? undefined : invalidMeta(value.params as Record<string, unknown>);
  }
  if (!isId(value.id)) return 'id must be a string or a safe integer.';
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (hasResult === hasError) return 'A response has exactly one of result and error.';
  const extra = extraKey(value, RESPONSE_KEYS);
  if (extra !== undefined) return `unknown member "${extra}".`;
  if (hasResult) {
    if (!isObject(value.result)) return 'result must be an object.';
    const meta = value.result._meta;
    if (meta !== undefined && !isObject(meta)) return 'result._meta must be an object.';
  }
  if (hasError) {
    const error = value.error;
    if (!isObject(error) || !Number.isSafeInteger(error.code) || typeof error.message !== 'string')
      return 'error must have an integer code and a message.';
  }
  return undefined;
}

/** Narrowing helper after {@link invalidMessage} returned undefined. */
export function asMessage(value: unknown): JSONRPCMessage {
  return value as JSONRPCMessage;
}
