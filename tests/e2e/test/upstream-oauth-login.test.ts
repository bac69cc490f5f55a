import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, CLI_BIN, fixturePath, runCli } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { type RunningGateway, startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { waitFor } from './helpers/processes.js';
import { initHome } from './helpers/setup.js';

// `mcpmux login SERVER --space S` against a local OAuth-protected MCP server (tests/e2e/fixtures/
// oauth-upstream.mjs): two Spaces signed in as two users reach their own identities through the
// gateway; an expired access token is refreshed unnoticed; a refused refresh asks for a new sign-in
// instead of restarting; no token reaches any file of the home.

interface Fixture {
  base: string;
  child: ChildProcess;
  stats(): Promise<{ refreshes: number; unauthorized: number; issued: string[] }>;
  control(what: 'expire' | 'refuse-refresh'): Promise<void>;
}

async function startFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const child = spawn(process.execPath, [fixturePath('oauth-upstream.mjs')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on (\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`oauth fixture exited: ${err}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    child,
    stats: async () => (await fetch(`${base}/_control/stats`)).json() as never,
    control: async (what) => {
      await fetch(`${base}/_control/${what}`, { method: 'POST' });
    },
  };
}

/**
 * Runs `mcpmux login` and plays the browser: reads the sign-in URL it prints on stderr, requests
 * it as `user` (the fixture auto-approves) and follows the redirect to the CLI's loopback listener.
 */
async function login(home: TempHome, server: string, space: string, user: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [CLI_BIN, '--home', home.dir, 'login', server, '--space', space, '--no-open'],
    {
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const authorizeUrl = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stderr);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`login exited (${code}) before printing a URL: ${stderr}`)));
  });
  const approve = new URL(authorizeUrl);
  approve.searchParams.set('login_as', user);
  const redirect = await fetch(approve, { redirect: 'manual' });
  expect(redirect.status).toBe(302);
  const callback = redirect.headers.get('location') ?? '';
  expect(callback.startsWith('http://127.0.0.1:')).toBe(true);
  expect((await fetch(callback)).status).toBe(200);
  const code = await exited;
  if (code !== 0) throw new Error(`login exited ${code}: ${stderr}`);
  return stdout + stderr;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...filesUnder(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

describe('mcpmux login: OAuth sign-in to a hosted upstream, per Space', () => {
  let home: TempHome;
  let fixture: Fixture;
  /** Access tokens live 30 s, inside the gateway's refresh margin: every use refreshes first. */
  let shortLived: Fixture;
  let gateway: RunningGateway;
  let work: McpSession;
  let personal: McpSession;
  const cliOutput: string[] = [];

  beforeAll(async () => {
    fixture = await startFixture();
    shortLived = await startFixture({ ACCESS_TTL_SECONDS: '30' });
    home = await initHome();
    await runCli(home, ['space', 'create', 'work', '--name', 'Work']);
    for (const space of ['work', 'personal']) {
      await runCli(home, [
        'server',
        'add',
        'hosted',
        '--url',
        `${fixture.base}/mcp`,
        '--space',
        space,
        '--no-connect',
      ]);
    }
    cliOutput.push(await login(home, 'hosted', 'work', 'alice'));
    cliOutput.push(await login(home, 'hosted', 'personal', 'bob'));
    await runCli(home, [
      'server',
      'add',
      'short',
      '--url',
      `${shortLived.base}/mcp`,
      '--space',
      'work',
      '--no-connect',
    ]);
    cliOutput.push(await login(home, 'short', 'work', 'carol'));
    const workKey = await addClient(home, 'work-ide', ['--pinned', 'work']);
    await runCli(home, ['client', 'grant', 'work-ide', 'all', '--space', 'work']);
    const personalKey = await addClient(home, 'home-ide', ['--pinned', 'personal']);
    await runCli(home, ['client', 'grant', 'home-ide', 'all', '--space', 'personal']);
    gateway = await startGateway(home);
    work = await connectHttp(gateway.url, workKey);
    personal = await connectHttp(gateway.url, personalKey);
  });

  afterAll(async () => {
    await work?.close();
    await personal?.close();
    await stopAllGateways();
    fixture?.child.kill();
    shortLived?.child.kill();
    home?.remove();
  });

  it('reaches the identity each Space signed in as', async () => {
    expect(await work.callText('hosted_whoami')).toBe('user=alice');
    expect(await personal.callText('hosted_whoami')).toBe('user=bob');
  });

  it('says in server show that the server is signed in, without showing a token', async () => {
    const { stdout } = await runCli(home, ['server', 'show', 'hosted', '--space', 'work']);
    expect(stdout).toMatch(/Sign-in: +signed in \(OAuth, refreshed by the gateway\)/);
  });

  it('refreshes an expired access token without the caller noticing', async () => {
    const before = (await fixture.stats()).refreshes;
    await fixture.control('expire');
    expect(await work.callText('hosted_whoami')).toBe('user=alice');
    expect(await personal.callText('hosted_whoami')).toBe('user=bob');
    expect((await fixture.stats()).refreshes).toBeGreaterThan(before);
  });

  it('refreshes an access token about to expire before using it', async () => {
    const before = await shortLived.stats();
    expect(await work.callText('short_whoami')).toBe('user=carol');
    const after = await shortLived.stats();
    expect(after.refreshes).toBeGreaterThan(before.refreshes);
    expect(after.unauthorized).toBe(before.unauthorized); // never sent the old token
  });

  it('asks for a new sign-in when the refresh is refused, instead of restarting', async () => {
    await fixture.control('refuse-refresh');
    await fixture.control('expire');
    await expect(work.callText('hosted_whoami')).rejects.toThrow(/mcpmux login hosted --space work/);
    const refreshes = (await fixture.stats()).refreshes;
    // The upstream stays down (its tools unavailable) instead of crash-looping against the server.
    await expect(work.callText('hosted_whoami')).rejects.toThrow();
    expect((await fixture.stats()).refreshes).toBe(refreshes);
    const { stdout } = await runCli(home, ['server', 'show', 'hosted', '--space', 'work']);
    expect(stdout).toMatch(/Sign-in: +expired, sign in again: mcpmux login hosted --space work/);
  });

  it('reaches the server again after a new login, without restarting the gateway', async () => {
    cliOutput.push(await login(home, 'hosted', 'work', 'alice'));
    // The running gateway sees the new sign-in through the store (polled) and reconnects.
    await waitFor(async () => (await work.callText('hosted_whoami').catch(() => '')) === 'user=alice', {
      what: 'the gateway to reconnect with the new sign-in',
    });
  });

  it('writes no token to any file of the home, the CLI output or the gateway log', async () => {
    const issued = [...(await fixture.stats()).issued, ...(await shortLived.stats()).issued];
    expect(issued.length).toBeGreaterThan(6);
    const texts = [
      ...filesUnder(home.dir).map((f) => readFileSync(f).toString('latin1')),
      ...cliOutput,
      gateway.stderr(),
    ];
    for (const token of issued) {
      for (const text of texts) expect(text.includes(token)).toBe(false);
    }
  });

  it('logout deletes the sign-in', async () => {
    await runCli(home, ['logout', 'hosted', '--space', 'personal']);
    const { stdout } = await runCli(home, ['server', 'show', 'hosted', '--space', 'personal']);
    expect(stdout).toMatch(/Sign-in: +not signed in/);
  });
});
