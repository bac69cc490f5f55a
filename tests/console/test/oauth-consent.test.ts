import {
  Client,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeToken, installEnvEcho } from '../../e2e/test/helpers/setup.js';
import { type ConsoleBrowser, launchBrowser } from './helpers/browser.js';
import { type ConsoleGateway, mintLoginLink, startConsoleGateway } from './helpers/gateway.js';

// A redirect URI nothing listens on: the browser's navigation to it is intercepted (page.route).
const REDIRECT = 'http://127.0.0.1:9/oauth-callback';

/** The v2 SDK's OAuth provider in memory, as an app keeps it; the browser hand-off is recorded. */
class MemoryProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  lastState = '';
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata: OAuthClientMetadata = {
    client_name: 'Browser Test App',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  state() {
    this.lastState = crypto.randomUUID();
    return this.lastState;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** Opens the authorization URL in the browser and returns where the console finally sends it. */
async function consentInBrowser(page: Page, authorizationUrl: URL, decide: (page: Page) => Promise<void>) {
  let callback: string | undefined;
  await page.route(`${REDIRECT}**`, async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
  });
  await page.goto(authorizationUrl.toString());
  await page.getByRole('heading', { level: 1, name: 'Sign in an app' }).waitFor();
  await decide(page);
  await page.getByText('signed in').waitFor();
  await page.unroute(`${REDIRECT}**`);
  return new URL(callback ?? '');
}

describe('apps sign in with OAuth, approved on the console consent page in Chromium', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  const token = fakeToken('oauth');

  beforeAll(async () => {
    gateway = await startConsoleGateway();
    await installEnvEcho(gateway.home, { space: 'personal', token });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(await mintLoginLink(gateway.server.socket));
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  afterAll(async () => {
    if (browser !== undefined && browser.errors.length > 0) console.log('browser errors:', browser.errors);
    await browser?.close();
    await gateway?.close();
  });

  it("completes the v2 SDK client's sign-in as a new client granted `all`, then lists and calls tools", async () => {
    const url = new URL(gateway.server.url);
    const provider = new MemoryProvider();
    const client = new Client({ name: 'oauth-browser-test', version: '1.0.0' });
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');

    const callback = await consentInBrowser(page, provider.authorizationUrl as URL, async (p) => {
      await expect(p.getByText('Browser Test App').first().textContent()).resolves.toContain(
        'Browser Test App',
      );
      await p.getByLabel('Client ID').fill('browser-app');
      await p.getByLabel('FeatureSet').selectOption('all');
      await browser.screenshot(p, 'oauth-consent');
      await p.getByRole('button', { name: 'Approve' }).click();
    });
    expect(callback.searchParams.get('state')).toBe(provider.lastState);
    expect(callback.searchParams.get('iss')).toBe(gateway.origin);

    await first.finishAuth(callback.searchParams);
    const signedIn = new Client({ name: 'oauth-browser-test', version: '1.0.0' });
    await signedIn.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const { tools } = await signedIn.listTools();
    expect(tools.map((t) => t.name)).toContain('env-echo_whoami');
    const result = await signedIn.callTool({ name: 'env-echo_whoami', arguments: {} });
    expect(JSON.stringify(result.content)).toContain(`token=${token}`);
    await signedIn.close();
  });

  it('sends access_denied back to the app when the admin denies', async () => {
    const provider = new MemoryProvider();
    const client = new Client({ name: 'oauth-browser-test', version: '1.0.0' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(gateway.server.url), { authProvider: provider }),
      ),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await consentInBrowser(page, provider.authorizationUrl as URL, async (p) => {
      await p.getByRole('button', { name: 'Deny' }).click();
    });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });
});
