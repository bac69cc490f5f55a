import type { Client, SpaceStore } from '@mcpmux/space-store';
import { z } from 'zod';
import { connectSnippets } from '../../operations/app-configs.js';
import { requireClient, requireSpace } from '../../operations/lookup.js';
import { type AdminRoute, route } from '../route.js';
import {
  AuditQuery,
  AuditRowSchema,
  ClientCreateBody,
  ClientCreatedSchema,
  ClientParams,
  ClientPatchBody,
  ClientRowSchema,
  GrantParams,
  GrantRowSchema,
} from '../schemas.js';

async function clientRow(store: SpaceStore, c: Client): Promise<z.infer<typeof ClientRowSchema>> {
  const keys = (await store.listAccessKeys(c.id)).filter((k) => k.revokedAt === undefined);
  const used = keys.map((k) => k.lastUsedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
  return {
    id: c.id,
    name: c.name,
    mode: c.mode,
    ...(c.pinnedSpaceId === undefined ? {} : { pinnedSpaceId: c.pinnedSpaceId }),
    lean: c.lean,
    pinnedTools: c.pinnedTools,
    keys: keys.length,
    ...(used > 0 ? { lastUsedAt: new Date(used).toISOString() } : {}),
  };
}

/** Client, grant and audit routes. */
export const clientRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/clients',
    summary: 'Every client with its mode, active keys and last use',
    tag: 'Clients',
    status: 200,
    response: z.array(ClientRowSchema),
    handler: async ({ deps }) =>
      Promise.all((await deps.store.listClients()).map((c) => clientRow(deps.store, c))),
  }),
  route({
    method: 'POST',
    path: '/clients',
    summary: 'Add a client: its access key (shown once) and connect snippets per app',
    tag: 'Clients',
    status: 201,
    body: ClientCreateBody,
    response: ClientCreatedSchema,
    handler: async ({ body, deps }) => {
      if (body.pinnedSpaceId !== undefined) await requireSpace(deps.store, body.pinnedSpaceId);
      const { client, accessKey } = await deps.store.createClient(body);
      return {
        client: await clientRow(deps.store, client),
        accessKey,
        connect: connectSnippets(client.id, deps.mcpUrl(), {
          command: 'mcpmux',
          args: ['stdio', '--client', client.id],
        }),
      };
    },
  }),
  route({
    method: 'PATCH',
    path: '/clients/:client',
    summary:
      'Rename a client, switch it between following the active Space and a pinned Space, or set its lean mode and pinned tools',
    tag: 'Clients',
    status: 200,
    params: ClientParams,
    body: ClientPatchBody,
    response: ClientRowSchema,
    handler: async ({ params, body, deps }) => {
      await requireClient(deps.store, params.client);
      if (body.pinnedSpaceId !== undefined) await requireSpace(deps.store, body.pinnedSpaceId);
      return clientRow(deps.store, await deps.store.updateClient(params.client, body));
    },
  }),
  route({
    method: 'POST',
    path: '/clients/:client/rotate',
    summary: 'Issue a new access key (shown once) and revoke the old ones',
    tag: 'Clients',
    status: 200,
    params: ClientParams,
    response: z.object({ accessKey: z.string() }),
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      return { accessKey: await deps.store.rotateAccessKey(params.client) };
    },
  }),
  route({
    method: 'POST',
    path: '/clients/:client/revoke',
    summary: 'Revoke every access key of a client (the client and its grants stay)',
    tag: 'Clients',
    status: 204,
    params: ClientParams,
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      await deps.store.revokeAccessKeys(params.client);
      return undefined;
    },
  }),
  route({
    method: 'DELETE',
    path: '/clients/:client',
    summary: 'Remove a client with its keys and grants',
    tag: 'Clients',
    status: 204,
    params: ClientParams,
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      await deps.store.deleteClient(params.client);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/clients/:client/grants',
    summary: "A client's FeatureSet grants in every Space",
    tag: 'Clients',
    status: 200,
    params: ClientParams,
    response: z.array(GrantRowSchema),
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      return (await deps.store.listGrants(params.client)).map((g) => ({
        spaceId: g.spaceId,
        setId: g.setId,
      }));
    },
  }),
  route({
    method: 'PUT',
    path: '/clients/:client/grants/:space/:set',
    summary: 'Grant a FeatureSet of a Space to a client',
    tag: 'Clients',
    status: 204,
    params: GrantParams,
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      await requireSpace(deps.store, params.space);
      await deps.store.grant(params.client, params.space, params.set);
      return undefined;
    },
  }),
  route({
    method: 'DELETE',
    path: '/clients/:client/grants/:space/:set',
    summary: 'Remove a grant',
    tag: 'Clients',
    status: 204,
    params: GrantParams,
    handler: async ({ params, deps }) => {
      await requireClient(deps.store, params.client);
      await requireSpace(deps.store, params.space);
      await deps.store.ungrant(params.client, params.space, params.set);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/audit',
    summary:
      'The audit log, newest first; `server`, `decision` and `outcome` filter within the newest 10,000 matching events',
    tag: 'Activity',
    status: 200,
    query: AuditQuery,
    response: z.array(AuditRowSchema),
    handler: async ({ query, deps }) => {
      const limit = query.limit ?? 100;
      const postFilter =
        query.server !== undefined || query.decision !== undefined || query.outcome !== undefined;
      const events = await deps.store.listAudit({
        ...(query.client === undefined ? {} : { clientId: query.client }),
        ...(query.space === undefined ? {} : { spaceId: query.space }),
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.since === undefined ? {} : { since: new Date(query.since) }),
        // `before` is exclusive: the page after the oldest event shown.
        ...(query.before === undefined ? {} : { until: new Date(Date.parse(query.before) - 1) }),
        limit: postFilter ? 10_000 : limit,
      });
      return events
        .filter(
          (e) =>
            (query.server === undefined || e.feature?.server === query.server) &&
            (query.decision === undefined || e.decision === query.decision) &&
            (query.outcome === undefined || e.outcome === query.outcome),
        )
        .slice(0, limit)
        .map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          action: e.action,
          ...(e.clientId === undefined ? {} : { clientId: e.clientId }),
          ...(e.spaceId === undefined ? {} : { spaceId: e.spaceId }),
          ...(e.feature === undefined ? {} : { feature: e.feature }),
          ...(e.decision === undefined ? {} : { decision: e.decision }),
          ...(e.outcome === undefined ? {} : { outcome: e.outcome }),
          ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
          ...(e.detail === undefined ? {} : { detail: e.detail }),
        }));
    },
  }),
];
