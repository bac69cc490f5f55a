// Admin access: single-use login tokens (minted over the gateway's owner-only socket) exchanged for a
// cookie session with a CSRF token. Everything lives in this process's memory, hashed: a restart
// logs everyone out, and nothing on disk can be replayed.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The admin session cookie's name. */
export const ADMIN_COOKIE = 'mcpmux_admin';
/** The header carrying the CSRF token on every non-GET admin request. */
export const CSRF_HEADER = 'x-csrf-token';
/** How long a login link works: 5 minutes. */
export const DEFAULT_LOGIN_TTL_MS = 5 * 60 * 1000;
/** How long an admin session lasts: 12 hours. */
export const DEFAULT_ADMIN_SESSION_MS = 12 * 60 * 60 * 1000;

/** A login token as minted: the token itself (shown once) and when it expires. */
export interface LoginToken {
  token: string;
  expiresAt: Date;
}

/** An admin session: its CSRF token and expiry. */
export interface AdminSession {
  /** The hash of the cookie value (the session's id in memory). */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Options of {@link createAdminAuth}. */
export interface AdminAuthOptions {
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  /** Login token lifetime in ms. Default 5 minutes. */
  loginTtlMs?: number;
  /** Session lifetime in ms. Default 12 hours. */
  sessionMs?: number;
}

/** The admin auth state of one gateway process. */
export interface AdminAuth {
  /** Mints a single-use login token. */
  mintLoginToken(): LoginToken;
  /** Consumes a login token: a new session and its cookie value, or undefined (unknown, used, expired). */
  login(token: string): { session: AdminSession; cookie: string } | undefined;
  /** The session a cookie value opens, or undefined (unknown or expired). */
  session(cookie: string): AdminSession | undefined;
  /** True when `header` is the session's CSRF token (constant time). */
  csrfMatches(session: AdminSession, header: string | undefined): boolean;
  /** Ends a session. */
  logout(session: AdminSession): void;
  /** The session lifetime in seconds (the cookie's Max-Age). */
  readonly sessionSeconds: number;
}

const token = () => randomBytes(32).toString('base64url');
const hash = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Creates the in-memory admin auth state: login tokens (32 random bytes, base64url, single use, kept
 * as SHA-256 hashes) and sessions (a random cookie value, kept hashed, with its own CSRF token).
 *
 * @param options - clock and lifetimes; see {@link AdminAuthOptions}.
 * @example
 * ```ts
 * const auth = createAdminAuth();
 * const { token } = auth.mintLoginToken();
 * const opened = auth.login(token); // { session, cookie }; a second login(token) is undefined
 * ```
 */
export function createAdminAuth(options: AdminAuthOptions = {}): AdminAuth {
  const now = options.now ?? Date.now;
  const loginTtl = options.loginTtlMs ?? DEFAULT_LOGIN_TTL_MS;
  const sessionMs = options.sessionMs ?? DEFAULT_ADMIN_SESSION_MS;
  const tokens = new Map<string, number>();
  const sessions = new Map<string, AdminSession>();

  const prune = () => {
    const t = now();
    for (const [k, until] of tokens) if (until <= t) tokens.delete(k);
    for (const [k, s] of sessions) if (s.expiresAt.getTime() <= t) sessions.delete(k);
  };

  return {
    sessionSeconds: Math.floor(sessionMs / 1000),
    mintLoginToken() {
      prune();
      const value = token();
      const expiresAt = now() + loginTtl;
      tokens.set(hash(value), expiresAt);
      return { token: value, expiresAt: new Date(expiresAt) };
    },
    login(value) {
      const key = hash(value);
      const until = tokens.get(key);
      tokens.delete(key);
      if (until === undefined || until <= now()) return undefined;
      prune();
      const cookie = token();
      const session: AdminSession = {
        id: hash(cookie),
        csrfToken: token(),
        expiresAt: new Date(now() + sessionMs),
      };
      sessions.set(session.id, session);
      return { session, cookie };
    },
    session(cookie) {
      const id = hash(cookie);
      const session = sessions.get(id);
      if (session === undefined) return undefined;
      if (session.expiresAt.getTime() <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return session;
    },
    csrfMatches(session, header) {
      if (header === undefined) return false;
      const a = Buffer.from(header);
      const b = Buffer.from(session.csrfToken);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    logout(session) {
      sessions.delete(session.id);
    },
  };
}

/** The value of cookie `name` in a `Cookie` header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
