import type { Page } from 'playwright-core';

// Steps a user takes in the console, by role and label text only (what a screen reader would
// announce), never by CSS class.

/** Clicks a link of the main navigation and waits for that page's heading. */
export async function openPage(page: Page, name: string, heading = name): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

/** Picks the Space a page shows (the page's own "Space" select, not the header's active-Space switcher). */
export async function viewSpace(page: Page, spaceId: string): Promise<void> {
  await page.getByRole('main').getByLabel('Space', { exact: true }).selectOption(spaceId);
}

/** Sets the active Space with the header's switcher. */
export async function activate(page: Page, spaceId: string): Promise<void> {
  const switcher = page.getByLabel('Active Space', { exact: true });
  await switcher.selectOption(spaceId);
  await page.waitForFunction(
    (id) => (document.querySelector('header select') as HTMLSelectElement | null)?.value === id,
    spaceId,
  );
}

/** Spaces page: Create Space with a name and an icon; waits for its row. */
export async function createSpace(page: Page, name: string, icon: string): Promise<void> {
  await openPage(page, 'Spaces');
  await page.getByRole('button', { name: 'Create Space' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create Space' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Icon', { exact: true }).fill(icon);
  await dialog.getByRole('button', { name: 'Create Space' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('row', { name: new RegExp(name) }).waitFor();
}

/** Options of {@link addCustomServer}. */
export interface CustomServer {
  spaceId: string;
  id: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Servers page: Add server (custom stdio command) into a Space; lands on the server's page. */
export async function addCustomServer(page: Page, server: CustomServer): Promise<void> {
  await openPage(page, 'Servers');
  await viewSpace(page, server.spaceId);
  await page.getByRole('button', { name: 'Add server' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add server' });
  await dialog.getByLabel('Server ID', { exact: true }).fill(server.id);
  await dialog.getByLabel('Command', { exact: true }).fill(server.command);
  await dialog.getByLabel('Arguments', { exact: true }).fill(server.args.join('\n'));
  await dialog.getByLabel('Environment', { exact: true }).fill(
    Object.entries(server.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  await dialog.getByRole('button', { name: 'Add server' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { level: 1, name: server.id }).waitFor();
}

/** Server page: types a credential into its masked input and saves it to the vault. */
export async function setCredential(page: Page, name: string, value: string): Promise<void> {
  const input = page.getByLabel(name, { exact: true });
  await input.fill(value);
  await page.getByRole('button', { name: `Save ${name}` }).click();
  await page.getByText('Saved to the vault.').waitFor();
}

/** Clients page: Add client; returns the access key shown once. */
export async function addClient(
  page: Page,
  name: string,
  options: { pinnedTo?: string } = {},
): Promise<string> {
  await openPage(page, 'Clients');
  await page.getByRole('button', { name: 'Add client' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add client' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  if (options.pinnedTo !== undefined) {
    await dialog.getByLabel('Pinned to one Space').check();
    await dialog.getByLabel('Pinned Space', { exact: true }).selectOption(options.pinnedTo);
  }
  await dialog.getByRole('button', { name: 'Add client' }).click();
  const shown = page.getByRole('dialog', { name: `Client ${name} added` });
  const key = await shown.getByLabel('Access key', { exact: true }).inputValue();
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'detached' });
  return key;
}

/** Client page: ticks a FeatureSet in a Space's grants and waits until the tick is stored. */
export async function grant(page: Page, client: string, spaceName: string, setName: string): Promise<void> {
  await openPage(page, 'Clients');
  await page.getByRole('link', { name: client, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: client }).waitFor();
  const box = page
    .getByRole('group', { name: new RegExp(spaceName) })
    .getByRole('checkbox', { name: setName, exact: true });
  await box.check();
  // The box is enabled again once the PUT answered.
  await page.waitForFunction(
    (el) => el !== null && !(el as HTMLInputElement).disabled && (el as HTMLInputElement).checked,
    await box.elementHandle(),
  );
}

/** FeatureSets page: Create FeatureSet; lands on its page. */
export async function createFeatureSet(page: Page, name: string): Promise<void> {
  await openPage(page, 'FeatureSets');
  await page.getByRole('button', { name: 'Create FeatureSet' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create FeatureSet' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByRole('button', { name: 'Create FeatureSet' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

/** A member as picked in the FeatureSet page's "Add member" form. */
export type MemberPick =
  | { mode: 'include' | 'exclude'; feature: string }
  | { mode: 'include' | 'exclude'; set: string }
  | {
      mode: 'include' | 'exclude';
      glob: { kind: 'tool' | 'prompt' | 'resource'; server: string; name: string };
    }
  | { mode: 'include' | 'exclude'; annotation: { readOnly?: boolean; destructive?: boolean } };

/** FeatureSet page: adds one member and waits for its row (`row` is the member as the table words it). */
export async function addMember(page: Page, member: MemberPick, row: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Add member' });
  await form.getByLabel('Mode', { exact: true }).selectOption(member.mode);
  if ('feature' in member) {
    await form.getByLabel('Member type', { exact: true }).selectOption('feature');
    await form.getByLabel('Feature', { exact: true }).selectOption({ label: member.feature });
  } else if ('set' in member) {
    await form.getByLabel('Member type', { exact: true }).selectOption('featureSet');
    await form.getByLabel('FeatureSet', { exact: true }).selectOption({ label: member.set });
  } else if ('glob' in member) {
    await form.getByLabel('Member type', { exact: true }).selectOption('glob');
    await form.getByLabel('Kind', { exact: true }).selectOption(member.glob.kind);
    await form.getByLabel('Server pattern', { exact: true }).fill(member.glob.server);
    await form.getByLabel('Name pattern', { exact: true }).fill(member.glob.name);
  } else {
    await form.getByLabel('Member type', { exact: true }).selectOption('annotation');
    const tri = (v: boolean | undefined) => (v === undefined ? '' : String(v));
    await form.getByLabel('Read-only hint', { exact: true }).selectOption(tri(member.annotation.readOnly));
    await form
      .getByLabel('Destructive hint', { exact: true })
      .selectOption(tri(member.annotation.destructive));
  }
  await form.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('row', { name: new RegExp(`${member.mode} ${escapeRegExp(row)}`) }).waitFor();
}

/** A string as a literal inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
