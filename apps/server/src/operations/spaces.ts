import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { requireSpace } from './lookup.js';

/** What deleting a Space removes (server definitions stay). */
export interface SpaceDeletionPreview {
  /** Servers installed in (or customised for) the Space. */
  installations: string[];
  /** Its custom FeatureSets (built-in ones go too). */
  featureSets: string[];
  grants: { clientId: string; setId: string }[];
  /** Secrets stored for the Space (names only). */
  secrets: { serverId: string; name: string }[];
  /** Clients pinned to it: they block the deletion until re-pinned. */
  pinnedClients: string[];
}

/**
 * What deleting Space `id` would remove: installations, custom sets, grants, secrets, and the
 * clients pinned to it (which must be re-pinned first).
 * @throws `NOT_FOUND` for an unknown Space.
 */
export async function spaceDeletionPreview(
  store: SpaceStore,
  vault: Vault,
  id: string,
): Promise<SpaceDeletionPreview> {
  await requireSpace(store, id);
  const [installations, sets, clients, secrets] = await Promise.all([
    store.listInstallations(id),
    store.listFeatureSets(id),
    store.listClients(),
    vault.list({ spaceId: id }),
  ]);
  const grants = (await Promise.all(clients.map((c) => store.listGrants(c.id, id)))).flat();
  return {
    installations: installations.map((i) => i.serverId),
    featureSets: sets.filter((s) => s.kind === 'custom').map((s) => s.id),
    grants: grants.map((g) => ({ clientId: g.clientId, setId: g.setId })),
    secrets: secrets.map((s) => ({ serverId: s.scope.serverId, name: s.name })),
    pinnedClients: clients.filter((c) => c.mode === 'pinned' && c.pinnedSpaceId === id).map((c) => c.id),
  };
}

/** One line naming what a deletion removes, e.g. `servers: a, b; sets: dev; 2 grants; secrets: TOKEN`. */
export function describeDeletion(p: SpaceDeletionPreview): string {
  const parts = [
    p.installations.length > 0 ? `servers: ${p.installations.join(', ')}` : '',
    p.featureSets.length > 0 ? `FeatureSets: ${p.featureSets.join(', ')}` : '',
    p.grants.length > 0 ? `${p.grants.length} grant${p.grants.length === 1 ? '' : 's'}` : '',
    p.secrets.length > 0 ? `secrets: ${p.secrets.map((s) => `${s.serverId}/${s.name}`).join(', ')}` : '',
  ].filter((s) => s !== '');
  return parts.length > 0 ? parts.join('; ') : 'nothing but the Space itself';
}

/**
 * Deletes a Space after the checks `mcpmux space delete` makes: not the active Space (the message
 * says which to switch to) and no client pinned to it (the store's `CONFLICT`).
 * @throws `NOT_FOUND`; `FORBIDDEN` for the active Space; `CONFLICT` when a client is pinned to it.
 */
export async function deleteSpace(store: SpaceStore, id: string): Promise<void> {
  const space = await requireSpace(store, id);
  if (space.active) {
    const others = (await store.listSpaces()).filter((s) => s.id !== id).map((s) => s.id);
    throw new McpmuxError(
      'FORBIDDEN',
      others.length > 0
        ? `Space "${id}" is active. Switch first with \`mcpmux space use ${others[0]}\`, then delete it.`
        : `Space "${id}" is the only Space. Create another with \`mcpmux space create ID\` and switch to it first.`,
      { data: { entity: 'space', id } },
    );
  }
  await store.deleteSpace(id);
}
