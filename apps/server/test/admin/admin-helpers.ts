import type { RunningServer } from '../../src/start.js';
import { raw } from '../helpers.js';

/** The base `http://127.0.0.1:PORT` of a running server. */
export function baseOf(server: RunningServer): string {
  return server.url.replace(/\/mcp$/, '');
}

/** An admin session opened the way a browser does: the login link, then `GET /api/v1/session`. */
export interface AdminLogin {
  cookie: string;
  csrf: string;
}

/** Follows a fresh login link (as `mcpmux ui` prints it) and reads the session's CSRF token. */
export async function login(server: RunningServer): Promise<AdminLogin> {
  const { url } = server.adminLoginLink();
  const res = await raw(url, { method: 'GET' });
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${res.body}`);
  const setCookie = res.headers['set-cookie']?.[0] ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const session = await raw(`${baseOf(server)}/api/v1/session`, { method: 'GET', headers: { cookie } });
  const csrf = (JSON.parse(session.body) as { csrfToken: string }).csrfToken;
  return { cookie, csrf };
}

/** One admin API request with the session's cookie and CSRF header (JSON body when given). */
export async function api(
  server: RunningServer,
  session: AdminLogin | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await raw(`${baseOf(server)}${path}`, {
    method,
    headers: {
      ...(session === undefined ? {} : { cookie: session.cookie, 'x-csrf-token': session.csrf }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let json: unknown;
  try {
    json = res.body === '' ? undefined : JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { ...res, json };
}
