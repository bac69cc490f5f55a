// The admin side of the gateway's HTTP server: `/login`, `/api/v1/*` and the console's static files.
// One route table (routes/*.ts) drives both the router and the OpenAPI document.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayObserver } from '@mcpmux/gateway';
import type { StoreChange } from '@mcpmux/space-store';
import { z } from 'zod';
import {
  ADMIN_COOKIE,
  type AdminAuth,
  type AdminAuthOptions,
  CSRF_HEADER,
  createAdminAuth,
  readCookie,
} from './auth.js';
import type { AdminDeps } from './deps.js';
import { createEventHub, type EventHub } from './events.js';
import { sendApiError, sendJson, sendThrown } from './http.js';
import { API_BASE, openApiDocument } from './openapi.js';
import { type AdminRoute, compilePath, type PathMatcher, route, validate } from './route.js';
import { clientRoutes } from './routes/clients.js';
import { consentRoutes } from './routes/consent.js';
import { featureSetRoutes } from './routes/featuresets.js';
import { serverRoutes } from './routes/servers.js';
import { sessionCookie, sessionRoutes } from './routes/session.js';
import { spaceRoutes } from './routes/spaces.js';
import { SECURITY_HEADERS, serveConsole } from './static.js';

/** The login path a `mcpmux ui` link points at. */
export const LOGIN_PATH = '/login';
/** Largest admin request body: 1 MiB. */
const MAX_BODY_BYTES = 1024 * 1024;

const INVALID_LINK =
  '<!doctype html><meta charset="utf-8"><title>mcpmux: login link invalid</title><p>This login link is invalid or expired: run <code>mcpmux ui</code> for a new one.</p>\n';

/** Options of {@link createAdminApi}. */
export interface AdminApiOptions {
  deps: AdminDeps;
  /** The console's built assets (`index.html` and `assets/`); without it `/` says the console is not built. */
  consoleAssetsDir?: string;
  /** Clock and lifetimes of login tokens and sessions. */
  auth?: AdminAuthOptions;
  /** Keep-alive interval of `/api/v1/events`, in ms. Default 15,000. */
  keepAliveMs?: number;
  /** Logs unexpected failures (never bodies or secrets). */
  logger?: { error(obj: object, msg?: string): void };
}

/** The admin API of one gateway process. */
export interface AdminApi {
  /** Every route, the OpenAPI document's included. */
  readonly routes: readonly AdminRoute[];
  /** True for the paths the admin side serves: `/`, `/login`, `/api/...` and console paths. */
  handles(path: string): boolean;
  /** Serves one request the caller has checked the Host of (Origin is checked here: same origin only). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void>;
  /** A single-use login link to `baseUrl` + `/login?token=...`, valid for 5 minutes. */
  mintLoginLink(baseUrl: string): { url: string; expiresAt: string };
  /** Feeds live events (calls, sessions, upstream states) and the per-minute counter. */
  readonly observer: GatewayObserver;
  /** Feeds live `change` events (a store watcher). */
  onStoreChange(change: StoreChange): void;
  /** The event hub (open streams). */
  readonly events: EventHub;
  /** Ends the event streams. */
  close(): void;
}

const RESERVED = ['/mcp', '/health', '/metrics'];

