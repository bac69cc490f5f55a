import { checkSlug, McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { SecretScope, Vault } from '@mcpmux/vault';
import { targetSpace } from './lookup.js';

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Checks a secret name: 1-128 ASCII letters, digits, `_`, `.` or `-`, starting with a letter or `_`.
 * @throws `INVALID_INPUT` (field `name`).
 */
export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `secret name "${name}": use 1-128 ASCII letters, digits, "_", "." or "-", starting with a letter or "_".`,
      { data: { field: 'name' } },
    );
  }
}

/** Where a secret lives: one Space (default: the active one), or the global scope. */
export interface SecretTarget {
  serverId: string;
  /** The Space; default the active one. Ignored with `global`. */
  spaceId?: string;
  /** The global scope default-enabled servers fall back to. */
  global?: boolean;
}

/**
 * The vault scope of a {@link SecretTarget} and how to name it to people (`Space work`, `the global scope`).
 * @throws `NOT_FOUND` for an unknown Space; `INVALID_INPUT` for a bad server id.
 */
export async function resolveSecretScope(
  store: SpaceStore,
  target: SecretTarget,
): Promise<{ scope: SecretScope; where: string }> {
  checkSlug(target.serverId, 'server id');
  if (target.global === true) {
    return { scope: { global: true, serverId: target.serverId }, where: 'the global scope' };
  }
  const space = await targetSpace(store, target.spaceId);
  return { scope: { spaceId: space.id, serverId: target.serverId }, where: `Space ${space.id}` };
}

/**
 * Deletes one secret (what `mcpmux secret rm` does).
 * @throws `NOT_FOUND` naming the scope when there is no such secret.
 */
export async function removeSecret(
  store: SpaceStore,
  vault: Vault,
  target: SecretTarget,
  name: string,
): Promise<{ scope: SecretScope; where: string }> {
  const resolved = await resolveSecretScope(store, target);
  const deleted = await vault.delete(resolved.scope, name);
  if (!deleted) {
    throw new McpmuxError(
      'NOT_FOUND',
      `No secret ${name} for ${target.serverId} in ${resolved.where}. See \`mcpmux secret list --all\`.`,
      { data: { entity: 'secret', id: name } },
    );
  }
  return resolved;
}
