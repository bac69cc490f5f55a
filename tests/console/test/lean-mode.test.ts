import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, fixturePath, runCli } from '../../e2e/test/helpers/cli.js';
import { connectHttp, type McpSession } from '../../e2e/test/helpers/client.js';
import { waitFor } from '../../e2e/test/helpers/processes.js';
import { type ConsoleBrowser, launchBrowser } from './helpers/browser.js';
import { type ConsoleGateway, mintLoginLink, startConsoleGateway } from './helpers/gateway.js';
import { openPage } from './helpers/pages.js';

const META = ['mcpmux_call_tool', 'mcpmux_describe_tool', 'mcpmux_search_tools'];

// Lean mode (DESIGN §14) from the client page: the switch and the pinned tools reach an app that is
// connected as the client (real gateway, the env-echo fixture as a child process, the SDK client).
describe('lean mode on the client page', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  let session: McpSession | undefined;

  beforeAll(async () => {
    gateway = await startConsoleGateway();
    await runCli(gateway.home, [
      'server',
      'add',
      'ops',
      '--command',
      process.execPath,
      '--arg',
      fixturePath('env-echo.mjs'),
      '--space',
      'personal',
      '--no-connect',
    ]);
    const key = await addClient(gateway.home, 'desk');
    await runCli(gateway.home, ['client', 'grant', 'desk', 'all', '--space', 'personal']);
    session = await connectHttp(gateway.server.url, key);
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(await mintLoginLink(gateway.server.socket));
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  afterAll(async () => {
    if (browser !== undefined && browser.errors.length > 0) console.log('browser errors:', browser.errors);
    await session?.close();
    await browser?.close();
    await gateway?.close();
  });

  it('turns lean mode on with the switch, pins a tool, and turns it off again', async () => {
    const app = session!;
    const full = await app.toolNames();
    expect(full).toContain('ops_whoami');
    expect(full.filter((n) => n.startsWith('mcpmux_'))).toEqual([]);

    await openPage(page, 'Clients');
    await page.getByRole('link', { name: 'desk', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'desk' }).waitFor();
    const toggle = page.getByRole('switch', { name: 'Lean mode (tool search)' });
    expect(await toggle.isChecked()).toBe(false);

    await toggle.check();
    await page.getByText('Apps see mcpmux_search_tools').waitFor();
    await waitFor(() => app.listChanged.tools > 0, { timeoutMs: 10_000, what: 'list_changed after lean on' });
    expect(await app.toolNames()).toEqual(META);
    // The app finds and calls the other tools through the meta-tools.
    const found = await app.client.callTool({
      name: 'mcpmux_search_tools',
      arguments: { query: 'which credential was the server started with' },
    });
    expect(JSON.stringify(found.structuredContent)).toContain('ops_whoami');
    expect(await app.callText('mcpmux_call_tool', { name: 'ops_list_releases' })).toBe('env-echo: v1, v2');

    await page.getByLabel('Pinned tools', { exact: true }).fill('ops_whoami\nops_restart');
    await page.getByRole('button', { name: 'Save pinned tools' }).click();
    await waitFor(async () => (await app.toolNames()).includes('ops_whoami'), {
      timeoutMs: 10_000,
      what: 'pinned tools listed',
    });
    expect(await app.toolNames()).toEqual([...META, 'ops_restart', 'ops_whoami'].sort());
    const { stdout } = await runCli(gateway.home, ['--json', 'client', 'show', 'desk']);
    expect(JSON.parse(stdout)).toMatchObject({ lean: true, pinnedTools: ['ops_whoami', 'ops_restart'] });

    // The clients list says so, and the switch survives a reload.
    await openPage(page, 'Clients');
    await page.getByRole('cell', { name: 'Follows active, lean' }).waitFor();
    await page.getByRole('link', { name: 'desk', exact: true }).click();
    const again = page.getByRole('switch', { name: 'Lean mode (tool search)' });
    await again.waitFor();
    expect(await again.isChecked()).toBe(true);
    await again.uncheck();
    await waitFor(async () => !(await app.toolNames()).includes('mcpmux_search_tools'), {
      timeoutMs: 10_000,
      what: 'full list after lean off',
    });
    expect(await app.toolNames()).toEqual(full);
  });
});
