import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeToken, installEnvEcho } from '../../e2e/test/helpers/setup.js';
import { type ConsoleBrowser, launchBrowser } from './helpers/browser.js';
import { type ConsoleGateway, mintLoginLink, startConsoleGateway } from './helpers/gateway.js';

const MCP_REMOTE = join(
  dirname(createRequire(import.meta.url).resolve('mcp-remote/package.json')),
  'dist/proxy.js',
);

/**
 * A loopback endpoint that receives the authorization URL from the opener script mcp-remote runs
 * instead of a browser (through `open`'s bundled xdg-open, which honours `BROWSER` when no desktop
 * is detected).
 */
interface UrlInbox {
  server: Server;
  url: string;
  next(): Promise<URL>;
}

async function startUrlInbox(): Promise<UrlInbox> {
  const waiting: ((url: URL) => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      res.end('ok');
      waiting.shift()?.(new URL(body.trim()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    next: () => new Promise<URL>((resolve) => waiting.push(resolve)),
  };
}

/** A free loopback port for mcp-remote's OAuth callback listener. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('mcp-remote signs in to mcpmux with OAuth, approved on the console consent page in Chromium', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  let inbox: UrlInbox;
  let scratch: string;
  const token = fakeToken('mcp-remote');

  beforeAll(async () => {
    gateway = await startConsoleGateway();
    await installEnvEcho(gateway.home, { space: 'personal', token });
    inbox = await startUrlInbox();
    scratch = mkdtempSync(join(tmpdir(), 'mcpmux-mcp-remote-'));
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(await mintLoginLink(gateway.server.socket));
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    inbox?.server.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('completes sign-in as a new client granted `all` when the admin approves, then lists and calls tools through the stdio proxy', async () => {
    // The "browser" mcp-remote opens: posts the URL to the test, which drives Chromium instead.
    const opener = join(scratch, 'opener.mjs');
    writeFileSync(
      opener,
      `#!${process.execPath}\nawait fetch(process.env.MCPMUX_TEST_URL_INBOX, { method: 'POST', body: process.argv[2] });\n`,
    );
    chmodSync(opener, 0o755);
    const callbackPort = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, gateway.server.url, String(callbackPort), '--host', '127.0.0.1'],
      // No desktop variables: xdg-open falls back to BROWSER. Scratch HOME and config dir: nothing
      // is stored in the user's home.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: scratch,
        MCP_REMOTE_CONFIG_DIR: join(scratch, 'mcp-auth'),
        BROWSER: opener,
        MCPMUX_TEST_URL_INBOX: inbox.url,
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'mcp-remote-test', version: '1.0.0' });
    const authorizationUrl = inbox.next();
    const connected = client.connect(transport);
    try {
      const url = await authorizationUrl;
      expect(url.origin).toBe(gateway.origin);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${callbackPort}/oauth/callback`);

      await page.goto(url.toString());
      await page.getByRole('heading', { level: 1, name: 'Sign in an app' }).waitFor();
      // The name mcp-remote registered itself under (Dynamic Client Registration).
      await page.getByText('MCP CLI Proxy').first().waitFor();
      await page.getByLabel('Client ID').fill('mcp-remote-app');
      await page.getByLabel('FeatureSet').selectOption('all');
      await page.getByRole('button', { name: 'Approve' }).click();
      // Chromium lands on mcp-remote's own callback listener, which takes the code.
      await page.waitForURL(`http://127.0.0.1:${callbackPort}/oauth/callback**`);
      expect(new URL(page.url()).searchParams.get('iss')).toBe(gateway.origin);

      // Chromium keeps its connections to the callback listener open, and mcp-remote waits for
      // them to end before it serves stdio: closing the browser ends them, as closing a tab does not.
      await browser.close();
      await connected;
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('env-echo_whoami');
      const result = (await client.callTool({ name: 'env-echo_whoami', arguments: {} })) as CallToolResult;
      expect(JSON.stringify(result.content)).toContain(`token=${token}`);
    } catch (error) {
      console.log('mcp-remote stderr:', stderr);
      throw error;
    } finally {
      await client.close();
    }
  });
});
