import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, cliJson, runCli, setSecret } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { type RunningGateway, startGateway, stopAllGateways } from './helpers/gateway.js';
import { databaseFileOf, type TempHome } from './helpers/home.js';
import { isAlive, waitFor } from './helpers/processes.js';
import { fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// A default-enabled server (credential in the global scope) is visible in every Space. Deleting a
// Space removes its secrets (checked in the SQLite file itself), stops its upstreams and keeps the
// server definition, which another Space still uses.
const spaces = ['personal', 'keep', 'doomed'] as const;

function vaultRowsOf(home: TempHome, spaceId: string): { secrets: number; dataKeys: number } {
  const db = new Database(databaseFileOf(home), { readonly: true, fileMustExist: true });
  try {
    const scope = `space:${spaceId}`;
    const count = (sql: string) => (db.prepare(sql).get(scope) as { n: number }).n;
    return {
      secrets: count('SELECT count(*) AS n FROM vault_secrets WHERE scope = ?'),
      dataKeys: count('SELECT count(*) AS n FROM vault_data_keys WHERE scope = ?'),
    };
  } finally {
    db.close();
  }
}

describe('default-enabled server and Space deletion', () => {
  let home: TempHome;
  let gateway: RunningGateway;
  let viewer: McpSession;
  const globalToken = fakeToken('global');
  const doomedToken = fakeToken('doomed');
  const keepToken = fakeToken('keep');

  beforeAll(async () => {
    home = await initHome();
    await runCli(home, ['space', 'create', 'keep']);
    await runCli(home, ['space', 'create', 'doomed']);
    await installEnvEcho(home, { space: 'default-enabled', server: 'shared', token: globalToken });
    await installEnvEcho(home, { space: 'keep', token: keepToken });
    // `ledger` is installed only in doomed: its definition must outlive the Space.
    await installEnvEcho(home, { space: 'doomed', server: 'ledger', token: doomedToken });
    const key = await addClient(home, 'viewer');
    for (const s of spaces) await runCli(home, ['client', 'grant', 'viewer', 'all', '--space', s]);
    gateway = await startGateway(home);
    viewer = await connectHttp(gateway.url, key);
  });

  afterAll(async () => {
    await viewer?.close();
    await stopAllGateways();
    home?.remove();
  });

  // Each Space has its own marker tool (personal: none), so the tool list shows which is active.
  const marker: Record<string, string | undefined> = { keep: 'env-echo_whoami', doomed: 'ledger_whoami' };
  async function activate(space: string): Promise<void> {
    await runCli(home, ['space', 'use', space]);
    await waitFor(
      async () => {
        const tools = await viewer.toolNames();
        return Object.values(marker).every((m) => tools.includes(m!) === (m === marker[space]));
      },
      { what: `the gateway to follow the switch to ${space}` },
    );
  }

  it.each(spaces)('shows the default-enabled server with the global credential in %s', async (space) => {
    await activate(space);
    expect(await viewer.toolNames()).toContain('shared_whoami');
    expect(await viewer.callText('shared_whoami')).toBe(`token=${globalToken}`);
  });

  it('removes the secrets and upstreams of a deleted Space and keeps the server definition', async () => {
    await activate('doomed');
    expect(await viewer.callText('ledger_whoami')).toBe(`token=${doomedToken}`);
    const upstreamPid = Number(await viewer.callText('ledger_pid'));
    expect(isAlive(upstreamPid)).toBe(true);
    expect(gateway.children()).toContain(upstreamPid);
    expect(vaultRowsOf(home, 'doomed').secrets).toBeGreaterThan(0);

    await activate('keep');
    await runCli(home, ['space', 'delete', 'doomed', '--yes']);

    await waitFor(() => !isAlive(upstreamPid), { what: "the deleted Space's upstream to exit" });
    expect(vaultRowsOf(home, 'doomed')).toEqual({ secrets: 0, dataKeys: 0 });
    expect(vaultRowsOf(home, 'keep').secrets).toBeGreaterThan(0);

    const spaceIds = (await cliJson<{ id: string }[]>(home, ['space', 'list'])).map((s) => s.id);
    expect(spaceIds).not.toContain('doomed');
    expect(await viewer.callText('env-echo_whoami')).toBe(`token=${keepToken}`);
    expect(await viewer.callText('shared_whoami')).toBe(`token=${globalToken}`);

    // The definition survived: installing `ledger` again needs no --command.
    await runCli(home, ['server', 'add', 'ledger', '--space', 'keep', '--no-connect']);
    const shown = await cliJson<{ transport: { command?: string } }>(home, [
      'server',
      'show',
      'ledger',
      '--space',
      'keep',
    ]);
    expect(shown.transport.command).toBe(process.execPath);
  });

  it('serves a re-installed server once its credential is stored in the new Space', async () => {
    // `ledger` was re-installed in keep (active) without its TOKEN: the gateway could not start it.
    expect(await viewer.toolNames()).not.toContain('ledger_whoami');
    await setSecret(home, 'ledger', 'TOKEN', 'reborn', ['--space', 'keep']);
    await waitFor(async () => (await viewer.toolNames()).includes('ledger_whoami'), {
      what: 'the gateway to start ledger once its secret is stored',
    });
    expect(await viewer.callText('ledger_whoami')).toBe('token=reborn');

    // Rotating the credential restarts the running upstream with the new value, live.
    await setSecret(home, 'ledger', 'TOKEN', 'rotated', ['--space', 'keep']);
    await waitFor(async () => (await viewer.callText('ledger_whoami').catch(() => '')) === 'token=rotated', {
      what: 'the gateway to restart ledger with the rotated secret',
    });
  });
});
