// mcpmux as the OAuth 2.1 authorization server of its own /mcp endpoint (DESIGN §11): metadata
// (RFC 9728, RFC 8414), registration (RFC 7591 and Client ID Metadata Documents), authorization
// code + PKCE S256 with a consent page in the console, tokens with rotation, revocation (RFC 7009).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { isMcpmuxError, McpmuxError } from '@mcpmux/core';
import type { OAuthClient, SpaceStore } from '@mcpmux/space-store';
import { isLoopbackAddress } from '../internal/metrics-access.js';
import { parsePublicUrl } from '../internal/public-url.js';
import { type CimdOptions, createCimdResolver, looksLikeCimd } from './cimd.js';
import { createRateLimiter } from './rate-limit.js';
import { isAllowedRedirectUri } from './redirect-uri.js';

/** Paths of the OAuth endpoints. */
export const OAUTH_PATHS = {
  protectedResource: '/.well-known/oauth-protected-resource',
  protectedResourceMcp: '/.well-known/oauth-protected-resource/mcp',
  authorizationServer: '/.well-known/oauth-authorization-server',
  authorizationServerMcp: '/.well-known/oauth-authorization-server/mcp',
  register: '/oauth/register',
  authorize: '/oauth/authorize',
  token: '/oauth/token',
  revoke: '/oauth/revoke',
} as const;

const ALL_PATHS = new Set<string>(Object.values(OAUTH_PATHS));
/** How long a sign-in waits on the consent page: 10 minutes. */
export const CONSENT_TTL_MS = 10 * 60 * 1000;
const MAX_FORM_BYTES = 16 * 1024;
const MAX_PENDING = 1000;

/** A sign-in waiting for the admin's decision on the console's consent page. */
export interface ConsentRequest {
  id: string;
  /** The app's OAuth `client_id`. */
  oauthClientId: string;
  /** The app's name as it registered (untrusted: shown as the app's claim). */
  appName: string;
  /** How the app registered. */
  registration: OAuthClient['kind'];
  /** Where the app gets the answer. */
  redirectUri: string;
  scope?: string;
  expiresAt: Date;
}

/** The admin's decision on a consent request: where to send the browser next. */
export interface ConsentOutcome {
  /** The app's redirect URI with `code` (or `error=access_denied`), `state` and `iss`. */
  redirectTo: string;
}

/** Options of {@link createOAuthServer}. */
export interface OAuthServerOptions {
  store: SpaceStore;
  /** Client ID Metadata Document fetching (test option: loopback http). */
  cimd?: CimdOptions;
  /** Requests per minute per IP address on each endpoint. Default 60. */
  rateLimitPerMinute?: number;
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  /**
   * The URL clients reach the gateway at through a load balancer or TLS proxy
   * (`https://mcp.example.com`): the issuer, the endpoints and the resource (`<publicUrl>/mcp`) of
   * the metadata, whatever Host a request carries. A request from a loopback peer (the proxy on this
   * machine) is rate-limited by its `X-Real-IP` header, which the proxy sets. Default none: the
   * request's Host over http.
   */
  publicUrl?: string;
}

/** The OAuth endpoints and the consent requests they create. */
export interface OAuthServer {
  /** True for the OAuth and well-known metadata paths. */
  handles(path: string): boolean;
  /** Serves one request (the HTTP server has checked its Host). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void>;
  /** The `WWW-Authenticate` value of a 401 on `/mcp`: names the protected-resource metadata. */
  challenge(req: IncomingMessage): string;
  /** A pending consent request, or `undefined` when unknown or expired. */
  getConsent(id: string): ConsentRequest | undefined;
  /**
   * Approves a consent request: the app becomes the mcpmux client `clientId` (which must exist;
   * set its mode and grants first). Single use.
   * @throws `NOT_FOUND` when the request is unknown, expired or already decided.
   */
  approve(id: string, clientId: string): Promise<ConsentOutcome>;
  /** Denies a consent request (the app gets `access_denied`). @throws `NOT_FOUND` as for `approve`. */
  deny(id: string): ConsentOutcome;
}

interface Pending extends ConsentRequest {
  codeChallenge: string;
  state: string | undefined;
  resource: string | undefined;
  issuer: string;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function oauthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  json(res, status, { error, error_description: description }, headers);
}

/** A plain-text page for errors that must not go back to an unverified redirect URI. */
function page(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        failed = true;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      if (!failed) {
        failed = true;
        resolve(undefined);
      }
    });
  });
}

