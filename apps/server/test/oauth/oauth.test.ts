import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/start.js';
import { api, login } from '../admin/admin-helpers.js';
import {
  connectClient,
  createTestHome,
  mcpHeaders,
  raw,
  startTestServer,
  type TestHome,
} from '../helpers.js';
import { authorize, baseOf, form, locationParams, pkce, register, signIn } from './oauth-helpers.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';

describe('mcpmux as the OAuth authorization server of /mcp', () => {
  let t: TestHome;
  let server: RunningServer;
  let app: { clientId: string; redirectUri: string };

  beforeAll(async () => {
    t = await createTestHome({ ungranted: ['carol'] });
    server = await startTestServer(t);
    const reg = await register(server, { client_name: 'Test App', redirect_uris: [REDIRECT] });
    app = { clientId: String(reg.json.client_id), redirectUri: REDIRECT };
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('answers a keyless /mcp request with 401 naming the protected-resource metadata and saying how to get in', async () => {
    const res = await raw(server.url, { headers: mcpHeaders(undefined), body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${baseOf(server)}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(res.body).toMatch(/OAuth/);
    expect(res.body).toMatch(/access key/);
  });

  it('publishes protected-resource metadata (both paths) and authorization-server metadata with S256 only', async () => {
    const base = baseOf(server);
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await raw(`${base}${path}`, { method: 'GET' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [base] });
    }
    const as = JSON.parse(
      (await raw(`${base}/.well-known/oauth-authorization-server`, { method: 'GET' })).body,
    );
    expect(as).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      registration_endpoint: `${base}/oauth/register`,
      revocation_endpoint: `${base}/oauth/revoke`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
  });

  it('signs an app in as the client the admin chose: state and iss come back, the token lists and calls tools', async () => {
    const s = await signIn(server, app, 'alice');
    expect(s.params.get('state')).toBe('xyz');
    expect(s.params.get('iss')).toBe(baseOf(server));
    const client = await connectClient(server.url, s.accessToken);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('alpha_echo');
    const result = await client.callTool({ name: 'alpha_echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    await client.close();
  });

  it('refuses DCR with a redirect URI that is neither https nor loopback http', async () => {
    const res = await register(server, { redirect_uris: ['http://example.com/cb'] });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_redirect_uri');
  });

  it('refuses an authorization request without PKCE, or with plain PKCE, by redirecting invalid_request', async () => {
    const base = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's1' };
    const none = await authorize(server, base);
    expect(none.status).toBe(302);
    expect(locationParams(none.headers).get('error')).toBe('invalid_request');
    expect(locationParams(none.headers).get('state')).toBe('s1');
    const plain = await authorize(server, {
      ...base,
      code_challenge: pkce().verifier,
      code_challenge_method: 'plain',
    });
    expect(plain.status).toBe(302);
    expect(locationParams(plain.headers).get('error')).toBe('invalid_request');
    expect(locationParams(plain.headers).get('error_description')).toMatch(/S256/);
  });

  it('refuses a redirect URI the app did not register with an error page, never a redirect', async () => {
    const res = await authorize(server, {
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: 'http://127.0.0.1:33418/other',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toMatch(/redirect_uri/);
  });

  it('refuses a wrong verifier and a reused code with invalid_grant', async () => {
    const { challenge } = pkce();
    const res = await authorize(server, {
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const consentId = String(res.headers.location).split('/#/consent/')[1] ?? '';
    expect(server.oauth.getConsent(consentId)).toMatchObject({ appName: 'Test App', redirectUri: REDIRECT });
    const code = new URL((await server.oauth.approve(consentId, 'alice')).redirectTo).searchParams.get(
      'code',
    );
    const wrong = await form(server, '/oauth/token', {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT,
      client_id: app.clientId,
      code_verifier: pkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe('invalid_grant');

    const s = await signIn(server, app, 'alice');
    const again = await form(server, '/oauth/token', {
      grant_type: 'authorization_code',
      code: s.code,
      redirect_uri: REDIRECT,
      client_id: app.clientId,
      code_verifier: s.verifier,
    });
    expect(again.json.error).toBe('invalid_grant');
    // The reuse revoked what the code issued.
    expect((await raw(server.url, { headers: mcpHeaders(s.accessToken), body: '{}' })).status).toBe(401);
  });

  it('rotates refresh tokens; a reused rotated one revokes the family', async () => {
    const s = await signIn(server, app, 'alice');
    const refresh = (token: string) =>
      form(server, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: token,
        client_id: app.clientId,
      });
    const next = await refresh(s.refreshToken);
    expect(next.status).toBe(200);
    const fresh = String(next.json.access_token);
    expect((await connectClient(server.url, fresh)).close()).toBeDefined();
    const reused = await refresh(s.refreshToken);
    expect(reused.json.error).toBe('invalid_grant');
    expect((await raw(server.url, { headers: mcpHeaders(fresh), body: '{}' })).status).toBe(401);
    expect((await refresh(String(next.json.refresh_token))).json.error).toBe('invalid_grant');
  });

  it('revokes a refresh token and its access tokens at /oauth/revoke (RFC 7009)', async () => {
    const s = await signIn(server, app, 'alice');
    const res = await form(server, '/oauth/revoke', { token: s.refreshToken, client_id: app.clientId });
    expect(res.status).toBe(200);
    expect((await raw(server.url, { headers: mcpHeaders(s.accessToken), body: '{}' })).status).toBe(401);
  });

  it("stops a client's OAuth tokens when the admin revokes its keys", async () => {
    const s = await signIn(server, app, 'carol');
    const ok = await raw(server.url, { headers: mcpHeaders(s.accessToken), body: '{}' });
    expect(ok.status).not.toBe(401);
    const session = await login(server);
    expect((await api(server, session, 'POST', '/api/v1/clients/carol/revoke')).status).toBeLessThan(300);
    const res = await raw(server.url, { headers: mcpHeaders(s.accessToken), body: '{}' });
    expect(res.status).toBe(401);
  });

  it('refuses a Client ID Metadata Document URL at a private or loopback address without fetching it', async () => {
    for (const clientId of ['https://10.1.2.3/client.json', `https://127.0.0.1:${server.port}/client.json`]) {
      const res = await authorize(server, {
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/private address/);
    }
  });
});

describe('OAuth with Client ID Metadata Documents and rate limits', () => {
  let t: TestHome;
  let server: RunningServer;
  let docs: Server;
  let docsBase: string;

  beforeAll(async () => {
    t = await createTestHome({ servers: false });
    server = await startTestServer(t, {
      oauth: { cimd: { allowLoopbackHttp: true }, rateLimitPerMinute: 20 },
    });
    docs = createServer((req, res) => {
      if (req.url === '/client.json') {
        const body = JSON.stringify({
          client_id: `${docsBase}/client.json`,
          client_name: 'Doc App',
          redirect_uris: [REDIRECT],
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      } else if (req.url === '/redirect.json') {
        res.writeHead(302, { location: 'http://10.0.0.1/client.json' });
        res.end();
      } else if (req.url === '/huge.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"pad":"${'x'.repeat(70 * 1024)}"}`);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
    docsBase = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => docs?.close(resolve));
    t?.cleanup();
  });

  const start = (clientId: string) =>
    authorize(server, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });

  it('fetches the metadata document and sends the browser to the consent page', async () => {
    const res = await start(`${docsBase}/client.json`);
    expect(res.status).toBe(302);
    const consentId = String(res.headers.location).split('/#/consent/')[1] ?? '';
    expect(server.oauth.getConsent(consentId)).toMatchObject({ appName: 'Doc App', registration: 'cimd' });
  });

  it('follows no redirect and refuses documents over 64 KiB', async () => {
    const redirected = await start(`${docsBase}/redirect.json`);
    expect(redirected.status).toBe(400);
    expect(redirected.body).toMatch(/redirects are not followed/);
    const huge = await start(`${docsBase}/huge.json`);
    expect(huge.status).toBe(400);
    expect(huge.body).toMatch(/larger than/);
  });

  it('answers 429 with Retry-After past the per-IP limit', async () => {
    const url = `${baseOf(server)}/.well-known/oauth-authorization-server`;
    let last = await raw(url, { method: 'GET' });
    for (let i = 0; i < 25 && last.status === 200; i++) last = await raw(url, { method: 'GET' });
    expect(last.status).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });
});
