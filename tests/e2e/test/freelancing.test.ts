import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, runCli } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { waitFor } from './helpers/processes.js';
import { fakeToken, initHome, installEnvEcho } from './helpers/setup.js';

// Multi-client freelancing: three client Spaces, each with the same server under its own alias and
// its own credential, and three clients each pinned to one Space. No client sees another Space's
// tools, prompts, resources or secrets, whatever Space is active.
const customers = ['acme', 'globex', 'initech'] as const;
type Customer = (typeof customers)[number];

describe('multi-client freelancing', () => {
  let home: TempHome;
  const tokens = Object.fromEntries(customers.map((c) => [c, fakeToken(c)])) as Record<Customer, string>;
  const sessions = {} as Record<Customer, McpSession>;
  let observer: McpSession;

  beforeAll(async () => {
    home = await initHome();
    const keys = {} as Record<Customer, string>;
    for (const c of customers) {
      await runCli(home, ['space', 'create', c]);
      await installEnvEcho(home, { space: c, alias: c, token: tokens[c] });
      keys[c] = await addClient(home, `${c}-ide`, ['--pinned', c]);
      await runCli(home, ['client', 'grant', `${c}-ide`, 'all', '--space', c]);
    }
    // A follow-active client granted everything in globex: a barrier that shows when the gateway
    // has noticed a Space switch.
    const observerKey = await addClient(home, 'observer');
    await runCli(home, ['client', 'grant', 'observer', 'all', '--space', 'globex']);
    const gateway = await startGateway(home);
    for (const c of customers) sessions[c] = await connectHttp(gateway.url, keys[c]);
    observer = await connectHttp(gateway.url, observerKey);
  });

  afterAll(async () => {
    for (const c of customers) await sessions[c]?.close();
    await observer?.close();
    await stopAllGateways();
    home?.remove();
  });

  it.each(customers)('shows %s only its own tools, prompts and resources', async (c) => {
    const tools = await sessions[c].toolNames();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.startsWith(`${c}_`))).toBe(true);
    expect(await sessions[c].promptNames()).toEqual([`${c}_briefing`]);
    expect(await sessions[c].resourceUris()).toEqual([`fixture://${c}/notes`]);
  });

  it.each(customers)('injects only the credential of %s', async (c) => {
    expect(await sessions[c].callText(`${c}_whoami`)).toBe(`token=${tokens[c]}`);
  });

  it.each(customers)('treats the features of other Spaces as nonexistent for %s', async (c) => {
    for (const other of customers.filter((o) => o !== c)) {
      await expect(sessions[c].callText(`${other}_whoami`)).rejects.toThrow();
      await expect(sessions[c].client.getPrompt({ name: `${other}_briefing` })).rejects.toThrow();
      await expect(sessions[c].client.readResource({ uri: `fixture://${other}/notes` })).rejects.toThrow();
    }
  });

  it('leaks no other Space or secret through anything a client can list or read', async () => {
    expect(await observer.toolNames()).toEqual([]);
    await runCli(home, ['space', 'use', 'globex']);
    await waitFor(async () => (await observer.toolNames()).includes('globex_whoami'), {
      what: 'the follow-active observer to see globex',
    });
    for (const c of customers) {
      const session = sessions[c];
      const seen = JSON.stringify([
        await session.client.listTools(),
        await session.client.listPrompts(),
        await session.client.listResources(),
        await session.client.readResource({ uri: `fixture://${c}/notes` }),
        await session.client.getPrompt({ name: `${c}_briefing` }),
        await session.callText(`${c}_whoami`),
      ]);
      for (const other of customers.filter((o) => o !== c)) {
        expect(seen).not.toContain(other);
        expect(seen).not.toContain(tokens[other]);
      }
    }
  });
});
