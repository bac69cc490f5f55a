/**
 * Storage of an upstream OAuth sign-in (`mcpmux login SERVER`) in the vault: one encrypted record
 * per Space and server holding the client registration, the tokens and their expiry. The record
 * is an ordinary secret under a reserved name, so it is encrypted, bound to its scope and deleted
 * with its Space or server like every other credential.
 */
import { McpmuxError } from '@mcpmux/core';
import { z } from 'zod';
import type { SecretScope, Vault } from './types.js';

/** The reserved secret name of the sign-in record. */
export const UPSTREAM_OAUTH_SECRET = 'mcpmux.oauth';

/** One upstream sign-in as stored in the vault. Objects from the OAuth server are kept as sent. */
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

/** See {@link UpstreamOAuthRecordSchema}. */
export type UpstreamOAuthRecord = z.infer<typeof UpstreamOAuthRecordSchema>;

/**
 * Reads the sign-in record of a server in a scope.
 *
 * @returns the record, or `undefined` when the server is not signed in there.
 * @throws `VAULT_LOCKED` when the record fails authentication; `INTERNAL` when it is not a record.
 */
export async function readUpstreamOAuth(
  vault: Vault,
  scope: SecretScope,
): Promise<UpstreamOAuthRecord | undefined> {
  const raw = await vault.get(scope, UPSTREAM_OAUTH_SECRET);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const result = UpstreamOAuthRecordSchema.safeParse(parsed);
  if (!result.success) {
    throw new McpmuxError(
      'INTERNAL',
      `The stored sign-in of server "${scope.serverId}" is unreadable: run \`mcpmux logout ${scope.serverId}\`, then \`mcpmux login ${scope.serverId}\`.`,
    );
  }
  return result.data;
}

/** Stores (replaces) the sign-in record of a server in a scope. */
export async function writeUpstreamOAuth(
  vault: Vault,
  scope: SecretScope,
  record: UpstreamOAuthRecord,
): Promise<void> {
  await vault.set(scope, UPSTREAM_OAUTH_SECRET, JSON.stringify(UpstreamOAuthRecordSchema.parse(record)));
}

/** Removes the sign-in record; false when there was none. */
export function deleteUpstreamOAuth(vault: Vault, scope: SecretScope): Promise<boolean> {
  return vault.delete(scope, UPSTREAM_OAUTH_SECRET);
}
