import { McpmuxError } from '@mcpmux/core';
import type { OAuthClient, OAuthTokenSet } from '../../oauth-types.js';
import { nodeCrypto } from '../node-crypto.js';
import type { OAuthClientRow, StoreTx } from '../repo.js';
import { randomSecret, sameHash, sha256Hex } from './keys.js';

// The OAuth grants of DESIGN §11 over any backend: codes and tokens are stored as SHA-256 only.

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

/** The outcome of a grant run inside a transaction: tokens, or a refusal to throw AFTER the commit. */
export type GrantOutcome = { ok: true; tokens: OAuthTokenSet } | { ok: false; message: string };

/** An `invalid_grant` refusal (RFC 6749 §5.2), as an UNAUTHORIZED McpmuxError. */
export function invalidGrant(message: string): McpmuxError {
  return new McpmuxError('UNAUTHORIZED', message, { data: { oauthError: 'invalid_grant' } });
}

/** What the OAuth flows need besides the transaction. */
export interface OAuthEnv {
  now: () => number;
  random: (n: number) => Uint8Array;
  /** Records a `client` change, so that caches of authentication in every process drop revoked tokens. */
  revoked: () => Promise<void>;
}

/** The public shape of a registered app. */
export function toOAuthClient(r: OAuthClientRow): OAuthClient {
  return { ...r, redirectUris: [...r.redirectUris] };
}

/** Registers (or, for a known CIMD URL, refreshes) an app. */
export async function registerOAuthClient(
  tx: StoreTx,
  env: OAuthEnv,
  v: { kind: 'dcr' | 'cimd'; id?: string | undefined; name?: string | undefined; redirectUris: string[] },
): Promise<OAuthClient> {
  const now = new Date(env.now());
  const id = v.id ?? `mcpmux-dcr-${Buffer.from(env.random(16)).toString('base64url')}`;
  await tx.upsertOAuthClient({
    id,
    kind: v.kind,
    name: v.name ?? id,
    redirectUris: v.redirectUris,
    createdAt: now,
    updatedAt: now,
  });
  return toOAuthClient((await tx.getOAuthClient(id))!);
}

/** Issues a single-use code; returns it (only its hash is stored). */
export async function createCode(
  tx: StoreTx,
  env: OAuthEnv,
  v: {
    oauthClientId: string;
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    resource?: string | undefined;
    scope?: string | undefined;
  },
): Promise<string> {
  const code = randomSecret(CODE_PREFIX, env.random);
  const now = env.now();
  await tx.insertOAuthCode({
    hash: sha256Hex(code),
    oauthClientId: v.oauthClientId,
    clientId: v.clientId,
    redirectUri: v.redirectUri,
    codeChallenge: v.codeChallenge,
    resource: v.resource ?? null,
    scope: v.scope ?? null,
    familyId: Buffer.from(env.random(16)).toString('base64url'),
    createdAt: new Date(now),
    expiresAt: new Date(now + CODE_TTL_MS),
    usedAt: null,
  });
  // Expired codes are useless: drop them as new ones come.
  await tx.deleteExpiredOAuthCodes(new Date(now - CODE_TTL_MS));
  return code;
}

async function issue(
  tx: StoreTx,
  env: OAuthEnv,
  oauthClientId: string,
  clientId: string,
  familyId: string,
  scope: string | null,
): Promise<OAuthTokenSet> {
  const now = env.now();
  const accessToken = randomSecret(ACCESS_TOKEN_PREFIX, env.random);
  const refreshToken = randomSecret(REFRESH_TOKEN_PREFIX, env.random);
  const row = {
    oauthClientId,
    clientId,
    familyId,
    scope,
    createdAt: new Date(now),
    rotatedAt: null,
    revokedAt: null,
  };
  await tx.insertOAuthToken({
    ...row,
    hash: sha256Hex(accessToken),
    kind: 'access',
    expiresAt: new Date(now + ACCESS_TOKEN_TTL_MS),
  });
  await tx.insertOAuthToken({
    ...row,
    hash: sha256Hex(refreshToken),
    kind: 'refresh',
    expiresAt: new Date(now + REFRESH_TOKEN_TTL_MS),
  });
  return {
    accessToken,
    refreshToken,
    expiresIn: ACCESS_TOKEN_TTL_MS / 1000,
    clientId,
    ...(scope === null ? {} : { scope }),
  };
}

async function revokeFamily(tx: StoreTx, env: OAuthEnv, familyId: string): Promise<void> {
  if ((await tx.revokeOAuthTokens({ familyId }, new Date(env.now()))) > 0) await env.revoked();
}