/** The `scheme://host[:port]` clients used to reach this server (the Host header was checked). */
function hostUrl(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}`;
}

/** The address requests are rate-limited by: the proxy's `X-Real-IP` behind a local proxy, else the peer. */
function clientAddress(req: IncomingMessage, behindProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!behindProxy || !isLoopbackAddress(peer)) return peer;
  const real = req.headers['x-real-ip'];
  return typeof real === 'string' && isIP(real.trim()) !== 0 ? real.trim() : peer;
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * Creates mcpmux's OAuth authorization server for `/mcp`. Public clients only (PKCE S256 required;
 * `plain` and missing challenges refused), exact redirect URI match, `state` echoed and `iss` in
 * every authorization response. `/oauth/authorize` sends the browser to the console's consent page
 * (`/#/consent/<id>`); the admin API decides with {@link OAuthServer.approve} / `deny`.
 *
 * @throws `INVALID_INPUT` for a malformed `publicUrl`.
 * @example
 * ```ts
 * const oauth = createOAuthServer({ store });
 * const http = createMcpHttpServer({ gateway, authenticate: (k) => store.authenticate(k), oauth });
 * ```
 */
export function createOAuthServer(options: OAuthServerOptions): OAuthServer {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cimd = createCimdResolver({ ...options.cimd, now });
  const allowLoopbackCimd = options.cimd?.allowLoopbackHttp === true;
  const perMinute = options.rateLimitPerMinute ?? 60;
  const publicOrigin = options.publicUrl === undefined ? undefined : parsePublicUrl(options.publicUrl).origin;
  const baseUrl = (req: IncomingMessage): string => publicOrigin ?? hostUrl(req);
  const limiters = new Map<string, ReturnType<typeof createRateLimiter>>();
  const pending = new Map<string, Pending>();

  function limited(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    let limiter = limiters.get(path);
    if (limiter === undefined) {
      limiter = createRateLimiter(perMinute, now);
      limiters.set(path, limiter);
    }
    const wait = limiter.take(clientAddress(req, publicOrigin !== undefined));
    if (wait === 0) return false;
    req.resume();
    oauthError(res, 429, 'slow_down', `Too many requests; try again in ${wait} s.`, {
      'retry-after': String(wait),
    });
    return true;
  }

  function metadata(base: string) {
    return {
      issuer: base,
      authorization_endpoint: `${base}${OAUTH_PATHS.authorize}`,
      token_endpoint: `${base}${OAUTH_PATHS.token}`,
      registration_endpoint: `${base}${OAUTH_PATHS.register}`,
      revocation_endpoint: `${base}${OAUTH_PATHS.revoke}`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      service_documentation: 'https://github.com/mcpmux/mcpmux/blob/main/docs/clients.md',
    };
  }

  /** The app behind `client_id`: registered by DCR, or its metadata document (registered on the way). */
  async function resolveClient(clientId: string): Promise<OAuthClient | undefined> {
    if (looksLikeCimd(clientId, allowLoopbackCimd)) {
      const meta = await cimd.resolve(clientId);
      const known = await store.getOAuthClient(clientId);
      if (
        known !== undefined &&
        known.name === meta.name &&
        known.redirectUris.join('\n') === meta.redirectUris.join('\n')
      ) {
        return known;
      }
      return store.registerOAuthClient({
        kind: 'cimd',
        id: clientId,
        name: meta.name,
        redirectUris: meta.redirectUris,
      });
    }
    return store.getOAuthClient(clientId);
  }

  async function handleRegister(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      return oauthError(res, 405, 'invalid_request', 'Use POST with a JSON client metadata document.');
    }
    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text ?? '') as Record<string, unknown>;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return oauthError(res, 400, 'invalid_client_metadata', 'The body must be a JSON object (RFC 7591).');
    }
    const uris = body.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || uris.some((u) => typeof u !== 'string')) {
      return oauthError(res, 400, 'invalid_redirect_uri', 'redirect_uris must be a non-empty array of URLs.');
    }
    const bad = (uris as string[]).find((u) => !isAllowedRedirectUri(u));
    if (bad !== undefined) {
      return oauthError(
        res,
        400,
        'invalid_redirect_uri',
        `Redirect URI ${bad.slice(0, 200)} is refused: use https, or http on 127.0.0.1, [::1] or localhost.`,
      );
    }
    const method = body.token_endpoint_auth_method;
    if (method !== undefined && method !== 'none') {
      return oauthError(
        res,
        400,
        'invalid_client_metadata',
        'mcpmux registers public clients only: token_endpoint_auth_method must be "none" (PKCE protects the code).',
      );
    }
    const name =
      typeof body.client_name === 'string' && body.client_name.trim() !== '' ? body.client_name : undefined;
    let client: OAuthClient;
    try {
      client = await store.registerOAuthClient({
        kind: 'dcr',
        ...(name === undefined ? {} : { name: name.slice(0, 200) }),
        redirectUris: uris as string[],
      });
    } catch (err) {
      if (isMcpmuxError(err, 'INVALID_INPUT'))
        return oauthError(res, 400, 'invalid_client_metadata', err.message);
      throw err;
    }
    json(res, 201, {
      client_id: client.id,
      client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
      client_name: client.name,
      redirect_uris: client.redirectUris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
  }

  async function handleAuthorize(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    req.resume();
    if (req.method !== 'GET') return oauthError(res, 405, 'invalid_request', 'Use GET.');
    const q = new URLSearchParams(search);
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const issuer = baseUrl(req);
    let client: OAuthClient | undefined;
    try {
      client = clientId === '' ? undefined : await resolveClient(clientId);
    } catch (err) {
      if (isMcpmuxError(err, 'INVALID_INPUT')) return page(res, 400, `Sign-in refused: ${err.message}`);
      throw err;
    }
    if (client === undefined) {
      return page(
        res,
        400,
        'Sign-in refused: this app is not registered with mcpmux (unknown client_id). Start the sign-in again from the app.',
      );
    }
    // Never redirect to a URI the app did not register (RFC 6749 §4.1.2.1): an error page instead.
    if (!client.redirectUris.includes(redirectUri)) {
      return page(
        res,
        400,
        'Sign-in refused: redirect_uri is not one the app registered (exact match required). Start the sign-in again from the app.',
      );
    }
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) => {
      res.writeHead(302, {
        location: withParams(redirectUri, { error, error_description: description, state, iss: issuer }),
        'cache-control': 'no-store',
      });
      res.end();
    };
    if (q.get('response_type') !== 'code') {
      return fail('unsupported_response_type', 'mcpmux supports response_type=code only.');
    }
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method');
    if (challenge === null || challenge === '') {
      return fail(
        'invalid_request',
        'PKCE is required: send code_challenge with code_challenge_method=S256.',
      );
    }
    if (method !== 'S256') {
      return fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail(
        'invalid_request',
        'code_challenge must be the base64url SHA-256 of the verifier (43 characters).',
      );
    }
    const resource = q.get('resource') ?? undefined;
    if (resource !== undefined && resource.replace(/\/$/, '') !== `${issuer}/mcp`) {
      return fail('invalid_target', `resource must be ${issuer}/mcp.`);
    }
    const t = now();
    for (const [id, p] of pending) if (p.expiresAt.getTime() <= t) pending.delete(id);
    if (pending.size >= MAX_PENDING) {
      return fail('temporarily_unavailable', 'Too many sign-ins are waiting for consent; try again later.');
    }
    const id = randomBytes(16).toString('base64url');
    const scope = q.get('scope') ?? undefined;
    pending.set(id, {
      id,
      oauthClientId: client.id,
      appName: client.name,
      registration: client.kind,
      redirectUri,
      ...(scope === undefined ? {} : { scope }),
      expiresAt: new Date(t + CONSENT_TTL_MS),
      codeChallenge: challenge,
      state,
      resource,
      issuer,
    });
    res.writeHead(302, { location: `${issuer}/#/consent/${id}`, 'cache-control': 'no-store' });
    res.end();
  }

  function clientIdOf(req: IncomingMessage, form: URLSearchParams): string | undefined {
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return decodeURIComponent(colon === -1 ? decoded : decoded.slice(0, colon));
    }
    return form.get('client_id') ?? undefined;
  }

  async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
    if (req.method !== 'POST') {
      req.resume();
      oauthError(res, 405, 'invalid_request', 'Use POST with application/x-www-form-urlencoded.');
      return undefined;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      oauthError(res, 400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');
      return undefined;
    }
    const text = await readBody(req);
    if (text === undefined) {
      oauthError(res, 413, 'invalid_request', `The body exceeds ${MAX_FORM_BYTES} bytes.`);
      return undefined;
    }
    return new URLSearchParams(text);
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req, res);
    if (form === undefined) return;
    const clientId = clientIdOf(req, form);
    if (clientId === undefined || clientId === '') {
      return oauthError(res, 401, 'invalid_client', 'client_id is required.');
    }
    const grant = form.get('grant_type');
    try {
      let tokens: Awaited<ReturnType<SpaceStore['exchangeAuthorizationCode']>>;
      if (grant === 'authorization_code') {
        const verifier = form.get('code_verifier');
        if (verifier === null) {
          return oauthError(res, 400, 'invalid_request', 'code_verifier is required (PKCE).');
        }
        tokens = await store.exchangeAuthorizationCode({
          code: form.get('code') ?? '',
          oauthClientId: clientId,
          redirectUri: form.get('redirect_uri') ?? '',
          codeVerifier: verifier,
        });
      } else if (grant === 'refresh_token') {
        tokens = await store.refreshOAuthTokens(form.get('refresh_token') ?? '', clientId);
      } else {
        return oauthError(
          res,
          400,
          'unsupported_grant_type',
          'grant_type must be authorization_code or refresh_token.',
        );
      }
      json(res, 200, {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
        ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
      });
    } catch (err) {
      if (isMcpmuxError(err, 'UNAUTHORIZED')) return oauthError(res, 400, 'invalid_grant', err.message);
      throw err;
    }
  }

  async function handleRevoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req, res);
    if (form === undefined) return;
    const token = form.get('token');
    if (token === null || token === '') return oauthError(res, 400, 'invalid_request', 'token is required.');
    const clientId = clientIdOf(req, form);
    await store.revokeOAuthToken(token, clientId === '' ? undefined : clientId);
    json(res, 200, {});
  }

  function take(id: string): Pending {
    const p = pending.get(id);
    pending.delete(id);
    if (p === undefined || p.expiresAt.getTime() <= now()) {
      throw new McpmuxError(
        'NOT_FOUND',
        'This sign-in request is unknown, expired or already decided. Start the sign-in again from the app.',
        { data: { entity: 'consent', id } },
      );
    }
    return p;
  }

  return {
    handles: (path) => ALL_PATHS.has(path),
    async handle(req, res, path, search) {
      if (limited(req, res, path)) return;
      const base = baseUrl(req);
      switch (path) {
        case OAUTH_PATHS.protectedResource:
        case OAUTH_PATHS.protectedResourceMcp:
          req.resume();
          return json(
            res,
            200,
            {
              resource: `${base}/mcp`,
              authorization_servers: [base],
              bearer_methods_supported: ['header'],
              resource_name: 'mcpmux',
              resource_documentation: 'https://github.com/mcpmux/mcpmux/blob/main/docs/clients.md',
            },
            { 'cache-control': 'max-age=300' },
          );
        case OAUTH_PATHS.authorizationServer:
        case OAUTH_PATHS.authorizationServerMcp:
          req.resume();
          return json(res, 200, metadata(base), { 'cache-control': 'max-age=300' });
        case OAUTH_PATHS.register:
          return handleRegister(req, res);
        case OAUTH_PATHS.authorize:
          return handleAuthorize(req, res, search);
        case OAUTH_PATHS.token:
          return handleToken(req, res);
        case OAUTH_PATHS.revoke:
          return handleRevoke(req, res);
        default:
          req.resume();
          return oauthError(res, 404, 'invalid_request', 'Not found.');
      }
    },
    challenge(req) {
      return `Bearer resource_metadata="${baseUrl(req)}${OAUTH_PATHS.protectedResourceMcp}"`;
    },
    getConsent(id) {
      const p = pending.get(id);
      if (p === undefined || p.expiresAt.getTime() <= now()) return undefined;
      return {
        id: p.id,
        oauthClientId: p.oauthClientId,
        appName: p.appName,
        registration: p.registration,
        redirectUri: p.redirectUri,
        ...(p.scope === undefined ? {} : { scope: p.scope }),
        expiresAt: p.expiresAt,
      };
    },
    async approve(id, clientId) {
      const p = take(id);
      let code: string;
      try {
        code = await store.createAuthorizationCode({
          oauthClientId: p.oauthClientId,
          clientId,
          redirectUri: p.redirectUri,
          codeChallenge: p.codeChallenge,
          ...(p.resource === undefined ? {} : { resource: p.resource }),
          ...(p.scope === undefined ? {} : { scope: p.scope }),
        });
      } catch (err) {
        // Still undecided: the admin may pick another client.
        pending.set(id, p);
        throw err;
      }
      return { redirectTo: withParams(p.redirectUri, { code, state: p.state, iss: p.issuer }) };
    },
    deny(id) {
      const p = take(id);
      return {
        redirectTo: withParams(p.redirectUri, {
          error: 'access_denied',
          error_description: 'The mcpmux admin denied the sign-in.',
          state: p.state,
          iss: p.issuer,
        }),
      };
    },
  };
}
