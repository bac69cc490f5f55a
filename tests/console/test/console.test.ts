import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, runCli } from '../../e2e/test/helpers/cli.js';
import { connectHttp, type McpSession } from '../../e2e/test/helpers/client.js';
import { waitFor } from '../../e2e/test/helpers/processes.js';
import { fakeToken } from '../../e2e/test/helpers/setup.js';
import { type ConsoleBrowser, launchBrowser } from './helpers/browser.js';
import { type ConsoleGateway, mintLoginLink, startConsoleGateway } from './helpers/gateway.js';
import {
  activate,
  addClient,
  addCustomServer,
  addMember,
  createFeatureSet,
  createSpace,
  grant,
  openPage,
  setCredential,
  viewSpace,
} from './helpers/pages.js';

// The seeds' scenarios done only through the console in real Chromium, against a real gateway with
// real upstream servers (the env-echo fixture as child processes) and real SDK clients. The
// scenarios build on each other and run in order: one browser, one gateway for the file.
describe('web console in Chromium', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  const sessions: McpSession[] = [];
  const workToken = fakeToken('work');
  const personalToken = fakeToken('personal');
  const keys: Record<string, string> = {};

  async function connect(key: string): Promise<McpSession> {
    const session = await connectHttp(gateway.server.url, key);
    sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    gateway = await startConsoleGateway();
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    if (browser !== undefined && browser.errors.length > 0) console.log('browser errors:', browser.errors);
    for (const s of sessions) await s.close().catch(() => undefined);
    await browser?.close();
    await gateway?.close();
  });

  it('opens the dashboard through a single-use login link', async () => {
    const link = await mintLoginLink(gateway.server.socket);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('heading', { name: 'Gateway health' }).waitFor();
    // The link is spent: a second use gets the "run mcpmux ui" page, not a session.
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('mcpmux ui');
  });

  it('keeps Work and Personal credentials apart, set up only in the browser', async () => {
    await createSpace(page, 'Work', '💼');
    await addCustomServer(page, {
      spaceId: 'work',
      id: 'env-echo',
      command: process.execPath,
      args: [fixturePath('env-echo.mjs')],
      env: { FIXTURE_TOKEN: '${secret:TOKEN}', FIXTURE_LABEL: 'echo' },
    });
    await setCredential(page, 'TOKEN', workToken);
    expect(await page.getByLabel('TOKEN', { exact: true }).inputValue()).toBe('');

    // The same server in Personal, with Personal's own credential.
    await openPage(page, 'Servers');
    await viewSpace(page, 'personal');
    await page.getByRole('button', { name: 'Install env-echo into Personal' }).click();
    await page.getByRole('link', { name: 'env-echo', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'env-echo' }).waitFor();
    await setCredential(page, 'TOKEN', personalToken);

    keys.laptop = await addClient(page, 'Laptop');
    await grant(page, 'Laptop', 'Work', 'All');
    await grant(page, 'Laptop', 'Personal', 'All');
    await activate(page, 'work');

    const laptop = await connect(keys.laptop);
    expect(await laptop.callText('env-echo_whoami')).toBe(`token=${workToken}`);

    await activate(page, 'personal');
    await waitFor(async () => (await laptop.callText('env-echo_whoami')) === `token=${personalToken}`, {
      what: 'the Personal credential after switching in the browser',
    });

    // Written to the vault, never read back into the page.
    await openPage(page, 'Servers');
    await page.getByRole('link', { name: 'env-echo', exact: true }).click();
    await page.getByText('Stored in this Space.').waitFor();
    const html = await page.content();
    expect(html).not.toContain(workToken);
    expect(html).not.toContain(personalToken);
  });

  it('changes and removes a per-Space environment override from the server page', async () => {
    // Personal is active and Laptop is connected (previous test); the label names the resource URI.
    const laptop = sessions[0] as McpSession;
    await openPage(page, 'Servers');
    await viewSpace(page, 'personal');
    await page.getByRole('link', { name: 'env-echo', exact: true }).click();
    const env = page.getByLabel('Environment overrides');
    await env.fill('FIXTURE_LABEL=renamed');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await waitFor(async () => (await laptop.resourceUris()).includes('fixture://renamed/notes'), {
      what: 'the upstream restarted with the override',
    });
    // A literal value is not shown again; its button removes the override: the definition's value is back.
    await page.getByRole('button', { name: 'Remove the override FIXTURE_LABEL' }).click();
    await waitFor(async () => (await laptop.resourceUris()).includes('fixture://echo/notes'), {
      what: 'the override removed',
    });
  });

  it("changes a connected SDK client's tool list when the active Space is switched on the Spaces page", async () => {
    // A server only Work has, so the two Spaces' tool lists differ.
    await addCustomServer(page, {
      spaceId: 'work',
      id: 'releases',
      command: process.execPath,
      args: [fixturePath('env-echo.mjs')],
      env: { FIXTURE_LABEL: 'releases' },
    });
    const laptop = sessions[0]!;
    expect((await laptop.toolNames()).filter((t) => t.startsWith('releases_'))).toEqual([]);

    const before = laptop.listChanged.tools;
    await openPage(page, 'Spaces');
    await page.getByRole('button', { name: 'Set Work active' }).click();
    await page.getByRole('row', { name: /Work.*Active/ }).waitFor();
    await waitFor(() => laptop.listChanged.tools > before, { what: 'tools/list_changed after the switch' });
    expect(await laptop.toolNames()).toContain('releases_list_releases');
    expect(await laptop.callText('env-echo_whoami')).toBe(`token=${workToken}`);
  });

  it('lets a No Delete guard inside Developer win over what Developer includes', async () => {
    await createFeatureSet(page, 'Read Only');
    await addMember(page, { mode: 'include', annotation: { readOnly: true } }, 'features hinted read-only');

    await createFeatureSet(page, 'No Delete');
    await addMember(
      page,
      { mode: 'exclude', glob: { kind: 'tool', server: '*', name: 'rollback' } },
      'tool */rollback',
    );

    await createFeatureSet(page, 'Developer');
    await addMember(page, { mode: 'include', set: 'Read Only (read-only)' }, 'FeatureSet Read Only');
    await addMember(
      page,
      { mode: 'include', glob: { kind: 'tool', server: 'env-echo', name: 'deploy*' } },
      'tool env-echo/deploy*',
    );
    await addMember(page, { mode: 'include', feature: 'tool env-echo/rollback' }, 'tool env-echo/rollback');
    await addMember(page, { mode: 'include', set: 'No Delete (no-delete)' }, 'FeatureSet No Delete');

    keys.reviewer = await addClient(page, 'Reviewer');
    await grant(page, 'Reviewer', 'Work', 'Developer');

    // The live preview names the guard that removed rollback, over Developer's own include.
    await page.getByRole('link', { name: 'Preview what reviewer gets in Work' }).click();
    const preview = page.getByRole('table', { name: 'Preview for reviewer' });
    await preview.waitFor();
    const rollback = preview.getByRole('row', { name: /env-echo_rollback/ });
    await expect.poll(() => rollback.textContent()).toContain('Hidden');
    expect(await rollback.textContent()).toContain('Excluded by Developer › No Delete');
    expect(await rollback.textContent()).toContain('exclude wins over the include by Developer');
    expect(await preview.getByRole('row', { name: /env-echo_whoami/ }).textContent()).toContain('Allowed');
    expect(await preview.getByRole('row', { name: /env-echo_deploy_canary/ }).textContent()).toContain(
      'Allowed',
    );
    expect(await preview.getByRole('row', { name: /env-echo_restart/ }).textContent()).toContain('Hidden');

    const reviewer = await connect(keys.reviewer);
    const tools = await reviewer.toolNames();
    expect(tools).toEqual(
      expect.arrayContaining([
        'env-echo_whoami',
        'env-echo_list_releases',
        'env-echo_deploy',
        'env-echo_deploy_canary',
      ]),
    );
    expect(tools).not.toContain('env-echo_rollback');
    expect(tools).not.toContain('env-echo_restart');
  });

  it('keeps a client pinned to Work on Work when Personal is activated', async () => {
    keys.workIde = await addClient(page, 'Work IDE', { pinnedTo: 'work' });
    await grant(page, 'Work IDE', 'Work', 'All');
    const workIde = await connect(keys.workIde);
    const laptop = sessions[0]!;

    await activate(page, 'personal');
    await waitFor(async () => (await laptop.callText('env-echo_whoami')) === `token=${personalToken}`, {
      what: 'the follow-active client to move to Personal',
    });
    expect(await workIde.callText('env-echo_whoami')).toBe(`token=${workToken}`);
    expect(await workIde.toolNames()).toContain('releases_list_releases');
    await activate(page, 'work');
  });

  it('shows a Space created with the CLI on the open Spaces page within a second, without a reload', async () => {
    await openPage(page, 'Spaces');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await runCli(gateway.home, ['space', 'create', 'side', '--name', 'Side Project']);
    await page.getByRole('row', { name: /Side Project/ }).waitFor({ timeout: 1000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });

  it('names what goes before deleting a Space, then deletes it', async () => {
    await openPage(page, 'Spaces');
    await page.getByRole('button', { name: 'Delete Personal' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Personal' });
    const what = dialog.getByRole('region', { name: 'What will be deleted' });
    await what.waitFor();
    const text = await what.textContent();
    expect(text).toContain('env-echo');
    expect(text).toContain('env-echo: TOKEN');
    expect(text).toContain('laptop: all');
    const confirm = dialog.getByRole('button', { name: 'Delete Space' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type personal to confirm').fill('personal');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Personal/ }).waitFor({ state: 'detached' });
    const { stdout } = await runCli(gateway.home, ['--json', 'space', 'list']);
    expect(stdout).not.toContain('"personal"');
  });

  it('creates a Space and closes a dialog with the keyboard alone', async () => {
    await page.goto(`${gateway.origin}/`);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return {
          text: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(),
          tag: el?.tagName ?? '',
          outline: el === null ? 'none' : getComputedStyle(el).outlineStyle,
        };
      });
    async function tabTo(text: string): Promise<void> {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        if ((await focused()).text === text) return;
      }
      throw new Error(`Tab never reached "${text}"`);
    }

    await tabTo('Spaces');
    expect((await focused()).outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Spaces' }).waitFor();
    await tabTo('Create Space');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create Space' });
    await dialog.waitFor();
    expect((await focused()).tag).toBe('INPUT');
    await page.keyboard.type('Keyboard');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Keyboard/ }).waitFor();

    await tabTo('Delete Keyboard');
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Delete Keyboard' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(async () => (await focused()).text).toBe('Delete Keyboard');
  });

  it('renders every page without an error in the browser console (screenshots by page)', async () => {
    const shots: [string, () => Promise<void>][] = [
      ['dashboard', () => openPage(page, 'Dashboard')],
      ['spaces', () => openPage(page, 'Spaces')],
      ['servers', () => openPage(page, 'Servers')],
      [
        'server-detail',
        async () => {
          await openPage(page, 'Servers');
          await page.getByRole('link', { name: 'env-echo', exact: true }).click();
          await page.getByRole('heading', { name: 'Discovered features' }).waitFor();
          await page.getByRole('rowheader', { name: 'whoami', exact: true }).waitFor();
        },
      ],
      ['featuresets', () => openPage(page, 'FeatureSets')],
      [
        'featureset-detail',
        async () => {
          await openPage(page, 'FeatureSets');
          await page.getByRole('link', { name: 'Developer', exact: true }).click();
          await page.getByLabel('Preview client').selectOption('reviewer');
          await page.getByRole('table', { name: 'Preview for reviewer' }).waitFor();
        },
      ],
      ['clients', () => openPage(page, 'Clients')],
      [
        'client-detail',
        async () => {
          await openPage(page, 'Clients');
          await page.getByRole('link', { name: 'Laptop', exact: true }).click();
          await page.getByRole('heading', { name: 'FeatureSet grants per Space' }).waitFor();
        },
      ],
      [
        'activity',
        async () => {
          await openPage(page, 'Activity');
          await page.getByRole('table', { name: 'Audit log' }).getByText('env-echo/whoami').first().waitFor();
        },
      ],
    ];
    for (const [name, open] of shots) {
      await open();
      await browser.screenshot(page, name);
    }
    await openPage(page, 'Dashboard');
    await page.getByRole('row', { name: /laptop/ }).waitFor();
    expect(browser.errors).toEqual([]);
  });

  it('says to run `mcpmux ui` once the session is gone', async () => {
    browser.stopRecording(); // the 401s below are the point of this test
    await browser.context.clearCookies();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Login expired' }).waitFor();
    expect(await page.getByRole('main').textContent()).toContain('mcpmux ui');
    await browser.screenshot(page, 'login-expired');
  });
});
