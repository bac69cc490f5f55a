import { createHash, timingSafeEqual } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';
import type BetterSqlite3 from 'better-sqlite3';
import type { OAuthClient, OAuthTokenSet } from '../oauth-types.js';
import { sha256Hex } from './util.js';

/** Prefix of OAuth access tokens (access keys start with `mcpmux_` and have another length). */
export const ACCESS_TOKEN_PREFIX = 'mcpmux_at_';
/** Prefix of OAuth refresh tokens. */
export const REFRESH_TOKEN_PREFIX = 'mcpmux_rt_';
const CODE_PREFIX = 'mcpmux_ac_';
/** Token lengths: prefix plus 43 base64url characters (32 random bytes). */
export const OAUTH_TOKEN_LENGTH = ACCESS_TOKEN_PREFIX.length + 43;

/** How long an authorization code stays valid. */
export const CODE_TTL_MS = 120_000;
/** How long an access token stays valid. */
export const ACCESS_TOKEN_TTL_MS = 3_600_000;
/** How long an unused refresh token stays valid. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3_600_000;

interface OAuthClientRow {
  id: string;
  kind: 'dcr' | 'cimd';
  name: string;
  redirect_uris: string;
  created_at: number;
  updated_at: number;
}

interface CodeRow {
  hash: string;
  oauth_client_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string | null;
  family_id: string;
  expires_at: number;
  used_at: number | null;
}

interface TokenRow {
  id: number;
  hash: string;
  kind: 'access' | 'refresh';
  oauth_client_id: string;
  client_id: string;
  family_id: string;
  scope: string | null;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

/** The outcome of a grant run inside a transaction: tokens, or a refusal to throw AFTER the commit. */
export type GrantOutcome = { ok: true; tokens: OAuthTokenSet } | { ok: false; message: string };

/** An `invalid_grant` refusal (RFC 6749 §5.2), as an UNAUTHORIZED McpmuxError. */
export function invalidGrant(message: string): McpmuxError {
  return new McpmuxError('UNAUTHORIZED', message, { data: { oauthError: 'invalid_grant' } });
}

