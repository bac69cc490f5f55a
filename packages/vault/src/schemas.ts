// `@mcpmux/vault/schemas`: the vault's zod schemas, for embedders that compose or parse with them.
// The root entry loads no zod (a short-lived command pays ~100 ms for it): the vault checks the same
// rules by hand (`./internal/checks.ts`), and checks.test.ts holds the two equal, message and field.
import { SlugSchema } from '@mcpmux/core/schemas';
import { z } from 'zod';
import { SCRYPT_BOUNDS, SECRET_NAME_MESSAGE, SECRET_NAME_PATTERN } from './internal/checks.js';

/**
 * A secret name: an ASCII letter or `_`, then up to 127 ASCII letters, digits, `_`, `.` or `-`.
 * Names are stored exactly as given (no case folding, no Unicode normalisation), so `API_KEY` and
 * `api_key` are two names; `../`, NUL, whitespace and non-ASCII look-alikes are rejected.
 *
 * @example
 * ```ts
 * import { SecretNameSchema } from '@mcpmux/vault/schemas';
 * SecretNameSchema.parse('GITHUB_TOKEN'); // 'GITHUB_TOKEN'
 * ```
 */
export const SecretNameSchema = z.string().regex(SECRET_NAME_PATTERN, SECRET_NAME_MESSAGE);

/**
 * Where a secret lives: one server inside one Space, or one server in the global scope that
 * default-enabled servers fall back to. The type is `SecretScope` in `@mcpmux/vault`.
 *
 * @example
 * ```ts
 * import { SecretScopeSchema } from '@mcpmux/vault/schemas';
 * SecretScopeSchema.parse({ spaceId: 'work', serverId: 'github' });
 * SecretScopeSchema.parse({ global: true, serverId: 'search' });
 * ```
 */
export const SecretScopeSchema = z.union([
  z.object({ spaceId: SlugSchema, serverId: SlugSchema }).strict(),
  z.object({ global: z.literal(true), serverId: SlugSchema }).strict(),
]);

/** What a data key belongs to: one Space, or the global scope. The type is `DataKeyScope` in `@mcpmux/vault`. */
export const DataKeyScopeSchema = z.union([
  z.object({ spaceId: SlugSchema }).strict(),
  z.object({ global: z.literal(true) }).strict(),
]);

/** Filter of `Vault.list`: every given field must match. The type is `SecretListFilter` in `@mcpmux/vault`. */
export const SecretListFilterSchema = z
  .object({ spaceId: SlugSchema.optional(), serverId: SlugSchema.optional(), global: z.boolean().optional() })
  .strict();

/**
 * What `Vault.list` returns for one secret: where it is and when it changed, never its value. The
 * type is `SecretInfo` in `@mcpmux/vault`.
 */
export const SecretInfoSchema = z.object({
  scope: SecretScopeSchema,
  name: SecretNameSchema,
  /** Starts at 1 and grows by one on every `set` of this name in this scope. */
  version: z.number().int().positive(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

/** The KDF parameters stored with a passphrase-protected vault. The type is `ScryptParams` in `@mcpmux/vault`. */
export const ScryptParamsSchema = z
  .object({
    algorithm: z.literal('scrypt'),
    /** CPU/memory cost, a power of two between 2^10 and 2^20. */
    N: z
      .number()
      .int()
      .min(SCRYPT_BOUNDS.N.min)
      .max(SCRYPT_BOUNDS.N.max)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(SCRYPT_BOUNDS.r.min).max(SCRYPT_BOUNDS.r.max),
    p: z.number().int().min(SCRYPT_BOUNDS.p.min).max(SCRYPT_BOUNDS.p.max),
    /** Base64 of at least 16 random bytes. */
    salt: z.string().min(SCRYPT_BOUNDS.saltMinLength),
  })
  .strict();

/**
 * One upstream sign-in as stored in the vault (`mcpmux login SERVER`). Objects from the OAuth server
 * are kept as sent. The type is `UpstreamOAuthRecord` in `@mcpmux/vault`; `readUpstreamOAuth` and
 * `writeUpstreamOAuth` load this schema when they run.
 */
export const UpstreamOAuthRecordSchema = z
  .object({
    v: z.literal(1),
    /** Random per `mcpmux login`; stays the same across refreshes (a new login restarts the upstream). */
    loginId: z.string().min(1),
    /** The MCP server URL the sign-in belongs to. */
    serverUrl: z.string().url(),
    /** The client registration (DCR response or CIMD client id). */
    clientInformation: z.record(z.string(), z.unknown()).optional(),
    /** The token response (`access_token`, `refresh_token`, `expires_in`, ...). */
    tokens: z.record(z.string(), z.unknown()).optional(),
    /** When the access token expires, ms since the epoch (from `expires_in` at the time it was saved). */
    expiresAt: z.number().int().optional(),
    /** Discovery results (authorization server URL and metadata, protected resource metadata). */
    discovery: z.record(z.string(), z.unknown()).optional(),
    /** When the user signed in (ms since the epoch). */
    signedInAt: z.number().int(),
  })
  .strict();
