import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/start.js';
import { api, login } from '../admin/admin-helpers.js';
import { connectClient, createTestHome, startTestServer, type TestHome } from '../helpers.js';
import { authorize, form, pkce, register } from './oauth-helpers.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';

describe('the consent routes of the admin API', () => {
  let t: TestHome;
  let server: RunningServer;
  let appId: string;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t);
    appId = String(
      (await register(server, { client_name: 'Consent App', redirect_uris: [REDIRECT] })).json.client_id,
    );
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  async function start() {
    const { verifier, challenge } = pkce();
    const res = await authorize(server, {
      response_type: 'code',
      client_id: appId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
    });
    return { verifier, id: String(res.headers.location).split('/#/consent/')[1] ?? '' };
  }

  it('shows the request, then approving as a new pinned client with a grant signs the app in as it', async () => {
    const session = await login(server);
    const { id, verifier } = await start();
    const shown = await api(server, session, 'GET', `/api/v1/consent/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ app: { name: 'Consent App', clientId: appId, registration: 'dcr' } });
    const decided = await api(server, session, 'POST', `/api/v1/consent/${id}`, {
      decision: 'approve',
      client: { id: 'consent-app', create: true, mode: 'pinned', pinnedSpaceId: 'work' },
      grants: [{ space: 'work', set: 'all' }],
    });
    expect(decided.status).toBe(200);
    const redirect = new URL((decided.json as { redirectTo: string }).redirectTo);
    expect(redirect.searchParams.get('state')).toBe('st');
    const token = await form(server, '/oauth/token', {
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      client_id: appId,
      code_verifier: verifier,
    });
    expect(token.status).toBe(200);
    const client = await connectClient(server.url, String(token.json.access_token));
    const { tools } = await client.listTools();
    // Pinned to work: the work Space's server, not the active Space's.
    expect(tools.map((x) => x.name)).toContain('beta_echo');
    expect(tools.map((x) => x.name)).not.toContain('alpha_echo');
    await client.close();
    const clients = await api(server, session, 'GET', '/api/v1/clients');
    expect(clients.json).toContainEqual(
      expect.objectContaining({ id: 'consent-app', mode: 'pinned', keys: 0 }),
    );
  });

  it('denying sends access_denied back to the app; the request is then gone', async () => {
    const session = await login(server);
    const { id } = await start();
    const decided = await api(server, session, 'POST', `/api/v1/consent/${id}`, { decision: 'deny' });
    expect(new URL((decided.json as { redirectTo: string }).redirectTo).searchParams.get('error')).toBe(
      'access_denied',
    );
    expect((await api(server, session, 'GET', `/api/v1/consent/${id}`)).status).toBe(404);
  });

  it('needs the console session: without it the request cannot be read or approved', async () => {
    const { id } = await start();
    expect((await api(server, undefined, 'GET', `/api/v1/consent/${id}`)).status).toBe(401);
    const res = await api(server, undefined, 'POST', `/api/v1/consent/${id}`, {
      decision: 'approve',
      client: { id: 'alice' },
    });
    expect(res.status).toBe(401);
    expect(server.oauth.getConsent(id)).toBeDefined();
  });
});
