import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { requireServer, targetSpace } from './lookup.js';

/**
 * Deletes a server definition from every Space, with its secrets in every scope (what
 * `mcpmux server remove ID --everywhere` does).
 * @throws `NOT_FOUND` for an unknown server.
 */
export async function deleteServerEverywhere(store: SpaceStore, vault: Vault, id: string): Promise<void> {
  await requireServer(store, id);
  await store.deleteServer(id);
  for (const s of await vault.list({ serverId: id })) await vault.delete(s.scope, s.name);
}

/**
 * Uninstalls a server from a Space (default: the active one) with its secrets there (what
 * `mcpmux server remove ID --space S` does). A default-enabled server that is not installed there
 * is refused with how to hide it instead.
 * @returns the Space id.
 * @throws `NOT_FOUND` for an unknown server or Space, or a server not installed there.
 */
export async function uninstallServer(
  store: SpaceStore,
  vault: Vault,
  spaceId: string | undefined,
  id: string,
): Promise<string> {
  const def = await requireServer(store, id);
  const space = await targetSpace(store, spaceId);
  const installed = (await store.listInstallations(space.id)).some((i) => i.serverId === id);
  if (!installed) {
    throw new McpmuxError(
      'NOT_FOUND',
      def.defaultEnabled
        ? `Server "${id}" is default-enabled, not installed in Space "${space.id}". Hide it here with \`mcpmux server disable ${id} --space ${space.id}\`, or delete it with --everywhere.`
        : `Server "${id}" is not installed in Space "${space.id}". See \`mcpmux server list --space ${space.id}\`.`,
      { data: { entity: 'installation', id } },
    );
  }
  await store.uninstall(space.id, id);
  for (const s of await vault.list({ spaceId: space.id, serverId: id })) await vault.delete(s.scope, s.name);
  return space.id;
}
