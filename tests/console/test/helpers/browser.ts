import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (installed by `.ci/run`); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** The flags Chromium needs on this machine (no sandbox as root, no network beyond loopback). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where page screenshots go: git-ignored, kept by CI as artifacts. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../.test-results/console/', import.meta.url));

/** One Chromium with a fresh profile, plus every console error and page error any of its pages logged. */
export interface ConsoleBrowser {
  context: BrowserContext;
  /** Console messages of type `error` and uncaught page errors, as `page-url: text`. */
  errors: string[];
  /** Stop recording errors (before a test that provokes 401s on purpose). */
  stopRecording(): void;
  newPage(): Promise<Page>;
  /** A full-page screenshot as `<SCREENSHOT_DIR>/<name>.png`. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Launches Debian Chromium headless with a fresh user-data-dir in a temp folder.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const page = await browser.newPage();
 * ```
 */
export async function launchBrowser(): Promise<ConsoleBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'mcpmux-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  let recording = true;
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (recording && message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => {
      if (recording) errors.push(`${page.url()}: ${error.message}`);
    });
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    errors,
    stopRecording: () => {
      recording = false;
    },
    newPage: async () => context.pages()[0] ?? context.newPage(),
    async screenshot(page, name) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
