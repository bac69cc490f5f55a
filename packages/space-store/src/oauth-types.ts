import { SlugSchema } from '@mcpmux/core/schemas';
import { z } from 'zod';

/** How an OAuth client (an app signing in to mcpmux) was registered: RFC 7591 DCR or a Client ID Metadata Document. */
export const OAuthClientKindSchema = z.enum(['dcr', 'cimd']);
/** See {@link OAuthClientKindSchema}. */
export type OAuthClientKind = z.infer<typeof OAuthClientKindSchema>;

const RedirectUriSchema = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((v) => URL.canParse(v), 'must be an absolute URL');

/**
 * Input of `SpaceStore.registerOAuthClient`. A DCR client gets a generated id; a CIMD client's id is
 * the https URL of its metadata document (registering it again refreshes its metadata).
 *
 * @example
 * ```ts
 * OAuthClientInputSchema.parse({ kind: 'dcr', name: 'Claude Code', redirectUris: ['http://127.0.0.1:5173/cb'] });
 * ```
 */
export const OAuthClientInputSchema = z
  .object({
    kind: OAuthClientKindSchema,
    id: z.string().max(2000, 'must be at most 2000 characters').optional(),
    name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    redirectUris: z.array(RedirectUriSchema).min(1, 'at least one redirect URI').max(20, 'at most 20'),
  })
  .refine((v) => (v.kind === 'cimd') === (v.id !== undefined), {
    message: 'a CIMD client needs its metadata URL as id; a DCR client gets a generated id',
    path: ['id'],
  });
/** See {@link OAuthClientInputSchema}. */
export type OAuthClientInput = z.input<typeof OAuthClientInputSchema>;

/** An app registered to sign in to mcpmux with OAuth. */
export interface OAuthClient {
  /** The OAuth `client_id`: generated for DCR, the metadata document's URL for CIMD. */
  id: string;
  kind: OAuthClientKind;
  /** The app's name as it registered (shown on the consent page). */
  name: string;
  /** The redirect URIs the authorization endpoint accepts (exact match). */
  redirectUris: string[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Input of `SpaceStore.createAuthorizationCode`: what the admin approved on the consent page.
 *
 * @example
 * ```ts
 * const code = await store.createAuthorizationCode({
 *   oauthClientId, clientId: 'claude-code', redirectUri, codeChallenge,
 * });
 * ```
 */
export const AuthorizationCodeInputSchema = z.object({
  oauthClientId: z.string().min(1).max(2000),
  /** The mcpmux client the app becomes (its mode and grants apply to the tokens). */
  clientId: SlugSchema,
  redirectUri: RedirectUriSchema,
  /** The PKCE S256 challenge: base64url of SHA-256 of the verifier, 43 characters. */
  codeChallenge: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be an S256 challenge (43 base64url characters)'),
  resource: z.string().max(2000).optional(),
  scope: z.string().max(1000).optional(),
});
/** See {@link AuthorizationCodeInputSchema}. */
export type AuthorizationCodeInput = z.input<typeof AuthorizationCodeInputSchema>;

/**
 * Input of `SpaceStore.exchangeAuthorizationCode` (the token endpoint's `authorization_code` grant).
 *
 * @example
 * ```ts
 * const tokens = await store.exchangeAuthorizationCode({ code, oauthClientId, redirectUri, codeVerifier });
 * ```
 */
export const CodeExchangeInputSchema = z.object({
  code: z.string().min(1).max(200),
  oauthClientId: z.string().min(1).max(2000),
  redirectUri: z.string().min(1).max(2000),
  /** The PKCE verifier (RFC 7636: 43 to 128 unreserved characters). */
  codeVerifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be 43 to 128 unreserved characters'),
});
/** See {@link CodeExchangeInputSchema}. */
export type CodeExchangeInput = z.input<typeof CodeExchangeInputSchema>;

/** Tokens issued to an app (returned once; only their SHA-256 is stored). */
export interface OAuthTokenSet {
  /** Opaque bearer token for `/mcp`: `mcpmux_at_` then 43 base64url characters. */
  accessToken: string;
  /** Opaque, single-use refresh token: `mcpmux_rt_` then 43 base64url characters. */
  refreshToken: string;
  /** Seconds until the access token expires (3600). */
  expiresIn: number;
  /** The mcpmux client the tokens act as. */
  clientId: string;
  scope?: string;
}
