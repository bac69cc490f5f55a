// JSON answers and errors of the admin API: `{ "error": { code, message, field? } }`.
import type { ServerResponse } from 'node:http';
import { isMcpmuxError } from '@mcpmux/core';
import { SECURITY_HEADERS } from './static.js';

/** The HTTP status of each error code the admin API answers with. */
const STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // A refusal of the store (a built-in set, the active Space): the state forbids it, not the caller.
  FORBIDDEN: 409,
  SECRET_MISSING: 409,
  VAULT_LOCKED: 503,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

/** Writes a JSON body (or nothing for 204) with the admin API's headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const common = { ...SECURITY_HEADERS, 'cache-control': 'no-store', ...headers };
  if (status === 204 || body === undefined) {
    res.writeHead(status, { ...common, 'content-length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...common,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Writes an admin API error. */
export function sendApiError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  field?: string,
  headers: Record<string, string | string[]> = {},
): void {
  sendJson(res, status, { error: { code, message, ...(field === undefined ? {} : { field }) } }, headers);
}

/**
 * Answers a thrown value: an `McpmuxError` with its code, message and `data.field` and the status
 * of its code; anything else as 500 `INTERNAL` with no detail (the caller logs it).
 * @returns true when it was an McpmuxError (not a bug).
 */
export function sendThrown(res: ServerResponse, err: unknown): boolean {
  if (isMcpmuxError(err) && err.code !== 'INTERNAL') {
    const field = err.data?.field;
    sendApiError(
      res,
      STATUS[err.code] ?? 500,
      err.code,
      err.message,
      typeof field === 'string' ? field : undefined,
    );
    return true;
  }
  sendApiError(res, 500, 'INTERNAL', 'Internal error; see the gateway log (`mcpmux logs`).');
  return false;
}
