import { type ChildProcess, spawn } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, fixturePath, runCli } from '../../e2e/test/helpers/cli.js';
import { connectHttp, type McpSession } from '../../e2e/test/helpers/client.js';
import { waitFor } from '../../e2e/test/helpers/processes.js';
import { type ConsoleBrowser, launchBrowser } from './helpers/browser.js';
import { type ConsoleGateway, mintLoginLink, startConsoleGateway } from './helpers/gateway.js';

// The console's "Sign in" to an OAuth-protected upstream (tests/e2e/fixtures/oauth-upstream.mjs,
// which auto-approves as the user named by `login_as`, default alice: the test signs in as bob): the button opens the authorization page in
// a new tab, the browser comes back to the gateway's loopback listener, the page shows the server
// signed in, and an MCP client through the gateway reaches the upstream as that user.

async function startOAuthUpstream(): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fixturePath('oauth-upstream.mjs')], {
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
  return { base: `http://127.0.0.1:${port}`, child };
}

describe('the console signs in to an OAuth-protected upstream from the server page', () => {
  let upstream: { base: string; child: ChildProcess };
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  let session: McpSession | undefined;

  beforeAll(async () => {
    upstream = await startOAuthUpstream();
    gateway = await startConsoleGateway();
    await runCli(gateway.home, [
      'server',
      'add',
      'hosted',
      '--url',
      `${upstream.base}/mcp`,
      '--space',
      'personal',
      '--no-connect',
    ]);
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
    upstream?.child.kill();
  });

  it('opens the authorization page in a new tab, shows the server signed in, and tools answer as that user', async () => {
    await page.goto(`${gateway.origin}/#/servers/hosted?space=personal`);
    await page.getByRole('heading', { level: 1, name: 'hosted' }).waitFor();
    await page.getByText('Not signed in').waitFor();

    // The fixture approves at once (as alice by default): hold the tab's first request to pick the user.
    let held: string | undefined;
    await browser.context.route(`${upstream.base}/authorize**`, async (route) => {
      held = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>held by the test</p>' });
    });
    const opened = browser.context.waitForEvent('page');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const tab = await opened;
    await tab.getByText('held by the test').waitFor();
    await browser.context.unroute(`${upstream.base}/authorize**`);
    await page.getByText('Waiting for the sign-in in the browser tab').waitFor();
    const authorize = new URL(held ?? '');
    expect(authorize.origin).toBe(upstream.base);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    authorize.searchParams.set('login_as', 'bob');
    // The fixture approves and redirects to the gateway's loopback listener.
    await tab.goto(authorize.href);
    await tab.getByText('Signed in.').waitFor();
    await tab.close();

    await page.getByText('Signed in to server "hosted".').waitFor();
    await page.getByText('Signed in', { exact: true }).waitFor();
    await browser.screenshot(page, 'upstream-sign-in');

    const key = await addClient(gateway.home, 'ide', ['--pinned', 'personal']);
    await runCli(gateway.home, ['client', 'grant', 'ide', 'all', '--space', 'personal']);
    const s = await connectHttp(gateway.server.url, key);
    session = s;
    await waitFor(async () => (await s.callText('hosted_whoami').catch(() => '')) === 'user=bob', {
      what: 'the gateway to connect with the new sign-in',
    });
    expect(await s.callText('hosted_whoami')).toBe('user=bob');
  });

  it('cancels a running sign-in when Sign in is pressed again: only the newest one completes', async () => {
    const held: string[] = [];
    await browser.context.route(`${upstream.base}/authorize**`, async (route) => {
      held.push(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>held by the test</p>' });
    });
    const tabs: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const opened = browser.context.waitForEvent('page');
      // A background tab gets no animation frames, which a click waits for.
      await page.bringToFront();
      // "Sign in again" while signed in; a started sign-in replaces the stored one ("Sign in").
      await page.getByRole('button', { name: /^Sign in/ }).click();
      const tab = await opened;
      await tab.getByText('held by the test').waitFor();
      tabs.push(tab);
    }
    await browser.context.unroute(`${upstream.base}/authorize**`);
    expect(held).toHaveLength(2);

    // The first sign-in's loopback listener is gone: the browser could not finish it.
    const first = new URL(held[0] ?? '');
    first.searchParams.set('login_as', 'carol');
    const redirect = await fetch(first, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    await expect(fetch(redirect.headers.get('location') ?? '')).rejects.toThrow();

    const second = new URL(held[1] ?? '');
    second.searchParams.set('login_as', 'alice');
    await tabs[1]?.goto(second.href);
    await tabs[1]?.getByText('Signed in.').waitFor();
    for (const tab of tabs) await tab.close();
    await page.getByText('Signed in to server "hosted".').waitFor();
    const s = session as McpSession;
    await waitFor(async () => (await s.callText('hosted_whoami').catch(() => '')) === 'user=alice', {
      what: 'the gateway to reconnect with the newest sign-in',
    });
  });
});
