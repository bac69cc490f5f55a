import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, runCli } from './helpers/cli.js';
import { connectStdio, type McpSession } from './helpers/client.js';
import type { TempHome } from './helpers/home.js';
import { fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// The stdio bridge: an app that only speaks stdio runs `mcpmux stdio --client ID` and gets the same
// policy as over HTTP: the granted tools, the Space's credential, nothing excluded, and no process
// left behind when it closes.
describe('stdio bridge', () => {
  let home: TempHome;
  let session: McpSession | undefined;
  const token = fakeToken('desk');

  beforeAll(async () => {
    home = await initHome();
    await installEnvEcho(home, { space: 'personal', token });
    await addClient(home, 'desktop');
    await runCli(home, ['featureset', 'create', 'no-restart']);
    await runCli(home, ['featureset', 'exclude', 'no-restart', 'tool:env-echo/restart']);
    await runCli(home, ['client', 'grant', 'desktop', 'all']);
    await runCli(home, ['client', 'grant', 'desktop', 'no-restart']);
  });

  afterAll(async () => {
    await session?.close();
    home?.remove();
  });

  it('serves the granted tools with the Space credential and hides the excluded one', async () => {
    session = await connectStdio(home, 'desktop');
    const tools = await session.toolNames();
    expect(tools).toEqual(expect.arrayContaining(['env-echo_whoami', 'env-echo_deploy']));
    expect(tools).not.toContain('env-echo_restart');
    expect(await session.callText('env-echo_whoami')).toBe(`token=${token}`);
    await expect(session.callText('env-echo_restart')).rejects.toThrow();
    expect(await session.resourceUris()).toEqual(['fixture://personal/notes']);
  });

  it('exits with its upstreams when the client closes', async () => {
    const open = session!;
    session = undefined;
    await expect(open.close()).resolves.toBeUndefined();
  });

  it('refuses an unknown client id', async () => {
    await expect(connectStdio(home, 'nobody')).rejects.toThrow();
  });
});
