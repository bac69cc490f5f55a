import { McpmuxError } from '@mcpmux/core';
import type { Client, ServerDefinition, Space, SpaceStore } from '@mcpmux/space-store';

/**
 * The Space `id`, or `NOT_FOUND` naming the existing Spaces (and how to create it).
 * @example
 * ```ts
 * const space = await requireSpace(store, 'work');
 * ```
 */
export async function requireSpace(store: SpaceStore, id: string): Promise<Space> {
  const space = await store.getSpace(id);
  if (space) return space;
  const spaces = await store.listSpaces();
  const names = spaces.map((s) => (s.active ? `${s.id} (active)` : s.id)).join(', ');
  throw new McpmuxError(
    'NOT_FOUND',
    `Space "${id}" does not exist. Spaces: ${names || 'none'}. Create it with \`mcpmux space create ${id}\`.`,
    { data: { entity: 'space', id } },
  );
}

/**
 * The given Space (checked with {@link requireSpace}), else the active one.
 * @throws `NOT_FOUND` when no Space exists.
 */
export async function targetSpace(store: SpaceStore, id: string | undefined): Promise<Space> {
  if (id !== undefined) return requireSpace(store, id);
  const active = await store.getActiveSpace();
  if (!active) {
    throw new McpmuxError(
      'NOT_FOUND',
      'There is no Space yet. Run `mcpmux init` or `mcpmux space create ID`.',
      {
        data: { entity: 'space' },
      },
    );
  }
  return active;
}

/** The client `id`, or `NOT_FOUND` naming the existing clients. */
export async function requireClient(store: SpaceStore, id: string): Promise<Client> {
  const client = await store.getClient(id);
  if (client) return client;
  const clients = await store.listClients();
  throw new McpmuxError(
    'NOT_FOUND',
    `Client "${id}" does not exist. Clients: ${clients.map((c) => c.id).join(', ') || 'none'}. Add it with \`mcpmux client add ${id}\`.`,
    { data: { entity: 'client', id } },
  );
}

/** The server definition `id`, or `NOT_FOUND` naming the defined servers. */
export async function requireServer(store: SpaceStore, id: string): Promise<ServerDefinition> {
  const def = await store.getServer(id);
  if (def) return def;
  const ids = (await store.listServers()).map((s) => s.id);
  throw new McpmuxError(
    'NOT_FOUND',
    `Server "${id}" is not defined. Servers: ${ids.join(', ') || 'none'}. Add it with \`mcpmux server add ${id}\`.`,
    { data: { entity: 'server', id } },
  );
}