function sameHash(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/**
 * The OAuth rows of the SQLite store: synchronous helpers the store runs inside its transactions.
 * @internal
 */
export class OAuthRows {
  constructor(
    private readonly stmt: (source: string) => BetterSqlite3.Statement,
    private readonly nowMs: () => number,
    private readonly random: (n: number) => Uint8Array,
    /** Records a `client` change, so that caches of authentication in every process drop revoked tokens. */
    private readonly revoked: () => void,
  ) {}

  private secret(prefix: string): string {
    const bytes = this.random(32);
    if (bytes.length !== 32)
      throw new McpmuxError('INTERNAL', 'The random source returned the wrong number of bytes.');
    return `${prefix}${Buffer.from(bytes).toString('base64url')}`;
  }

  toClient(r: OAuthClientRow): OAuthClient {
    return {
      id: r.id,
      kind: r.kind,
      name: r.name,
      redirectUris: JSON.parse(r.redirect_uris) as string[],
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  findClient(id: string): OAuthClient | undefined {
    const r = this.stmt('SELECT * FROM oauth_clients WHERE id = ?').get(id) as OAuthClientRow | undefined;
    return r === undefined ? undefined : this.toClient(r);
  }

  register(
    kind: 'dcr' | 'cimd',
    id: string | undefined,
    name: string | undefined,
    uris: string[],
  ): OAuthClient {
    const now = this.nowMs();
    const clientId = id ?? `mcpmux-dcr-${Buffer.from(this.random(16)).toString('base64url')}`;
    this.stmt(
      `INSERT INTO oauth_clients (id, kind, name, redirect_uris, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at`,
    ).run(clientId, kind, name ?? clientId, JSON.stringify(uris), now, now);
    return this.findClient(clientId) as OAuthClient;
  }

  createCode(v: {
    oauthClientId: string;
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    resource?: string | undefined;
    scope?: string | undefined;
  }): string {
    const code = this.secret(CODE_PREFIX);
    const now = this.nowMs();
    const family = Buffer.from(this.random(16)).toString('base64url');
    this.stmt(
      `INSERT INTO oauth_codes (hash, oauth_client_id, client_id, redirect_uri, code_challenge, resource, scope, family_id, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      sha256Hex(code),
      v.oauthClientId,
      v.clientId,
      v.redirectUri,
      v.codeChallenge,
      v.resource ?? null,
      v.scope ?? null,
      family,
      now,
      now + CODE_TTL_MS,
    );
    // Expired codes are useless: drop them as new ones come.
    this.stmt('DELETE FROM oauth_codes WHERE expires_at < ?').run(now - CODE_TTL_MS);
    return code;
  }

  private issue(
    oauthClientId: string,
    clientId: string,
    familyId: string,
    scope: string | null,
  ): OAuthTokenSet {
    const now = this.nowMs();
    const accessToken = this.secret(ACCESS_TOKEN_PREFIX);
    const refreshToken = this.secret(REFRESH_TOKEN_PREFIX);
    const insert = this.stmt(
      `INSERT INTO oauth_tokens (hash, kind, oauth_client_id, client_id, family_id, scope, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run(
      sha256Hex(accessToken),
      'access',
      oauthClientId,
      clientId,
      familyId,
      scope,
      now,
      now + ACCESS_TOKEN_TTL_MS,
    );
    insert.run(
      sha256Hex(refreshToken),
      'refresh',
      oauthClientId,
      clientId,
      familyId,
      scope,
      now,
      now + REFRESH_TOKEN_TTL_MS,
    );
    return {
      accessToken,
      refreshToken,
      expiresIn: ACCESS_TOKEN_TTL_MS / 1000,
      clientId,
      ...(scope === null ? {} : { scope }),
    };
  }

  revokeFamily(familyId: string): void {
    const r = this.stmt(
      'UPDATE oauth_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL',
    ).run(this.nowMs(), familyId);
    if (r.changes > 0) this.revoked();
  }

  /** Revokes every OAuth token acting as the mcpmux client, and its pending codes. */
  revokeForClient(clientId: string): void {
    this.stmt('UPDATE oauth_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(
      this.nowMs(),
      clientId,
    );
    this.stmt('DELETE FROM oauth_codes WHERE client_id = ? AND used_at IS NULL').run(clientId);
  }

  exchangeCode(v: {
    code: string;
    oauthClientId: string;
    redirectUri: string;
    codeVerifier: string;
  }): GrantOutcome {
    const hash = sha256Hex(v.code);
    const row = this.stmt('SELECT * FROM oauth_codes WHERE hash = ?').get(hash) as CodeRow | undefined;
    const now = this.nowMs();
    if (row === undefined || !sameHash(row.hash, hash) || row.oauth_client_id !== v.oauthClientId) {
      return { ok: false, message: 'The authorization code is unknown. Start the sign-in again.' };
    }
    if (row.used_at !== null) {
      // RFC 6749 §4.1.2: a code used twice revokes what it issued.
      this.revokeFamily(row.family_id);
      return { ok: false, message: 'The authorization code was already used. Start the sign-in again.' };
    }
    this.stmt('UPDATE oauth_codes SET used_at = ? WHERE hash = ?').run(now, hash);
    if (row.expires_at <= now) {
      return { ok: false, message: 'The authorization code expired. Start the sign-in again.' };
    }
    if (row.redirect_uri !== v.redirectUri) {
      return { ok: false, message: 'redirect_uri does not match the one of the authorization request.' };
    }
    const challenge = createHash('sha256').update(v.codeVerifier).digest('base64url');
    if (!timingSafeEqual(Buffer.from(challenge), Buffer.from(row.code_challenge))) {
      return { ok: false, message: 'code_verifier does not match the PKCE code_challenge.' };
    }
    return { ok: true, tokens: this.issue(row.oauth_client_id, row.client_id, row.family_id, row.scope) };
  }

  refresh(refreshToken: string, oauthClientId: string): GrantOutcome {
    const row = this.findToken(refreshToken, 'refresh');
    const now = this.nowMs();
    if (row === undefined || row.oauth_client_id !== oauthClientId) {
      return { ok: false, message: 'The refresh token is unknown. Sign in again.' };
    }
    if (row.rotated_at !== null) {
      // A rotated refresh token used again: someone else holds a copy. Revoke the whole family.
      this.revokeFamily(row.family_id);
      return {
        ok: false,
        message: 'The refresh token was already used; the sign-in is revoked. Sign in again.',
      };
    }
    if (row.revoked_at !== null || row.expires_at <= now) {
      return { ok: false, message: 'The refresh token is revoked or expired. Sign in again.' };
    }
    this.stmt('UPDATE oauth_tokens SET rotated_at = ? WHERE id = ?').run(now, row.id);
    return { ok: true, tokens: this.issue(row.oauth_client_id, row.client_id, row.family_id, row.scope) };
  }

  /** RFC 7009: revokes the token (a refresh token takes its family along). Unknown tokens are ignored. */
  revoke(token: string, oauthClientId: string | undefined): void {
    const kind = token.startsWith(REFRESH_TOKEN_PREFIX) ? 'refresh' : 'access';
    const row = this.findToken(token, kind);
    if (row === undefined) return;
    if (oauthClientId !== undefined && row.oauth_client_id !== oauthClientId) return;
    if (kind === 'refresh') this.revokeFamily(row.family_id);
    else {
      const r = this.stmt('UPDATE oauth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
        this.nowMs(),
        row.id,
      );
      if (r.changes > 0) this.revoked();
    }
  }

  findToken(token: string, kind: 'access' | 'refresh'): TokenRow | undefined {
    const prefix = kind === 'access' ? ACCESS_TOKEN_PREFIX : REFRESH_TOKEN_PREFIX;
    if (token.length !== OAUTH_TOKEN_LENGTH || !token.startsWith(prefix)) return undefined;
    const hash = sha256Hex(token);
    const row = this.stmt('SELECT * FROM oauth_tokens WHERE hash = ?').get(hash) as TokenRow | undefined;
    if (row === undefined || row.kind !== kind || !sameHash(row.hash, hash)) return undefined;
    return row;
  }

  /** The mcpmux client id of a live access token, or `undefined`. */
  accessTokenClient(token: string): string | undefined {
    const row = this.findToken(token, 'access');
    if (row === undefined || row.revoked_at !== null || row.expires_at <= this.nowMs()) return undefined;
    return row.client_id;
  }
}
