// One admin API route as data: method, path, the zod schemas it validates with, the response schema
// the OpenAPI document shows, a summary, and the handler. The router and the OpenAPI generator both
// read the same table, so the document cannot drift from what is served.

import type { ServerResponse } from 'node:http';
import { McpmuxError } from '@mcpmux/core';
import type { z } from 'zod';
import type { AdminAuth, AdminSession } from './auth.js';
import type { AdminDeps } from './deps.js';
import type { EventHub } from './events.js';

/** The HTTP methods the admin API uses. */
export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler gets: the validated inputs and the composition's parts. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  deps: AdminDeps;
  /** The admin session (undefined only on routes with `session: false`). */
  session: AdminSession | undefined;
  auth: AdminAuth;
  events: EventHub;
  /** The response, for headers (cookies) and streams. */
  res: ServerResponse;
}

/** An admin API route (see the file comment). Paths are relative to `/api/v1`, with `:name` params. */
export interface AdminRoute {
  method: AdminMethod;
  /** E.g. `/spaces/:space/servers/:server`. */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** The OpenAPI tag (the console page it serves). */
  tag: string;
  /** Path parameters; every `:name` in `path` must be a key. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success body (absent for 204). */
  response?: z.ZodType;
  /** The success status. */
  status: 200 | 201 | 204;
  /** False only for the login exchange itself: no session cookie needed. Default true. */
  session?: boolean;
  /** Streams its own response (SSE); the handler writes to `res` itself. */
  stream?: boolean;
  handler(ctx: RouteContext<unknown, unknown, unknown>): Promise<unknown>;
}

/**
 * Declares a route with its handler typed by its schemas.
 *
 * @example
 * ```ts
 * route({
 *   method: 'GET', path: '/spaces/:space', summary: 'One Space', tag: 'Spaces', status: 200,
 *   params: z.object({ space: SlugSchema }),
 *   handler: async ({ params, deps }) => deps.store.getSpace(params.space),
 * });
 * ```
 */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  def: Omit<AdminRoute, 'handler' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handler(
      ctx: RouteContext<
        P extends z.ZodType ? z.output<P> : Record<string, never>,
        Q extends z.ZodType ? z.output<Q> : Record<string, never>,
        B extends z.ZodType ? z.output<B> : undefined
      >,
    ): Promise<unknown>;
  },
): AdminRoute {
  return def as unknown as AdminRoute;
}

/**
 * Parses `value` with `schema`, or throws `INVALID_INPUT` naming the field and the rule it broke
 * (`name: must be at most 200 characters`); `data.field` holds the dotted path (or `where`).
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = path === '' ? where : path;
  let message = issue?.message ?? 'invalid value';
  if (issue?.code === 'unrecognized_keys')
    message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  throw new McpmuxError('INVALID_INPUT', `${field === where ? where : `${where} ${field}`}: ${message}`, {
    data: { field },
  });
}

/** A compiled path: its regular expression and parameter names. */
export interface PathMatcher {
  regex: RegExp;
  names: string[];
}

/** Compiles `/spaces/:space` into a matcher (a parameter matches one non-empty segment). */
export function compilePath(path: string): PathMatcher {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

/** `/spaces/:space` as OpenAPI writes it: `/spaces/{space}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
