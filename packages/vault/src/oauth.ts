/**
 * Storage of an upstream OAuth sign-in (`mcpmux login SERVER`) in the vault: one encrypted record
 * per Space and server holding the client registration, the tokens and their expiry. The record
 * is an ordinary secret under a reserved name, so it is encrypted, bound to its scope and deleted
 * with its Space or server like every other credential.
 */
import { McpmuxError } from '@mcpmux/core';
import type { z } from 'zod';
import type { UpstreamOAuthRecordSchema } from './schemas.js';
import type { SecretScope, Vault } from './types.js';

/** The reserved secret name of the sign-in record. */
export const UPSTREAM_OAUTH_SECRET = 'mcpmux.oauth';

/**
 * One upstream sign-in as stored in the vault: `v: 1`, `loginId`, `serverUrl`, `signedInAt`, and the
 * optional `clientInformation`, `tokens`, `expiresAt` and `discovery` (objects from the OAuth server
 * kept as sent). The zod schema is `UpstreamOAuthRecordSchema` in `@mcpmux/vault/schemas`.
 */
export type UpstreamOAuthRecord = z.infer<typeof UpstreamOAuthRecordSchema>;

/** The record's schema, loaded (with zod) the first time a sign-in is read or written. */
async function recordSchema(): Promise<typeof UpstreamOAuthRecordSchema> {
  return (await import('./schemas.js')).UpstreamOAuthRecordSchema;
}

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
  const result = (await recordSchema()).safeParse(parsed);
  if (!result.success) {
    throw new McpmuxError(
      'INTERNAL',
      `The stored sign-in of server "${scope.serverId}" is unreadable: run \`mcpmux logout ${scope.serverId}\`, then \`mcpmux login ${scope.serverId}\`.`,
    );
  }
  return result.data;
}

/**
 * Stores (replaces) the sign-in record of a server in a scope.
 *
 * @throws a `ZodError` when `record` is not an {@link UpstreamOAuthRecord}; errors of `vault.set`.
 */
export async function writeUpstreamOAuth(
  vault: Vault,
  scope: SecretScope,
  record: UpstreamOAuthRecord,
): Promise<void> {
  await vault.set(scope, UPSTREAM_OAUTH_SECRET, JSON.stringify((await recordSchema()).parse(record)));
}

/** Removes the sign-in record; false when there was none. */
export function deleteUpstreamOAuth(vault: Vault, scope: SecretScope): Promise<boolean> {
  return vault.delete(scope, UPSTREAM_OAUTH_SECRET);
}
