import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/start.js';
import { connectClient, createTestHome, raw, startTestServer, type TestHome, waitFor } from '../helpers.js';
import { type AdminLogin, api, baseOf, login } from './admin-helpers.js';

describe('admin API routes over a real home and gateway', () => {
  let t: TestHome;
  let server: RunningServer;
  let s: AdminLogin;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t, { admin: { keepAliveMs: 60_000 } });
    s = await login(server);
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  it('creates, renames, activates, previews and deletes a Space', async () => {
    const created = await api(server, s, 'POST', '/api/v1/spaces', { id: 'lab', name: 'Lab', icon: '🧪' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'lab', name: 'Lab', icon: '🧪', active: false, servers: 0 });
    const dup = await api(server, s, 'POST', '/api/v1/spaces', { id: 'lab' });
    expect(dup.status).toBe(409);
    const renamed = await api(server, s, 'PATCH', '/api/v1/spaces/lab', { name: 'Laboratory' });
    expect(renamed.json).toMatchObject({ id: 'lab', name: 'Laboratory' });
    expect((await api(server, s, 'POST', '/api/v1/spaces/lab/activate')).status).toBe(204);
    const list = await api(server, s, 'GET', '/api/v1/spaces');
    expect((list.json as { id: string; active: boolean }[]).find((x) => x.active)?.id).toBe('lab');
    const active = await api(server, s, 'DELETE', '/api/v1/spaces/lab?confirm=lab');
    expect(active.status).toBe(409);
    expect((active.json as { error: { message: string } }).error.message).toContain('mcpmux space use');
    await api(server, s, 'POST', '/api/v1/spaces/personal/activate');
    const preview = await api(server, s, 'GET', '/api/v1/spaces/work/deletion');
    expect(preview.json).toMatchObject({
      installations: ['beta'],
      grants: expect.arrayContaining([{ clientId: 'alice', setId: 'all' }]),
      pinnedClients: [],
    });
    const unconfirmed = await api(server, s, 'DELETE', '/api/v1/spaces/lab?confirm=work');
    expect(unconfirmed.status).toBe(409);
    expect((await api(server, s, 'DELETE', '/api/v1/spaces/lab?confirm=lab')).status).toBe(204);
    expect((await api(server, s, 'GET', '/api/v1/spaces/lab/deletion')).status).toBe(404);
  });

  it('reports status with upstreams, sessions per client and 60 minutes of call counts', async () => {
    const client = await connectClient(server.url, t.keys.alice ?? '');
    await client.callTool({ name: 'alpha_echo', arguments: { text: 'hi' } });
    const status = await api(server, s, 'GET', '/api/v1/status');
    expect(status.status).toBe(200);
    const body = status.json as unknown as {
      activeSpaceId: string;
      upstreams: { serverId: string; state: string }[];
      sessionsByClient: Record<string, number>;
      minutes: { calls: number }[];
    };
    expect(body.activeSpaceId).toBe('personal');
    expect(body.upstreams.find((u) => u.serverId === 'alpha')?.state).toBe('ready');
    expect(body.sessionsByClient.alice).toBe(1);
    expect(body.minutes).toHaveLength(60);
    expect(body.minutes.at(-1)?.calls).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('lists the catalog and servers without literal values, adds one with the CLI’s checks, installs and removes it', async () => {
    const catalog = await api(server, s, 'GET', '/api/v1/catalog');
    expect(
      (catalog.json as { id: string; secrets: string[] }[]).find((e) => e.id === 'github')?.secrets,
    ).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN']);
    const literal = await api(server, s, 'POST', '/api/v1/servers', {
      id: 'leaky',
      transport: { type: 'stdio', command: 'node', env: { API_TOKEN: 'ghp_abcdefabcdefabcdef' } },
    });
    expect(literal.status).toBe(400);
    expect((literal.json as { error: { message: string } }).error.message).toContain(
      'looks like a credential; never pass secrets as arguments',
    );
    const added = await api(server, s, 'POST', '/api/v1/servers', {
      id: 'gh',
      catalogId: 'github',
      spaceId: 'work',
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({
      id: 'gh',
      spaceId: 'work',
      created: true,
      missingSecrets: [{ name: 'GITHUB_PERSONAL_ACCESS_TOKEN' }],
    });
    const servers = await api(server, s, 'GET', '/api/v1/servers');
    const gh = (servers.json as { id: string; transport: { env: Record<string, string | null> } }[]).find(
      (x) => x.id === 'gh',
    );
    expect(gh?.transport.env).toEqual({
      GITHUB_PERSONAL_ACCESS_TOKEN: '${secret:GITHUB_PERSONAL_ACCESS_TOKEN}',
    });
    const secret = await api(
      server,
      s,
      'PUT',
      '/api/v1/spaces/work/servers/gh/secrets/GITHUB_PERSONAL_ACCESS_TOKEN',
      {
        value: 'ghp_secretvalue123456',
      },
    );
    expect(secret.status).toBe(204);
    const detail = await api(server, s, 'GET', '/api/v1/spaces/work/servers/gh');
    expect(detail.json).toMatchObject({
      id: 'gh',
      enabled: true,
      secrets: [{ name: 'GITHUB_PERSONAL_ACCESS_TOKEN', scope: 'work' }],
    });
    expect(detail.body).not.toContain('ghp_secretvalue123456');
    expect((await api(server, s, 'PUT', '/api/v1/spaces/personal/servers/gh', { alias: 'hub' })).status).toBe(
      204,
    );
    expect(
      (await api(server, s, 'PATCH', '/api/v1/spaces/personal/servers/gh', { enabled: false })).status,
    ).toBe(204);
    const inPersonal = await api(server, s, 'GET', '/api/v1/spaces/personal/servers');
    expect(
      (inPersonal.json as { id: string; enabled: boolean; alias: string }[]).find((x) => x.id === 'gh'),
    ).toMatchObject({
      enabled: false,
      alias: 'hub',
    });
    expect((await api(server, s, 'DELETE', '/api/v1/spaces/personal/servers/gh')).status).toBe(204);
    expect(
      (await api(server, s, 'DELETE', '/api/v1/spaces/work/servers/gh/secrets/GITHUB_PERSONAL_ACCESS_TOKEN'))
        .status,
    ).toBe(204);
    const gone = await api(
      server,
      s,
      'DELETE',
      '/api/v1/spaces/work/servers/gh/secrets/GITHUB_PERSONAL_ACCESS_TOKEN',
    );
    expect(gone.status).toBe(404);
    expect((await api(server, s, 'DELETE', '/api/v1/servers/gh')).status).toBe(204);
    expect((await api(server, s, 'DELETE', '/api/v1/servers/gh')).status).toBe(404);
  });

  it('changes a server’s per-Space env overrides (merged, null removes a key) and refuses a literal credential', async () => {
    const path = '/api/v1/spaces/work/servers/beta';
    const overrides = async () =>
      ((await api(server, s, 'GET', path)).json as { overrides: { env?: Record<string, string | null> } })
        .overrides;
    expect(await overrides()).toEqual({});
    const set = await api(server, s, 'PATCH', path, {
      env: { GREETING: 'hello', API_TOKEN: '${secret:API_TOKEN}' },
    });
    expect(set.status).toBe(204);
    // Literal values are stored but never shown back; references are.
    expect(await overrides()).toEqual({ env: { GREETING: null, API_TOKEN: '${secret:API_TOKEN}' } });
    expect((await api(server, s, 'PATCH', path, { env: { GREETING: null, REGION: 'eu' } })).status).toBe(204);
    expect(await overrides()).toEqual({ env: { API_TOKEN: '${secret:API_TOKEN}', REGION: null } });

    const literal = await api(server, s, 'PATCH', path, { env: { API_TOKEN: 'ghp_abcdefabcdefabcdef' } });
    expect(literal.status).toBe(400);
    expect((literal.json as { error: { message: string } }).error.message).toContain(
      '--env API_TOKEN looks like a credential; never pass secrets as arguments',
    );
    expect(literal.body).not.toContain('ghp_abcdefabcdefabcdef');
    const wrongTransport = await api(server, s, 'PATCH', path, { headers: { 'X-Region': 'eu' } });
    expect(wrongTransport.status).toBe(400);
    expect((wrongTransport.json as { error: { message: string } }).error.message).toContain(
      'runs over stdio; use env overrides instead',
    );
    expect(await overrides()).toEqual({ env: { API_TOKEN: '${secret:API_TOKEN}', REGION: null } });
    expect(
      (await api(server, s, 'PATCH', '/api/v1/spaces/work/servers/alpha', { env: { A: 'b' } })).status,
    ).toBe(404);
    expect(
      (await api(server, s, 'PATCH', path, { env: { API_TOKEN: null, REGION: null, GREETING: null } }))
        .status,
    ).toBe(204);
    expect(await overrides()).toEqual({});
  });

  it('restarts an upstream of a Space', async () => {
    const before = server.gateway.status().upstreams.find((u) => u.serverId === 'alpha');
    expect(before?.state).toBe('ready');
    expect(before?.pid).toBeGreaterThan(0);
    expect((await api(server, s, 'POST', '/api/v1/spaces/personal/servers/alpha/restart')).status).toBe(204);
    await waitFor(
      () => {
        const now = server.gateway.status().upstreams.find((u) => u.serverId === 'alpha');
        return now?.state === 'ready' && now.pid !== before?.pid;
      },
      10_000,
      'alpha back to ready in a new process',
    );
  });

  it('manages FeatureSets and shows a client’s preview with exclude-wins trails', async () => {
    const created = await api(server, s, 'POST', '/api/v1/spaces/personal/featuresets', {
      id: 'no-echo',
      name: 'No echo',
    });
    expect(created.status).toBe(201);
    const member = {
      mode: 'exclude',
      selector: { type: 'feature', kind: 'tool', server: 'alpha', name: 'echo' },
    };
    const withMember = await api(
      server,
      s,
      'POST',
      '/api/v1/spaces/personal/featuresets/no-echo/members',
      member,
    );
    expect(withMember.json).toMatchObject({ id: 'no-echo', kind: 'custom', members: [member] });
    expect((await api(server, s, 'PUT', '/api/v1/clients/bob/grants/personal/no-echo')).status).toBe(204);
    const features = await api(server, s, 'GET', '/api/v1/spaces/personal/features');
    expect((features.json as { exposedName: string }[]).map((f) => f.exposedName)).toContain('alpha_echo');
    const preview = await api(server, s, 'GET', '/api/v1/spaces/personal/clients/bob/preview');
    const echo = (
      preview.json as unknown as {
        tools: { name: string; allowed: boolean; includedBy: string[][]; excludedBy: string[][] }[];
      }
    ).tools.find((x) => x.name === 'echo');
    expect(echo).toMatchObject({ allowed: false, includedBy: [['all']], excludedBy: [['no-echo']] });
    const sets = await api(server, s, 'GET', '/api/v1/spaces/personal/featuresets');
    expect((sets.json as { id: string }[]).map((x) => x.id)).toEqual(
      expect.arrayContaining(['all', 'default', 'no-echo']),
    );
    const builtIn = await api(server, s, 'DELETE', '/api/v1/spaces/personal/featuresets/all');
    expect(builtIn.status).toBe(409);
    await api(server, s, 'DELETE', '/api/v1/spaces/personal/featuresets/no-echo/members', member);
    expect((await api(server, s, 'DELETE', '/api/v1/spaces/personal/featuresets/no-echo')).status).toBe(204);
  });

  it('adds a client with its key once and connect snippets, rotates, revokes and removes it', async () => {
    const created = await api(server, s, 'POST', '/api/v1/clients', { id: 'cursor', pinnedSpaceId: 'work' });
    expect(created.status).toBe(201);
    const body = created.json as unknown as {
      client: { mode: string; keys: number };
      accessKey: string;
      connect: { app: string; snippet: string }[];
    };
    expect(body.client).toMatchObject({ mode: 'pinned', keys: 1 });
    expect(body.accessKey).toMatch(/^mcpmux_/);
    const cursor = body.connect.find((c) => c.app === 'cursor');
    expect(cursor?.snippet).toContain(`${baseOf(server)}/mcp`);
    expect(cursor?.snippet).toContain('${env:MCPMUX_ACCESS_KEY_CURSOR}');
    expect(body.connect.find((c) => c.app === 'claude-desktop')?.snippet).toContain('"--client"');
    expect(JSON.stringify(body.connect)).not.toContain(body.accessKey);
    const listed = await api(server, s, 'GET', '/api/v1/clients');
    expect(JSON.stringify(listed.json)).not.toContain(body.accessKey);
    const patched = await api(server, s, 'PATCH', '/api/v1/clients/cursor', { mode: 'follow-active' });
    expect(patched.json).toMatchObject({ mode: 'follow-active' });
    const rotated = await api(server, s, 'POST', '/api/v1/clients/cursor/rotate');
    expect((rotated.json as { accessKey: string }).accessKey).not.toBe(body.accessKey);
    expect((await api(server, s, 'PUT', '/api/v1/clients/cursor/grants/work/all')).status).toBe(204);
    expect((await api(server, s, 'GET', '/api/v1/clients/cursor/grants')).json).toEqual([
      { spaceId: 'work', setId: 'all' },
    ]);
    expect((await api(server, s, 'DELETE', '/api/v1/clients/cursor/grants/work/all')).status).toBe(204);
    expect((await api(server, s, 'POST', '/api/v1/clients/cursor/revoke')).status).toBe(204);
    expect((await api(server, s, 'GET', '/api/v1/clients')).json).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'cursor', keys: 0 })]),
    );
    expect((await api(server, s, 'DELETE', '/api/v1/clients/cursor')).status).toBe(204);
  });

  it('lists audit events newest first, filtered', async () => {
    const client = await connectClient(server.url, t.keys.bob ?? '');
    await client.callTool({ name: 'alpha_whoami', arguments: {} });
    await client.close();
    await waitFor(
      async () => {
        const res = await api(server, s, 'GET', '/api/v1/audit?client=bob&limit=5');
        return (res.json as unknown[]).length > 0;
      },
      10_000,
      'an audit event of bob',
    );
    const res = await api(server, s, 'GET', '/api/v1/audit?client=bob&server=alpha&decision=allow&limit=5');
    const events = res.json as unknown as { clientId: string; feature: { server: string }; at: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.clientId === 'bob' && e.feature.server === 'alpha')).toBe(true);
    const none = await api(server, s, 'GET', '/api/v1/audit?client=bob&decision=deny');
    expect(none.json).toEqual([]);
  });

  it('streams a store change made by another writer as an SSE change event', async () => {
    const controller = new AbortController();
    const res = await fetch(`${baseOf(server)}/api/v1/events`, {
      headers: { cookie: s.cookie },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const seen = (async () => {
      while (!text.includes('"kind":"space"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    await waitFor(() => server.admin.events.size > 0, 5000, 'the stream to open');
    // Another writer: a store opened on the same database, as the CLI does.
    const { openSqliteSpaceStore } = await import('@mcpmux/space-store/sqlite');
    const other = openSqliteSpaceStore({ path: `${t.home}/mcpmux.db` });
    await other.createSpace({ id: 'from-cli' });
    await other.close();
    await seen;
    controller.abort();
    expect(text).toContain('event: change');
    expect(text).toContain('"kind":"space"');
  });

  it('logs out: the cookie is cleared and the session no longer opens the API', async () => {
    const mine = await login(server);
    const out = await api(server, mine, 'POST', '/api/v1/session/logout');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await api(server, mine, 'GET', '/api/v1/spaces')).status).toBe(401);
  });

  it('hands a login link to an admin-login/1 line on the gateway socket', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(server.socket);
      let data = '';
      sock.on('data', (c) => {
        data += c.toString();
      });
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      sock.write('{"mcpmux":"admin-login/1"}\n');
    });
    const link = JSON.parse(answer) as { url: string; expiresAt: string };
    expect(link.url).toMatch(new RegExp(`^${baseOf(server)}/login\\?token=[A-Za-z0-9_-]{43}$`));
    const res = await raw(link.url, { method: 'GET' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(String(res.headers['set-cookie'])).toMatch(
      /^mcpmux_admin=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
  });
});
