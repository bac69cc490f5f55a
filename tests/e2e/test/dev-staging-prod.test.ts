import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, cliJson, runCli } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { waitFor } from './helpers/processes.js';
import { fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// Dev/Staging/Prod: the same deploy-capable server in three Spaces. A "No Deploy" guard set (an
// exclude-only set) granted next to `all` removes every deploy tool in every Space, for listing and
// for calling; a client with the same broad grant and no guard still sees them.
const stages = ['dev', 'staging', 'prod'] as const;

interface Explanation {
  allowed: boolean;
  inCatalog: boolean;
  includedBy: string[][];
  excludedBy: string[][];
}

describe('Dev/Staging/Prod with a No Deploy guard', () => {
  let home: TempHome;
  let guarded: McpSession;
  let releaser: McpSession;

  beforeAll(async () => {
    home = await initHome();
    const guardedKey = await addClient(home, 'ci-bot');
    const releaserKey = await addClient(home, 'release-bot');
    for (const stage of stages) {
      await runCli(home, ['space', 'create', stage]);
      await installEnvEcho(home, { space: stage, token: fakeToken(stage) });
      await runCli(home, ['featureset', 'create', 'no-deploy', '--name', 'No Deploy', '--space', stage]);
      await runCli(home, ['featureset', 'exclude', 'no-deploy', 'tool:*/deploy*', '--space', stage]);
      await runCli(home, ['client', 'grant', 'ci-bot', 'all', '--space', stage]);
      await runCli(home, ['client', 'grant', 'ci-bot', 'no-deploy', '--space', stage]);
      await runCli(home, ['client', 'grant', 'release-bot', 'all', '--space', stage]);
    }
    await runCli(home, ['space', 'use', 'dev']);
    const gateway = await startGateway(home);
    guarded = await connectHttp(gateway.url, guardedKey);
    releaser = await connectHttp(gateway.url, releaserKey);
  });

  afterAll(async () => {
    await guarded?.close();
    await releaser?.close();
    await stopAllGateways();
    home?.remove();
  });

  it.each(stages)('removes deploy tools in %s for the guarded client, listing and calling', async (stage) => {
    await runCli(home, ['space', 'use', stage]);
    await waitFor(async () => (await releaser.callText('env-echo_list_releases')) === `${stage}: v1, v2`, {
      what: `the gateway to follow the switch to ${stage}`,
    });

    const tools = await guarded.toolNames();
    expect(tools).toContain('env-echo_rollback');
    expect(tools).toContain('env-echo_list_releases');
    expect(tools.filter((t) => t.includes('deploy'))).toEqual([]);
    await expect(guarded.callText('env-echo_deploy', { version: 'v2' })).rejects.toThrow();
    await expect(guarded.callText('env-echo_deploy_canary')).rejects.toThrow();
    expect(await guarded.callText('env-echo_rollback')).toBe(`rollback latest on ${stage}`);
  });

  it.each(stages)('keeps deploy tools in %s for a client without the guard', async (stage) => {
    await runCli(home, ['space', 'use', stage]);
    await waitFor(async () => (await releaser.callText('env-echo_list_releases')) === `${stage}: v1, v2`, {
      what: `the gateway to follow the switch to ${stage}`,
    });
    const tools = await releaser.toolNames();
    expect(tools).toEqual(expect.arrayContaining(['env-echo_deploy', 'env-echo_deploy_canary']));
    expect(await releaser.callText('env-echo_deploy', { version: 'v2' })).toBe(`deploy v2 on ${stage}`);
  });

  it('explains the denial by the guard set and agrees in `mcpmux tools`', async () => {
    const why = await cliJson<Explanation>(home, [
      'explain',
      '--client',
      'ci-bot',
      'tool:env-echo/deploy',
      '--space',
      'prod',
    ]);
    expect(why.allowed).toBe(false);
    expect(why.inCatalog).toBe(true);
    expect(why.excludedBy.some((trail) => trail.includes('no-deploy'))).toBe(true);

    const tools = await cliJson<{ kind: string; server: string; name: string; exposedName: string }[]>(home, [
      'tools',
      '--client',
      'ci-bot',
      '--space',
      'prod',
    ]);
    const names = tools.filter((f) => f.kind === 'tool').map((f) => f.exposedName);
    expect(names).toContain('env-echo_rollback');
    expect(names.filter((n) => n.includes('deploy'))).toEqual([]);
  });
});
