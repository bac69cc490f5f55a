import { McpmuxError } from '@mcpmux/core';
import type { Space, SpaceStore } from '@mcpmux/space-store';
import { z } from 'zod';
import { requireSpace } from '../../operations/lookup.js';
import { deleteSpace, spaceDeletionPreview } from '../../operations/spaces.js';
import { type AdminRoute, route } from '../route.js';
import {
  DeleteSpaceQuery,
  DeletionPreviewSchema,
  SpaceCreateBody,
  SpaceParams,
  SpacePatchBody,
  SpaceRowSchema,
} from '../schemas.js';

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

async function spaceRows(store: SpaceStore, only?: string): Promise<z.infer<typeof SpaceRowSchema>[]> {
  const [spaces, clients] = await Promise.all([store.listSpaces(), store.listClients()]);
  const picked = only === undefined ? spaces : spaces.filter((s) => s.id === only);
  return Promise.all(
    picked.map(async (s: Space) => ({
      id: s.id,
      name: s.name,
      ...opt('icon', s.icon),
      ...opt('description', s.description),
      active: s.active,
      servers: (await store.effectiveServers(s.id)).length,
      clients: clients.filter((c) => (c.mode === 'pinned' ? c.pinnedSpaceId === s.id : s.active)).length,
    })),
  );
}

async function oneRow(store: SpaceStore, id: string) {
  const [row] = await spaceRows(store, id);
  if (row === undefined) await requireSpace(store, id);
  return row;
}

/** Space routes. */
export const spaceRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/spaces',
    summary: 'Every Space with its server and client counts (one is active)',
    tag: 'Spaces',
    status: 200,
    response: z.array(SpaceRowSchema),
    handler: ({ deps }) => spaceRows(deps.store),
  }),
  route({
    method: 'POST',
    path: '/spaces',
    summary: 'Create a Space (the first one becomes active)',
    tag: 'Spaces',
    status: 201,
    body: SpaceCreateBody,
    response: SpaceRowSchema,
    handler: async ({ body, deps }) => {
      await deps.store.createSpace(body);
      return oneRow(deps.store, body.id);
    },
  }),
  route({
    method: 'PATCH',
    path: '/spaces/:space',
    summary: 'Rename a Space or change its icon or description',
    tag: 'Spaces',
    status: 200,
    params: SpaceParams,
    body: SpacePatchBody,
    response: SpaceRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      await deps.store.updateSpace(params.space, body);
      return oneRow(deps.store, params.space);
    },
  }),
  route({
    method: 'POST',
    path: '/spaces/:space/activate',
    summary: 'Make a Space the active one (clients that follow the active Space switch live)',
    tag: 'Spaces',
    status: 204,
    params: SpaceParams,
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      await deps.store.setActiveSpace(params.space);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/deletion',
    summary: 'What deleting the Space removes (and the pinned clients that block it)',
    tag: 'Spaces',
    status: 200,
    params: SpaceParams,
    response: DeletionPreviewSchema,
    handler: ({ params, deps }) => spaceDeletionPreview(deps.store, deps.vault, params.space),
  }),
  route({
    method: 'DELETE',
    path: '/spaces/:space',
    summary: 'Delete a Space with its installations, secrets, sets and grants (`confirm` repeats its id)',
    tag: 'Spaces',
    status: 204,
    params: SpaceParams,
    query: DeleteSpaceQuery,
    handler: async ({ params, query, deps }) => {
      await requireSpace(deps.store, params.space);
      if (query.confirm !== params.space) {
        throw new McpmuxError(
          'CONFLICT',
          `Deleting Space "${params.space}" needs confirm=${params.space} (repeat its id); see GET /api/v1/spaces/${params.space}/deletion for what goes.`,
          { data: { field: 'confirm' } },
        );
      }
      await deleteSpace(deps.store, params.space);
      return undefined;
    },
  }),
];
