// The OpenAPI 3.1 document of the admin API, generated from the route table's zod schemas (JSON
// Schema 2020-12, the dialect OpenAPI 3.1 uses).
import { z } from 'zod';
import { ADMIN_COOKIE, CSRF_HEADER } from './auth.js';
import { type AdminRoute, openApiPath } from './route.js';
import { ApiErrorSchema } from './schemas.js';

/** The admin API's base path. */
export const API_BASE = '/api/v1';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function parameters(route: AdminRoute): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const json = schemaOf(schema, 'input');
    const props = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
  }
  return out;
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input: the message names the field and what to fix',
  '401': 'No or expired admin session (open a new login link: `mcpmux ui`)',
  '403': 'CSRF token, Origin or Host refused',
  '404': 'Not found',
  '409': 'Conflict with the current state (duplicate, active Space, built-in set...)',
  '500': 'Internal error (no details)',
};

/**
 * The OpenAPI 3.1 document of `routes`: one operation per route, with its parameters, request body,
 * success response and the shared error responses; the session cookie and the CSRF header as
 * security schemes.
 *
 * @param routes - the route table.
 * @param version - the gateway's version (the document's `info.version`).
 * @example
 * ```ts
 * const doc = openApiDocument(adminRoutes, '0.1.0');
 * ```
 */
export function openApiDocument(routes: readonly AdminRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const p = `${API_BASE}${openApiPath(r.path)}`;
    const responses: Record<string, Json> = {};
    if (r.status === 204) responses['204'] = { description: 'Done' };
    else if (r.stream) {
      responses[String(r.status)] = {
        description: 'A server-sent event stream',
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      };
    } else {
      responses[String(r.status)] = {
        description: r.summary,
        content: { 'application/json': { schema: r.response ? schemaOf(r.response, 'output') : {} } },
      };
    }
    for (const [code, description] of Object.entries(ERROR_RESPONSES)) {
      responses[code] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${r.path
        .split('/')
        .filter((s) => s !== '')
        .map((s) => (s.startsWith(':') ? `By${s.slice(1, 2).toUpperCase()}${s.slice(2)}` : s))
        .map((s) => s.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()))
        .map((s) => s.slice(0, 1).toUpperCase() + s.slice(1))
        .join('')}`,
      summary: r.summary,
      tags: [r.tag],
      responses,
    };
    const params = parameters(r);
    if (params.length > 0) op.parameters = params;
    if (r.body !== undefined) {
      op.requestBody = {
        required: !r.body.safeParse(undefined).success,
        content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
      };
    }
    if (r.session === false) op.security = [];
    else if (r.method !== 'GET') op.security = [{ adminSession: [], csrfToken: [] }];
    paths[p] ??= {};
    (paths[p] as Record<string, Json>)[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'mcpmux admin API',
      version,
      description:
        'The JSON API the mcpmux console uses. Sign in with a single-use link from `mcpmux ui`; every non-GET request needs the `x-csrf-token` header from `GET /api/v1/session`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ adminSession: [] }],
    paths,
    components: {
      schemas: { Error: schemaOf(ApiErrorSchema, 'output') },
      securitySchemes: {
        adminSession: { type: 'apiKey', in: 'cookie', name: ADMIN_COOKIE },
        csrfToken: { type: 'apiKey', in: 'header', name: CSRF_HEADER },
      },
    },
  };
}
