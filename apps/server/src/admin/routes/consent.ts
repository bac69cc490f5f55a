// The console's consent page for apps signing in with OAuth (DESIGN §11): the admin sees the app's
// request and decides which mcpmux client it becomes (new or existing), its mode and its grants.
import { McpmuxError } from '@mcpmux/core';
import { SlugSchema } from '@mcpmux/core/schemas';
import { ClientModeSchema } from '@mcpmux/space-store';
import { z } from 'zod';
import { requireClient, requireSpace } from '../../operations/lookup.js';
import type { AdminDeps } from '../deps.js';
import { type AdminRoute, route } from '../route.js';

const ConsentParams = z.object({
  request: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a sign-in request id'),
});

const ConsentRequestSchema = z.object({
  id: z.string(),
  app: z.object({
    name: z.string(),
    clientId: z.string(),
    registration: z.enum(['dcr', 'cimd']),
    redirectUri: z.string(),
  }),
  scope: z.string().optional(),
  expiresAt: z.string(),
});

const ConsentDecisionBody = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('deny') }),
  z.strictObject({
    decision: z.literal('approve'),
    /** The mcpmux client the app becomes: an existing one, or a new one (`create: true`). */
    client: z.strictObject({
      id: SlugSchema,
      create: z.boolean().optional(),
      name: z.string().min(1).max(200).optional(),
      mode: ClientModeSchema.optional(),
      pinnedSpaceId: SlugSchema.optional(),
    }),
    /** FeatureSets to grant the client (added to its grants). */
    grants: z
      .array(z.strictObject({ space: SlugSchema, set: z.string().min(1).max(200) }))
      .max(100)
      .optional(),
  }),
]);

const ConsentOutcomeSchema = z.object({ redirectTo: z.string() });

function consentDeps(deps: AdminDeps): NonNullable<AdminDeps['consent']> {
  if (deps.consent === undefined) {
    throw new McpmuxError('NOT_FOUND', 'OAuth sign-in is not served by this gateway.', {
      data: { entity: 'consent' },
    });
  }
  return deps.consent;
}

function unknownRequest(id: string): McpmuxError {
  return new McpmuxError(
    'NOT_FOUND',
    'This sign-in request is unknown, expired or already decided. Start the sign-in again from the app.',
    { data: { entity: 'consent', id } },
  );
}

/** The consent routes: read a pending OAuth sign-in, approve (as a new or existing client) or deny it. */
export const consentRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/consent/:request',
    summary: 'A pending OAuth sign-in of an app, for the consent page',
    tag: 'Consent',
    status: 200,
    params: ConsentParams,
    response: ConsentRequestSchema,
    handler: async ({ params, deps }) => {
      const c = consentDeps(deps).getConsent(params.request);
      if (c === undefined) throw unknownRequest(params.request);
      return {
        id: c.id,
        app: {
          name: c.appName,
          clientId: c.oauthClientId,
          registration: c.registration,
          redirectUri: c.redirectUri,
        },
        ...(c.scope === undefined ? {} : { scope: c.scope }),
        expiresAt: c.expiresAt.toISOString(),
      };
    },
  }),
  route({
    method: 'POST',
    path: '/consent/:request',
    summary:
      'Approve a sign-in (the app becomes a new or existing client, with its mode and grants) or deny it; answers where to send the browser',
    tag: 'Consent',
    status: 200,
    params: ConsentParams,
    body: ConsentDecisionBody,
    response: ConsentOutcomeSchema,
    handler: async ({ params, body, deps }) => {
      const consent = consentDeps(deps);
      if (consent.getConsent(params.request) === undefined) throw unknownRequest(params.request);
      if (body.decision === 'deny') return consent.deny(params.request);
      const { store } = deps;
      const c = body.client;
      if (c.pinnedSpaceId !== undefined) await requireSpace(store, c.pinnedSpaceId);
      for (const g of body.grants ?? []) await requireSpace(store, g.space);
      const patch = {
        ...(c.name === undefined ? {} : { name: c.name }),
        ...(c.mode === undefined ? {} : { mode: c.mode }),
        ...(c.pinnedSpaceId === undefined ? {} : { pinnedSpaceId: c.pinnedSpaceId }),
      };
      if (c.create === true) {
        await store.createClient({ id: c.id, ...patch });
        // The access key of a client created for an app that signs in is never shown: revoke it.
        await store.revokeAccessKeys(c.id);
      } else {
        await requireClient(store, c.id);
        if (Object.keys(patch).length > 0) await store.updateClient(c.id, patch);
      }
      for (const g of body.grants ?? []) await store.grant(c.id, g.space, g.set);
      return consent.approve(params.request, c.id);
    },
  }),
];
