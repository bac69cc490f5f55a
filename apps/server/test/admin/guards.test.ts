import { validate as validateOpenApi } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRoute } from '../../src/admin/route.js';
import type { RunningServer } from '../../src/start.js';
import { createTestHome, startTestServer, type TestHome } from '../helpers.js';
import { type AdminLogin, api, login } from './admin-helpers.js';

const SAMPLE: Record<string, string> = {
  space: 'personal',
  server: 'alpha',
  client: 'alice',
  set: 'all',
  name: 'TOKEN',
};

/** The route's path with sample parameters (one replaced by an invalid value when `bad` names it). */
function pathOf(route: AdminRoute, bad?: string): string {
  return `/api/v1${route.path.replace(/:([a-z]+)/g, (_m, name: string) =>
    name === bad ? 'NOT_A_SLUG!' : encodeURIComponent(SAMPLE[name] ?? 'x'),
  )}`;
}

describe('admin API guards, for every route in the table', () => {
  let t: TestHome;
  let server: RunningServer;
  let session: AdminLogin;
  let routes: readonly AdminRoute[];

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t, { admin: { keepAliveMs: 60_000 } });
    session = await login(server);
    routes = server.admin.routes;
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('answers 401 without the session cookie', async () => {
    for (const r of routes.filter((x) => x.session !== false)) {
      const res = await api(server, undefined, r.method, pathOf(r));
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect((res.json as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('answers 401 to a client access key, with or without a session cookie', async () => {
    for (const r of routes) {
      const bearer = { authorization: `Bearer ${t.keys.alice}` };
      const alone = await api(server, undefined, r.method, pathOf(r), undefined, bearer);
      expect(alone.status, `${r.method} ${r.path}`).toBe(401);
      const withCookie = await api(server, session, r.method, pathOf(r), undefined, bearer);
      expect(withCookie.status, `${r.method} ${r.path}`).toBe(401);
    }
  });

  it('answers 403 to a state-changing request without the CSRF header or with a wrong one', async () => {
    const writes = routes.filter((x) => x.method !== 'GET' && x.session !== false);
    expect(writes.length).toBeGreaterThan(20);
    for (const r of writes) {
      const none = await api(server, { cookie: session.cookie, csrf: '' }, r.method, pathOf(r), undefined, {
        'x-csrf-token': '',
      });
      expect(none.status, `${r.method} ${r.path}`).toBe(403);
      const wrong = await api(
        server,
        { ...session, csrf: `${session.csrf.slice(0, -2)}xx` },
        r.method,
        pathOf(r),
      );
      expect(wrong.status, `${r.method} ${r.path}`).toBe(403);
    }
  });

  it('answers 403 to a request from another Origin, and to a foreign Host', async () => {
    for (const r of routes) {
      const res = await api(server, session, r.method, pathOf(r), undefined, {
        origin: 'http://evil.example',
      });
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      const host = await api(server, session, r.method, pathOf(r), undefined, { host: 'evil.example' });
      expect(host.status, `${r.method} ${r.path}`).toBe(403);
    }
    for (const path of ['/', '/login?token=x']) {
      const res = await api(server, undefined, 'GET', path, undefined, { origin: 'http://localhost:1' });
      expect(res.status, path).toBe(403);
    }
  });

  it('answers 400 naming the field for an invalid path parameter, query or body', async () => {
    let checked = 0;
    for (const r of routes) {
      const slugParam =
        r.params === undefined ? undefined : Object.keys(r.params.shape).find((k) => k !== 'set');
      let res: Awaited<ReturnType<typeof api>>;
      if (slugParam !== undefined) {
        res = await api(
          server,
          session,
          r.method,
          pathOf(r, slugParam),
          r.body === undefined ? undefined : {},
        );
      } else if (r.body !== undefined) {
        res = await api(server, session, r.method, pathOf(r), { bogus: 1 });
      } else if (r.query !== undefined) {
        res = await api(server, session, r.method, `${pathOf(r)}?limit=many`);
      } else continue;
      checked++;
      expect(res.status, `${r.method} ${r.path}: ${JSON.stringify(res.json)}`).toBe(400);
      const error = (res.json as { error: { code: string; message: string; field?: string } }).error;
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field, `${r.method} ${r.path}`).toBeDefined();
      expect(error.message).toContain(':');
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('serves an OpenAPI 3.1 document that validates and lists exactly the routes of the table', async () => {
    const res = await api(server, session, 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json as unknown as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    await expect(validateOpenApi(structuredClone(doc) as never)).resolves.toMatchObject({ valid: true });
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = routes.map((r) => `${r.method} /api/v1${r.path.replace(/:([a-z]+)/g, '{$1}')}`).sort();
    expect(documented).toEqual(served);
  });
});
