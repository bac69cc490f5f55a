// The console's only way to the admin API: same-origin fetch with the session cookie, the CSRF token
// of `GET /api/v1/session` on every non-GET, JSON in and out, `{ error: { code, message, field? } }`
// turned into an ApiError. A 401 anywhere flips the app into its login-expired state.

/** An error answered by the admin API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();
let expired = false;

/** True once any call was answered 401 (no session, or it expired). */
export function isLoginExpired(): boolean {
  return expired;
}

/** Calls `listener` when the session turns out to be missing or expired. Returns an unsubscribe. */
export function onLoginExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

function markExpired(): void {
  if (expired) return;
  expired = true;
  for (const listener of expiredListeners) listener();
}

let csrf: Promise<string> | undefined;

async function csrfToken(): Promise<string> {
  csrf ??= request<{ csrfToken: string }>('GET', '/api/v1/session').then((s) => s.csrfToken);
  try {
    return await csrf;
  } catch (error) {
    csrf = undefined;
    throw error;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = 'INTERNAL';
  let message = `The gateway answered ${res.status} ${res.statusText}.`;
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    field = body.error?.field;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(res.status, code, message, field);
}

async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = await csrfToken();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'UNAVAILABLE', 'The gateway is not reachable. Is it running? (`mcpmux status`)');
  }
  if (res.status === 401) {
    markExpired();
    throw await errorOf(res);
  }
  if (res.status === 403 && method !== 'GET' && !retried) {
    // A stale CSRF token (the gateway restarted): fetch a new one once.
    csrf = undefined;
    return request<T>(method, path, body, true);
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The admin API client used by every page. */
export const api = {
  /** `GET path` -> parsed JSON. */
  get: <T>(path: string): Promise<T> => request<T>('GET', path),
  /** `POST path` with a JSON body. */
  post: <T = void>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body ?? {}),
  /** `PUT path` with an optional JSON body. */
  put: <T = void>(path: string, body?: unknown): Promise<T> => request<T>('PUT', path, body),
  /** `PATCH path` with a JSON body. */
  patch: <T = void>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body),
  /** `DELETE path`, with a JSON body when given. */
  delete: <T = void>(path: string, body?: unknown): Promise<T> => request<T>('DELETE', path, body),
  /** `POST /api/v1/session/logout`. */
  logout: (): Promise<void> => request<void>('POST', '/api/v1/session/logout', {}),
};

/** Encodes one path segment. */
export const seg = (s: string): string => encodeURIComponent(s);
