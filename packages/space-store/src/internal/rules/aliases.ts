import { ALIAS_MAX_LENGTH } from '@mcpmux/core';
import { conflict } from '../errors.js';

/** The default alias of a server: its id truncated to {@link ALIAS_MAX_LENGTH} characters. */
export function defaultAlias(serverId: string): string {
  return serverId.slice(0, ALIAS_MAX_LENGTH);
}

/**
 * The server (other than `serverId`) that holds `alias` in a Space, if any: an installation row
 * with that alias, or a default-enabled server without a row in the Space whose default alias it is.
 *
 * @param installations - the Space's installation rows.
 * @param defaultEnabled - ids of every default-enabled server.
 */
export function aliasOwner(
  alias: string,
  serverId: string,
  installations: readonly { serverId: string; alias: string }[],
  defaultEnabled: readonly string[],
): string | undefined {
  const installed = installations.find((i) => i.alias === alias && i.serverId !== serverId);
  if (installed !== undefined) return installed.serverId;
  const rows = new Set(installations.map((i) => i.serverId));
  return defaultEnabled.find((id) => id !== serverId && defaultAlias(id) === alias && !rows.has(id));
}

/**
 * Refuses to make `serverId` default-enabled where its default alias is taken: by another
 * default-enabled server (they would clash in every future Space), or by an installation in a
 * Space where `serverId` has no row of its own.
 *
 * @param defaultEnabled - ids of every default-enabled server.
 * @param holders - every installation (any Space) whose alias is `defaultAlias(serverId)`.
 * @param ownRows - the Spaces where `serverId` has an installation row.
 * @throws `CONFLICT` naming the other server (and Space).
 */
export function checkDefaultAlias(
  serverId: string,
  defaultEnabled: readonly string[],
  holders: readonly { spaceId: string; serverId: string }[],
  ownRows: ReadonlySet<string>,
): void {
  const alias = defaultAlias(serverId);
  const twin = defaultEnabled.find((id) => id !== serverId && defaultAlias(id) === alias);
  if (twin !== undefined) {
    throw conflict(
      `Default-enabled server "${twin}" already uses the alias "${alias}" in every Space. Choose a server id that differs in its first ${ALIAS_MAX_LENGTH} characters.`,
      { entity: 'server', alias, serverId: twin },
    );
  }
  const clash = holders.find((h) => h.serverId !== serverId && !ownRows.has(h.spaceId));
  if (clash !== undefined) {
    throw conflict(
      `Alias "${alias}" of default-enabled server "${serverId}" is already used by server "${clash.serverId}" in Space "${clash.spaceId}". Give that installation another alias (\`--alias\`) first.`,
      { entity: 'installation', alias, serverId: clash.serverId, spaceId: clash.spaceId },
    );
  }
}
