import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/admin/static.js';
import type { RunningServer } from '../../src/start.js';
import { createTestHome, raw, startTestServer, type TestHome } from '../helpers.js';
import { api, baseOf } from './admin-helpers.js';

describe('admin login links and the console’s static files', () => {
  let t: TestHome;
  let server: RunningServer;
  let assets: string;
  let clock = Date.parse('2026-05-01T10:00:00Z');

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'mcpmux-console-'));
    mkdirSync(join(assets, 'assets'));
    writeFileSync(
      join(assets, 'index.html'),
      '<!doctype html><title>console</title><script src="/assets/app-Ab12Cd34.js"></script>',
    );
    writeFileSync(join(assets, 'assets', 'app-Ab12Cd34.js'), 'console.log(1);');
    writeFileSync(join(assets, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(tmpdir(), 'mcpmux-outside.txt'), 'outside');
    symlinkSync(join(tmpdir(), 'mcpmux-outside.txt'), join(assets, 'assets', 'escape.txt'));
    t = await createTestHome({ servers: false });
    server = await startTestServer(t, { consoleAssetsDir: assets, admin: { now: () => clock } });
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
    rmSync(assets, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'mcpmux-outside.txt'), { force: true });
  });

  it('accepts a login link once: the second use gets the invalid-link page', async () => {
    const { url } = server.adminLoginLink();
    const first = await raw(url, { method: 'GET' });
    expect(first.status).toBe(303);
    const second = await raw(url, { method: 'GET' });
    expect(second.status).toBe(401);
    expect(second.body).toContain(
      'This login link is invalid or expired: run <code>mcpmux ui</code> for a new one.',
    );
    const unknown = await raw(`${baseOf(server)}/login?token=nope`, { method: 'GET' });
    expect(unknown.status).toBe(401);
  });

  it('refuses a login link after 5 minutes, and a session after 12 hours', async () => {
    const stale = server.adminLoginLink();
    clock += 5 * 60 * 1000 + 1;
    expect((await raw(stale.url, { method: 'GET' })).status).toBe(401);
    const fresh = await raw(server.adminLoginLink().url, { method: 'GET' });
    const cookie = String(fresh.headers['set-cookie']).split(';')[0] ?? '';
    expect((await api(server, { cookie, csrf: '' }, 'GET', '/api/v1/spaces')).status).toBe(200);
    clock += 12 * 60 * 60 * 1000;
    expect((await api(server, { cookie, csrf: '' }, 'GET', '/api/v1/spaces')).status).toBe(401);
  });

  it('exchanges a token for a session through POST /api/v1/session/login once', async () => {
    const { url } = server.adminLoginLink();
    const token = new URL(url).searchParams.get('token');
    const ok = await api(server, undefined, 'POST', '/api/v1/session/login', { token });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ csrfToken: expect.any(String), expiresAt: expect.any(String) });
    expect(String(ok.headers['set-cookie'])).toContain('HttpOnly; SameSite=Strict');
    const again = await api(server, undefined, 'POST', '/api/v1/session/login', { token });
    expect(again.status).toBe(401);
  });

  it('serves index.html with a strict CSP at / and for unknown console paths', async () => {
    for (const path of ['/', '/spaces/work', '/clients']) {
      const res = await raw(`${baseOf(server)}${path}`, { method: 'GET' });
      expect(res.status, path).toBe(200);
      expect(res.body).toContain('<title>console</title>');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with their type and an immutable cache, other files revalidated', async () => {
    const js = await raw(`${baseOf(server)}/assets/app-Ab12Cd34.js`, { method: 'GET' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const svg = await raw(`${baseOf(server)}/favicon.svg`, { method: 'GET' });
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
    expect((await raw(`${baseOf(server)}/assets/missing.js`, { method: 'GET' })).status).toBe(404);
  });

  it('never serves a file outside the assets directory', async () => {
    for (const path of [
      '/assets/../../etc/passwd',
      '/assets/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fetc%2fpasswd',
      '/assets/escape.txt',
      '/assets/%00',
    ]) {
      const res = await raw(`${baseOf(server)}${path}`, { method: 'GET' });
      expect(res.body, path).not.toContain('root:');
      expect(res.body, path).not.toContain('outside');
    }
  });

  it('leaves /mcp, /health and /metrics to the gateway and answers other methods on console paths 405', async () => {
    expect((await raw(`${baseOf(server)}/health`, { method: 'GET' })).body).toContain('"status":"ok"');
    expect((await raw(`${baseOf(server)}/mcp`, { method: 'GET' })).status).toBe(401);
    expect((await raw(`${baseOf(server)}/spaces`, { method: 'POST' })).status).toBe(405);
    expect((await raw(`${baseOf(server)}/api/v2/x`, { method: 'GET' })).status).toBe(404);
  });
});

describe('the console’s assets', () => {
  it('default to the built @mcpmux/console package', async () => {
    const t = await createTestHome({ servers: false });
    const server = await startTestServer(t);
    try {
      const res = await raw(`${baseOf(server)}/`, { method: 'GET' });
      expect(res.status).toBe(200);
      const script = /<script[^>]+src="(\/[^"]+\.js)"/.exec(res.body)?.[1] ?? '';
      const js = await raw(`${baseOf(server)}${script}`, { method: 'GET' });
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    } finally {
      await server.close();
      t.cleanup();
    }
  });

  it('without any, serve a one-line page saying how to build the console', async () => {
    const t = await createTestHome({ servers: false });
    const server = await startTestServer(t, { consoleAssetsDir: false });
    try {
      const res = await raw(`${baseOf(server)}/`, { method: 'GET' });
      expect(res.status).toBe(200);
      expect(res.body).toContain('console is not built');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    } finally {
      await server.close();
      t.cleanup();
    }
  });
});