/** Revokes every OAuth token acting as the mcpmux client, and drops its pending codes. */
export async function revokeForClient(tx: StoreTx, env: OAuthEnv, clientId: string): Promise<void> {
  await tx.revokeOAuthTokens({ clientId }, new Date(env.now()));
  await tx.deleteUnusedOAuthCodes(clientId);
}

/** The `authorization_code` grant. */
export async function exchangeCode(
  tx: StoreTx,
  env: OAuthEnv,
  v: { code: string; oauthClientId: string; redirectUri: string; codeVerifier: string },
): Promise<GrantOutcome> {
  const hash = sha256Hex(v.code);
  const row = await tx.getOAuthCode(hash);
  const now = env.now();
  if (row === undefined || !sameHash(row.hash, hash) || row.oauthClientId !== v.oauthClientId) {
    return { ok: false, message: 'The authorization code is unknown. Start the sign-in again.' };
  }
  if (row.usedAt !== null) {
    // RFC 6749 §4.1.2: a code used twice revokes what it issued.
    await revokeFamily(tx, env, row.familyId);
    return { ok: false, message: 'The authorization code was already used. Start the sign-in again.' };
  }
  await tx.markOAuthCodeUsed(hash, new Date(now));
  if (row.expiresAt.getTime() <= now) {
    return { ok: false, message: 'The authorization code expired. Start the sign-in again.' };
  }
  if (row.redirectUri !== v.redirectUri) {
    return { ok: false, message: 'redirect_uri does not match the one of the authorization request.' };
  }
  const challenge = nodeCrypto().createHash('sha256').update(v.codeVerifier).digest('base64url');
  const expected = Buffer.from(row.codeChallenge);
  const given = Buffer.from(challenge);
  if (given.length !== expected.length || !nodeCrypto().timingSafeEqual(given, expected)) {
    return { ok: false, message: 'code_verifier does not match the PKCE code_challenge.' };
  }
  return { ok: true, tokens: await issue(tx, env, row.oauthClientId, row.clientId, row.familyId, row.scope) };
}

/** The token row of a well-formed token of `kind`, or `undefined`. */
export async function findToken(tx: StoreTx, token: string, kind: 'access' | 'refresh') {
  const prefix = kind === 'access' ? ACCESS_TOKEN_PREFIX : REFRESH_TOKEN_PREFIX;
  if (token.length !== OAUTH_TOKEN_LENGTH || !token.startsWith(prefix)) return undefined;
  const hash = sha256Hex(token);
  const row = await tx.getOAuthToken(hash);
  if (row === undefined || row.kind !== kind || !sameHash(row.hash, hash)) return undefined;
  return row;
}

/** The `refresh_token` grant, with rotation and reuse detection. */
export async function refresh(
  tx: StoreTx,
  env: OAuthEnv,
  refreshToken: string,
  oauthClientId: string,
): Promise<GrantOutcome> {
  const row = await findToken(tx, refreshToken, 'refresh');
  const now = env.now();
  if (row === undefined || row.oauthClientId !== oauthClientId) {
    return { ok: false, message: 'The refresh token is unknown. Sign in again.' };
  }
  if (row.rotatedAt !== null) {
    // A rotated refresh token used again: someone else holds a copy. Revoke the whole family.
    await revokeFamily(tx, env, row.familyId);
    return {
      ok: false,
      message: 'The refresh token was already used; the sign-in is revoked. Sign in again.',
    };
  }
  if (row.revokedAt !== null || row.expiresAt.getTime() <= now) {
    return { ok: false, message: 'The refresh token is revoked or expired. Sign in again.' };
  }
  await tx.markOAuthTokenRotated(row.id, new Date(now));
  return { ok: true, tokens: await issue(tx, env, row.oauthClientId, row.clientId, row.familyId, row.scope) };
}

/** RFC 7009: revokes the token (a refresh token takes its family along). Unknown tokens are ignored. */
export async function revoke(
  tx: StoreTx,
  env: OAuthEnv,
  token: string,
  oauthClientId: string | undefined,
): Promise<void> {
  const kind = token.startsWith(REFRESH_TOKEN_PREFIX) ? 'refresh' : 'access';
  const row = await findToken(tx, token, kind);
  if (row === undefined) return;
  if (oauthClientId !== undefined && row.oauthClientId !== oauthClientId) return;
  if (kind === 'refresh') await revokeFamily(tx, env, row.familyId);
  else if ((await tx.revokeOAuthTokens({ id: row.id }, new Date(env.now()))) > 0) await env.revoked();
}

/** The mcpmux client id of a live access token, or `undefined`. */
export async function accessTokenClient(
  tx: StoreTx,
  token: string,
  now: number,
): Promise<string | undefined> {
  const row = await findToken(tx, token, 'access');
  if (row === undefined || row.revokedAt !== null || row.expiresAt.getTime() <= now) return undefined;
  return row.clientId;
}
