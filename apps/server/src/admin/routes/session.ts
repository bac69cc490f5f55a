import { McpmuxError } from '@mcpmux/core';
import { z } from 'zod';
import { ADMIN_COOKIE } from '../auth.js';
import { type AdminRoute, route } from '../route.js';
import { LoginBodySchema, SessionInfoSchema, StatusSchema } from '../schemas.js';

/** The `Set-Cookie` value of a new admin session. */
export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${ADMIN_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}`;
}

/** The `Set-Cookie` value that clears the admin session cookie. */
export const CLEARED_COOKIE = `${ADMIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;

/** Session, status and live-event routes. */
export const sessionRoutes: AdminRoute[] = [
  route({
    method: 'POST',
    path: '/session/login',
    summary: 'Exchange a login token (from `mcpmux ui`) for a session cookie',
    tag: 'Session',
    status: 200,
    session: false,
    body: LoginBodySchema,
    response: SessionInfoSchema,
    handler: async ({ body, auth, res }) => {
      const opened = auth.login(body.token);
      if (opened === undefined) {
        throw new McpmuxError(
          'UNAUTHORIZED',
          'This login link is invalid or expired: run `mcpmux ui` for a new one.',
        );
      }
      res.setHeader('set-cookie', sessionCookie(opened.cookie, auth.sessionSeconds));
      return { csrfToken: opened.session.csrfToken, expiresAt: opened.session.expiresAt.toISOString() };
    },
  }),
  route({
    method: 'GET',
    path: '/session',
    summary: 'The session: its CSRF token (send it as `x-csrf-token` on every non-GET) and expiry',
    tag: 'Session',
    status: 200,
    response: SessionInfoSchema,
    handler: async ({ session }) => ({
      csrfToken: session?.csrfToken ?? '',
      expiresAt: session?.expiresAt.toISOString() ?? '',
    }),
  }),
  route({
    method: 'POST',
    path: '/session/logout',
    summary: 'End the session and clear its cookie',
    tag: 'Session',
    status: 204,
    handler: async ({ session, auth, res }) => {
      if (session !== undefined) auth.logout(session);
      res.setHeader('set-cookie', CLEARED_COOKIE);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/status',
    summary: 'Dashboard: version, active Space, upstreams, sessions per client, calls and errors per minute',
    tag: 'Dashboard',
    status: 200,
    response: StatusSchema,
    handler: async ({ deps }) => {
      const status = deps.gateway.status();
      return {
        version: deps.version,
        activeSpaceId: status.activeSpaceId ?? null,
        upstreams: status.upstreams.map((u) => ({
          spaceId: u.spaceId,
          serverId: u.serverId,
          state: u.state,
          ...(u.protocolVersion === undefined ? {} : { protocolVersion: u.protocolVersion }),
          restarts: u.restarts,
          ...(u.lastError === undefined ? {} : { lastError: u.lastError }),
          tools: u.tools,
          prompts: u.prompts,
          resources: u.resources,
        })),
        sessionsByClient: deps.sessionsByClient(),
        minutes: deps.activity.minutes(),
      };
    },
  }),
  route({
    method: 'GET',
    path: '/events',
    summary:
      'Live events (text/event-stream): `change` {kind, revision, spaceId?, spaceIds?}, `upstream`, `call`, `session`',
    tag: 'Dashboard',
    status: 200,
    stream: true,
    response: z.string().describe('text/event-stream'),
    handler: async ({ events, res }) => {
      events.subscribe(res);
      return undefined;
    },
  }),
];
