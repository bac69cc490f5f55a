import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, packageFile, runCli } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { type RunningGateway, startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { waitFor } from './helpers/processes.js';
import { addNodeServer, fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// Work vs Personal: the same server installed in two Spaces with different credentials. A
// follow-active client sees the active Space; `mcpmux space use` in another process switches its
// credential and tool list live, with tools/list_changed. A client pinned to Work does not move.
describe('Work vs Personal', () => {
  let home: TempHome;
  let gateway: RunningGateway;
  let laptop: McpSession;
  let workIde: McpSession;
  const workToken = fakeToken('work');
  const personalToken = fakeToken('personal');

  beforeAll(async () => {
    home = await initHome();
    await runCli(home, ['space', 'create', 'work', '--name', 'Work']);
    await installEnvEcho(home, { space: 'work', token: workToken });
    await installEnvEcho(home, { space: 'personal', token: personalToken });
    // Only Work has the memory server, so the two Spaces' tool lists differ.
    await addNodeServer(
      home,
      'work',
      'memory',
      [packageFile('@modelcontextprotocol/server-memory/dist/index.js')],
      {
        MEMORY_FILE_PATH: join(home.scratch, 'memory.jsonl'),
      },
    );
    const laptopKey = await addClient(home, 'laptop');
    await runCli(home, ['client', 'grant', 'laptop', 'all', '--space', 'work']);
    await runCli(home, ['client', 'grant', 'laptop', 'all', '--space', 'personal']);
    const workIdeKey = await addClient(home, 'work-ide', ['--pinned', 'work']);
    await runCli(home, ['client', 'grant', 'work-ide', 'all', '--space', 'work']);
    await runCli(home, ['space', 'use', 'work']);

    gateway = await startGateway(home);
    laptop = await connectHttp(gateway.url, laptopKey);
    workIde = await connectHttp(gateway.url, workIdeKey);
  });

  afterAll(async () => {
    await laptop?.close();
    await workIde?.close();
    await stopAllGateways();
    home?.remove();
  });

  // `mcpmux space use` in another process, then the follow-active session's tools/list_changed.
  async function activateAndAwaitListChanged(space: string): Promise<void> {
    const before = laptop.listChanged.tools;
    await runCli(home, ['space', 'use', space]);
    await waitFor(() => laptop.listChanged.tools > before, {
      what: `tools/list_changed after space use ${space}`,
    });
  }

  it('injects the Work credential and lists Work tools while Work is active', async () => {
    const tools = await laptop.toolNames();
    expect(tools).toContain('env-echo_whoami');
    expect(tools.some((t) => t.startsWith('memory_'))).toBe(true);
    expect(await laptop.callText('env-echo_whoami')).toBe(`token=${workToken}`);
  });

  it('switches credential and tool list live when the CLI activates Personal', async () => {
    await activateAndAwaitListChanged('personal');

    const tools = await laptop.toolNames();
    expect(tools).toContain('env-echo_whoami');
    expect(tools.filter((t) => t.startsWith('memory_'))).toEqual([]);
    expect(await laptop.callText('env-echo_whoami')).toBe(`token=${personalToken}`);
    await expect(laptop.callText('memory_read_graph')).rejects.toThrow();
  });

  it('keeps a client pinned to Work on Work after the switch', async () => {
    const tools = await workIde.toolNames();
    expect(tools.some((t) => t.startsWith('memory_'))).toBe(true);
    expect(await workIde.callText('env-echo_whoami')).toBe(`token=${workToken}`);
  });

  it('switches back to the Work credential when Work is activated again', async () => {
    await activateAndAwaitListChanged('work');
    expect(await laptop.callText('env-echo_whoami')).toBe(`token=${workToken}`);
    expect((await laptop.toolNames()).some((t) => t.startsWith('memory_'))).toBe(true);
  });

  it('never writes a credential to the home in plaintext', async () => {
    const { stdout } = await runCli(home, ['--json', 'secret', 'list']);
    expect(stdout).not.toContain(workToken);
    expect(stdout).not.toContain(personalToken);
    for (const name of readdirSync(home.dir, { recursive: true }) as string[]) {
      const file = join(home.dir, name);
      if (!statSync(file).isFile()) continue;
      const bytes = readFileSync(file).toString('latin1');
      expect(bytes.includes(workToken), `${name} holds the Work token`).toBe(false);
      expect(bytes.includes(personalToken), `${name} holds the Personal token`).toBe(false);
    }
  });
});
