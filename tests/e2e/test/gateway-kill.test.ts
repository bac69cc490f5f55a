import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { addClient, packageFile, runCli } from './helpers/cli.js';
import { connectHttp } from './helpers/client.js';
import { startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { commandLineOf, isAlive, waitFor } from './helpers/processes.js';
import { addNodeServer, fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// `kill -9` of the gateway (no cleanup code runs) must not leave its stdio upstreams behind, even
// those that ignore stdin EOF: server-everything, and a fixture that also ignores SIGTERM.
const STUBBORN = fileURLToPath(
  new URL('../../../packages/gateway/test/fixtures/stubborn.mjs', import.meta.url),
);

describe('a gateway killed with SIGKILL', () => {
  let home: TempHome | undefined;

  afterAll(async () => {
    await stopAllGateways();
    home?.remove();
  });

  it('leaves none of its 3 stdio upstreams alive, including two that ignore stdin EOF', async () => {
    home = await initHome();
    await addNodeServer(home, 'personal', 'everything', [
      packageFile('@modelcontextprotocol/server-everything/dist/index.js'),
      'stdio',
    ]);
    await addNodeServer(home, 'personal', 'stubborn', [STUBBORN]);
    await installEnvEcho(home, { space: 'personal', token: fakeToken('kill') });
    const key = await addClient(home, 'app');
    await runCli(home, ['client', 'grant', 'app', 'all', '--space', 'personal']);
    const gateway = await startGateway(home);
    const session = await connectHttp(gateway.url, key);
    const tools = await session.toolNames();
    expect(tools).toEqual(expect.arrayContaining(['everything_echo', 'stubborn_pid', 'env-echo_whoami']));
    const upstreams = [
      Number(await session.callText('stubborn_pid')),
      Number(await session.callText('env-echo_pid')),
      ...gateway.children().filter((pid) => commandLineOf(pid).includes('server-everything')),
    ];
    expect(upstreams).toHaveLength(3);
    for (const pid of upstreams) expect(gateway.children()).toContain(pid);

    const killedAt = performance.now();
    process.kill(gateway.pid, 'SIGKILL');
    await waitFor(() => upstreams.every((pid) => !isAlive(pid)), {
      timeoutMs: 15_000,
      what: 'the upstreams of the killed gateway to exit',
    });
    console.log(
      `[measure] gateway SIGKILL -> last of 3 upstreams gone: ${(performance.now() - killedAt).toFixed(0)} ms`,
    );
    await session.close().catch(() => undefined);
  });
});