interface Compiled {
  route: AdminRoute;
  matcher: PathMatcher;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isJson(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** The whole body, or undefined when it exceeds the limit (the connection is then answered 413). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `?a=1&b=2` as an object of strings (the last value of a repeated key wins). */
function queryObject(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    if (k !== '__proto__') out[k] = v;
  }
  return out;
}

/**
 * Creates the admin API (see the file comment): the route table, the auth state, the event hub and
 * the static console. The HTTP server calls {@link AdminApi.handle} for the paths it
 * {@link AdminApi.handles}, after its own Host check.
 *
 * @param options - see {@link AdminApiOptions}; `deps` is required.
 * @example
 * ```ts
 * const admin = createAdminApi({ deps });
 * const { url } = admin.mintLoginLink('http://127.0.0.1:45818');
 * ```
 */
export function createAdminApi(options: AdminApiOptions): AdminApi {
  const { deps } = options;
  const auth: AdminAuth = createAdminAuth({ now: deps.now, ...options.auth });
  const events = createEventHub(
    options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs },
  );
  const table: AdminRoute[] = [
    ...sessionRoutes,
    ...spaceRoutes,
    ...serverRoutes,
    ...featureSetRoutes,
    ...clientRoutes,
    ...consentRoutes,
  ];
  let document: unknown;
  table.push(
    route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'Meta',
      status: 200,
      response: z.record(z.string(), z.unknown()),
      handler: async () => {
        document ??= openApiDocument(table, deps.version);
        return document;
      },
    }),
  );
  const compiled: Compiled[] = table.map((r) => ({ route: r, matcher: compilePath(r.path) }));

  function sameOrigin(req: IncomingMessage): boolean {
    const origin = headerValue(req.headers.origin);
    if (origin === undefined) return true;
    const host = headerValue(req.headers.host);
    if (host === undefined) return false;
    try {
      const url = new URL(origin);
      return (
        url.origin !== 'null' &&
        // https: behind a TLS proxy (team mode's --public-url); the Host check already ran.
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        url.host.toLowerCase() === host.toLowerCase()
      );
    } catch {
      return false;
    }
  }

  async function handleLogin(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    req.resume();
    if (req.method !== 'GET')
      return sendApiError(res, 405, 'INVALID_INPUT', 'Method not allowed.', undefined, { allow: 'GET' });
    const token = new URLSearchParams(search).get('token') ?? '';
    const opened = token === '' ? undefined : auth.login(token);
    if (opened === undefined) {
      res.writeHead(401, {
        ...SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(INVALID_LINK),
        'cache-control': 'no-store',
      });
      res.end(INVALID_LINK);
      return;
    }
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      location: '/',
      'set-cookie': sessionCookie(opened.cookie, auth.sessionSeconds),
      'cache-control': 'no-store',
      'content-length': 0,
    });
    res.end();
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: string,
  ): Promise<void> {
    const sub = path.slice(API_BASE.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    let found: { route: AdminRoute; match: RegExpExecArray; matcher: PathMatcher } | undefined;
    for (const c of compiled) {
      const match = c.matcher.regex.exec(sub);
      if (match === null) continue;
      pathMatched = true;
      if (c.route.method === method) {
        found = { route: c.route, match, matcher: c.matcher };
        break;
      }
    }
    if (found === undefined) {
      req.resume();
      if (pathMatched)
        return sendApiError(res, 405, 'INVALID_INPUT', `Method ${method} is not allowed here.`);
      return sendApiError(
        res,
        404,
        'NOT_FOUND',
        `No admin API route ${method} ${path}. See ${API_BASE}/openapi.json.`,
      );
    }
    const r = found.route;
    // A client access key never opens the admin API, whatever the key.
    if (req.headers.authorization !== undefined) {
      req.resume();
      return sendApiError(
        res,
        401,
        'UNAUTHORIZED',
        'The admin API does not take access keys. Open the console with `mcpmux ui`.',
      );
    }
    const cookie = readCookie(headerValue(req.headers.cookie), ADMIN_COOKIE);
    const session = cookie === undefined ? undefined : auth.session(cookie);
    if (r.session !== false) {
      if (session === undefined) {
        req.resume();
        return sendApiError(
          res,
          401,
          'UNAUTHORIZED',
          'No admin session, or it expired: run `mcpmux ui` for a login link.',
        );
      }
      if (method !== 'GET' && !auth.csrfMatches(session, headerValue(req.headers[CSRF_HEADER]))) {
        req.resume();
        return sendApiError(
          res,
          403,
          'FORBIDDEN',
          `Forbidden: the ${CSRF_HEADER} header must carry this session's CSRF token (GET ${API_BASE}/session).`,
        );
      }
    }
    const params: Record<string, string> = {};
    try {
      found.matcher.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found.match[i + 1] ?? '');
      });
    } catch {
      req.resume();
      return sendApiError(res, 400, 'INVALID_INPUT', 'The path is not valid percent-encoding.');
    }
    let body: unknown;
    if (r.body !== undefined) {
      const length = Number(headerValue(req.headers['content-length']) ?? '0');
      const chunked = req.headers['transfer-encoding'] !== undefined;
      if (length > 0 || chunked) {
        if (!isJson(headerValue(req.headers['content-type']))) {
          req.resume();
          return sendApiError(res, 415, 'INVALID_INPUT', 'Content-Type must be application/json.');
        }
        const text = await readBody(req);
        if (text === undefined) {
          return sendApiError(
            res,
            413,
            'INVALID_INPUT',
            `The body exceeds ${MAX_BODY_BYTES} bytes.`,
            undefined,
            {
              connection: 'close',
            },
          );
        }
        try {
          body = JSON.parse(text, (k, v: unknown) => (k === '__proto__' ? undefined : v));
        } catch {
          return sendApiError(res, 400, 'INVALID_INPUT', 'The body is not valid JSON.');
        }
      }
    } else {
      req.resume();
    }
    try {
      const ctx = {
        params: r.params === undefined ? {} : validate(r.params, params, 'path'),
        query: r.query === undefined ? {} : validate(r.query, queryObject(search), 'query'),
        body: r.body === undefined ? undefined : validate(r.body, body, 'body'),
        deps,
        session,
        auth,
        events,
        res,
      };
      const result = await r.handler(ctx);
      if (r.stream) return;
      sendJson(res, r.status, r.status === 204 ? undefined : result);
    } catch (err) {
      if (!sendThrown(res, err))
        options.logger?.error({ err, route: `${r.method} ${r.path}` }, 'admin request failed');
    }
  }

  return {
    routes: table,
    events,
    observer: {
      ...events.observer,
      call: (e) => {
        deps.activity.observer.call?.(e);
        events.observer.call?.(e);
      },
    },
    onStoreChange: (change) => events.onStoreChange(change),
    handles(path) {
      return !RESERVED.some((p) => path === p || path.startsWith(`${p}/`));
    },
    async handle(req, res, path, search) {
      if (!sameOrigin(req)) {
        req.resume();
        return sendApiError(res, 403, 'FORBIDDEN', 'Forbidden: Origin is not allowed.');
      }
      if (path === LOGIN_PATH) return handleLogin(req, res, search);
      if (path === API_BASE || path.startsWith(`${API_BASE}/`)) return handleApi(req, res, path, search);
      if (path === '/api' || path.startsWith('/api/')) {
        req.resume();
        return sendApiError(
          res,
          404,
          'NOT_FOUND',
          `Not found. The admin API is ${API_BASE} (see ${API_BASE}/openapi.json).`,
        );
      }
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendApiError(res, 405, 'INVALID_INPUT', 'Method not allowed.', undefined, {
          allow: 'GET, HEAD',
        });
      }
      return serveConsole(req, res, options.consoleAssetsDir, path);
    },
    mintLoginLink(baseUrl) {
      const { token, expiresAt } = auth.mintLoginToken();
      return {
        url: `${baseUrl.replace(/\/$/, '')}${LOGIN_PATH}?token=${token}`,
        expiresAt: expiresAt.toISOString(),
      };
    },
    close() {
      events.close();
    },
  };
}
