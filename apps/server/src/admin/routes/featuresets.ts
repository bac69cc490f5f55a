import { McpmuxError } from '@mcpmux/core';
import { MemberSchema } from '@mcpmux/featuresets';
import type { FeatureSet } from '@mcpmux/space-store';
import { z } from 'zod';
import { requireClient, requireSpace } from '../../operations/lookup.js';
import { exposedFeatureName, previewClient } from '../../operations/policy.js';
import { type AdminRoute, route } from '../route.js';
import {
  FeatureRowSchema,
  FeatureSetCreateBody,
  FeatureSetPatchBody,
  FeatureSetRowSchema,
  PreviewSchema,
  SpaceParams,
  SpaceSetParams,
} from '../schemas.js';

function setRow(s: FeatureSet): z.infer<typeof FeatureSetRowSchema> {
  return {
    id: s.id,
    name: s.name,
    ...(s.description === undefined ? {} : { description: s.description }),
    kind: s.kind,
    ...(s.server === undefined ? {} : { server: s.server }),
    members: s.members,
  };
}

function setNotFound(space: string, set: string): McpmuxError {
  return new McpmuxError(
    'NOT_FOUND',
    `FeatureSet "${set}" does not exist in Space "${space}". See \`mcpmux featureset list --space ${space}\`.`,
    { data: { entity: 'featureset', id: set } },
  );
}

/** FeatureSet, discovered-feature and preview routes. */
export const featureSetRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/spaces/:space/featuresets',
    summary: 'The FeatureSets of a Space: all, default, server-all:<server> and custom ones',
    tag: 'FeatureSets',
    status: 200,
    params: SpaceParams,
    response: z.array(FeatureSetRowSchema),
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      return (await deps.store.listFeatureSets(params.space)).map(setRow);
    },
  }),
  route({
    method: 'POST',
    path: '/spaces/:space/featuresets',
    summary: 'Create a custom FeatureSet',
    tag: 'FeatureSets',
    status: 201,
    params: SpaceParams,
    body: FeatureSetCreateBody,
    response: FeatureSetRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      return setRow(await deps.store.createFeatureSet(params.space, body));
    },
  }),
  route({
    method: 'PATCH',
    path: '/spaces/:space/featuresets/:set',
    summary: 'Rename a FeatureSet, describe it, or replace its members',
    tag: 'FeatureSets',
    status: 200,
    params: SpaceSetParams,
    body: FeatureSetPatchBody,
    response: FeatureSetRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      if ((await deps.store.getFeatureSet(params.space, params.set)) === undefined)
        throw setNotFound(params.space, params.set);
      return setRow(await deps.store.updateFeatureSet(params.space, params.set, body));
    },
  }),
  route({
    method: 'DELETE',
    path: '/spaces/:space/featuresets/:set',
    summary: 'Delete a custom FeatureSet and its grants',
    tag: 'FeatureSets',
    status: 204,
    params: SpaceSetParams,
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      await deps.store.deleteFeatureSet(params.space, params.set);
      return undefined;
    },
  }),
  route({
    method: 'POST',
    path: '/spaces/:space/featuresets/:set/members',
    summary: 'Add an include or exclude member (an exclude always wins)',
    tag: 'FeatureSets',
    status: 200,
    params: SpaceSetParams,
    body: MemberSchema,
    response: FeatureSetRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      return setRow(await deps.store.addMember(params.space, params.set, body));
    },
  }),
  route({
    method: 'DELETE',
    path: '/spaces/:space/featuresets/:set/members',
    summary: 'Remove a member (the body names it)',
    tag: 'FeatureSets',
    status: 200,
    params: SpaceSetParams,
    body: MemberSchema,
    response: FeatureSetRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      return setRow(await deps.store.removeMember(params.space, params.set, body));
    },
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/features',
    summary: 'Features discovered in a Space (the catalog members are picked from)',
    tag: 'FeatureSets',
    status: 200,
    params: SpaceParams,
    response: z.array(FeatureRowSchema),
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      const [features, servers] = await Promise.all([
        deps.store.listDiscovered(params.space),
        deps.store.effectiveServers(params.space),
      ]);
      const context = { servers } as Parameters<typeof exposedFeatureName>[0];
      return features.map((f) => {
        const annotations = (f.definition as { annotations?: Record<string, unknown> } | undefined)
          ?.annotations;
        return {
          serverId: f.server,
          kind: f.kind,
          name: f.name,
          exposedName: exposedFeatureName(context, f.kind, f.server, f.name),
          ...(f.description === undefined ? {} : { description: f.description }),
          available: f.available,
          ...(annotations === undefined ? {} : { annotations }),
        };
      });
    },
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/clients/:client/preview',
    summary: 'What a client gets in a Space, feature by feature, with the `explain` trails (exclude wins)',
    tag: 'FeatureSets',
    status: 200,
    params: z.object({ space: SpaceParams.shape.space, client: SpaceParams.shape.space }),
    response: PreviewSchema,
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      return previewClient(deps.store, params.client, params.space);
    },
  }),
];
