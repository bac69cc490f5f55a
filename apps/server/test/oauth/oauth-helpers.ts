import { createHash, randomBytes } from 'node:crypto';
import type { RunningServer } from '../../src/start.js';
import { raw } from '../helpers.js';

/** The base `http://127.0.0.1:PORT` of a running server. */
export function baseOf(server: RunningServer): string {
  return server.url.replace(/\/mcp$/, '');
}

/** A fresh PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Registers an app by Dynamic Client Registration; returns the raw answer and its JSON. */
export async function register(server: RunningServer, body: unknown) {
  const res = await raw(`${baseOf(server)}/oauth/register`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { ...res, json: JSON.parse(res.body) as Record<string, unknown> };
}

/** `GET /oauth/authorize` with these parameters (no redirect followed). */
export function authorize(
  server: RunningServer,
  params: Record<string, string | undefined>,
): ReturnType<typeof raw> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return raw(`${baseOf(server)}/oauth/authorize?${q}`, { method: 'GET' });
}

/** A form POST to the token or revocation endpoint. */
export async function form(server: RunningServer, path: string, fields: Record<string, string>) {
  const res = await raw(`${baseOf(server)}${path}`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(res.body) as Record<string, unknown>;
  } catch {}
  return { ...res, json };
}

/** The query parameters of a 302's Location. */
export function locationParams(headers: Record<string, string | string[] | undefined>): URLSearchParams {
  return new URL(String(headers.location)).searchParams;
}

/**
 * A whole sign-in without a browser: authorize (to the consent page), the admin approves as
 * `clientId`, then the code is exchanged. Returns the tokens and what the redirect carried.
 */
export async function signIn(
  server: RunningServer,
  app: { clientId: string; redirectUri: string },
  clientId: string,
) {
  const { verifier, challenge } = pkce();
  const res = await authorize(server, {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: app.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'xyz',
  });
  if (res.status !== 302) throw new Error(`authorize: ${res.status} ${res.body}`);
  const consentId = String(res.headers.location).split('/#/consent/')[1] ?? '';
  const { redirectTo } = await server.oauth.approve(consentId, clientId);
  const params = new URL(redirectTo).searchParams;
  const code = params.get('code') ?? '';
  const token = await form(server, '/oauth/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: app.redirectUri,
    client_id: app.clientId,
    code_verifier: verifier,
  });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.body}`);
  return {
    code,
    verifier,
    params,
    accessToken: String(token.json.access_token),
    refreshToken: String(token.json.refresh_token),
  };
}
