/**
 * The interactive OAuth sign-in to an upstream MCP server (`mcpmux login`): discovery from the
 * server's 401, client registration (DCR), PKCE S256, a one-shot redirect listener on
 * 127.0.0.1 with a random port, the code exchange, and a check connection with the new tokens.
 * Everything is stored through {@link VaultOAuthProvider}; nothing is logged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpmuxError } from '@mcpmux/core';
import { deleteUpstreamOAuth, type Vault } from '@mcpmux/vault';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { VaultOAuthProvider } from './oauth.js';

/** Options of {@link signInUpstream}. */
export interface SignInUpstreamOptions {
  vault: Vault;
  spaceId: string;
  serverId: string;
  /** The upstream's MCP URL (Streamable HTTP). */
  serverUrl: string;
  /** Headers of the server config (already resolved), sent with every request. */
  headers?: Record<string, string>;
  /**
   * Receives the authorization URL to open in a browser (or print). It carries the PKCE challenge
   * and the `state`, no secret.
   */
  onAuthorizationUrl: (url: URL) => void | Promise<void>;
  /** How long to wait for the browser to come back. Default 300 000 ms. */
  timeoutMs?: number;
  /** The client name and version sent in `initialize`. */
  clientInfo?: { name: string; version: string };
  /** Cancels the wait for the browser (the sign-in then fails with `UNAUTHORIZED`, nothing stored). */
  signal?: AbortSignal;
}

/** What {@link signInUpstream} reports: who answered, never a token. */
export interface SignInUpstreamResult {
  serverName: string | undefined;
  /** True when the server answered without asking for a sign-in (nothing was stored). */
  notRequired: boolean;
}

const PAGE = (text: string): string =>
  // No favicon request: the listener may be closed by the time the browser would ask for one.
  `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>mcpmux</title><p>${text}</p>`;

/**
 * Signs in to an OAuth-protected upstream and stores the result in the vault for (Space, server),
 * replacing any earlier sign-in there.
 *
 * @throws `UNAUTHORIZED` when the authorization server refuses or the browser never comes back
 *   (the message says what to do); `UPSTREAM_UNAVAILABLE` when the server cannot be reached.
 * @example
 * ```ts
 * await signInUpstream({ vault, spaceId: 'work', serverId: 'linear', serverUrl: 'https://mcp.linear.app/mcp',
 *   onAuthorizationUrl: (url) => console.log(`Open ${url.href}`) });
 * ```
 */
export async function signInUpstream(options: SignInUpstreamOptions): Promise<SignInUpstreamResult> {
  const url = new URL(options.serverUrl);
  const listener = await listenLoopback();
  const redirectUrl = `http://127.0.0.1:${(listener.server.address() as AddressInfo).port}/callback`;
  const provider = new VaultOAuthProvider({
    vault: options.vault,
    spaceId: options.spaceId,
    serverId: options.serverId,
    serverUrl: url.href,
    interactive: { redirectUrl, onAuthorizationUrl: options.onAuthorizationUrl },
  });
  const requestInit: RequestInit = options.headers === undefined ? {} : { headers: options.headers };
  const clientInfo = options.clientInfo ?? { name: 'mcpmux', version: '0.0.0' };
  const scope = { spaceId: options.spaceId, serverId: options.serverId };
  try {
    await deleteUpstreamOAuth(options.vault, scope);
    const first = new Client(clientInfo);
    try {
      await first.connect(new StreamableHTTPClientTransport(url, { authProvider: provider, requestInit }));
      const name = first.getServerVersion()?.name;
      await first.close();
      await deleteUpstreamOAuth(options.vault, scope);
      return { serverName: name, notRequired: true };
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw unreachable(options.serverId, error);
    }
    const params = await listener.callback(options.timeoutMs ?? 300_000, provider, options.signal);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, requestInit });
    try {
      await transport.finishAuth(params);
    } catch (error) {
      throw refused(options.serverId, error);
    }
    const check = new Client(clientInfo);
    try {
      await check.connect(new StreamableHTTPClientTransport(url, { authProvider: provider, requestInit }));
    } catch (error) {
      throw refused(options.serverId, error);
    }
    const serverName = check.getServerVersion()?.name;
    await check.close();
    return { serverName, notRequired: false };
  } catch (error) {
    await deleteUpstreamOAuth(options.vault, scope).catch(() => false);
    throw error;
  } finally {
    listener.server.closeAllConnections();
    await new Promise<void>((resolve) => listener.server.close(() => resolve()));
  }
}

function unreachable(serverId: string, error: unknown): McpmuxError {
  return new McpmuxError(
    'UPSTREAM_UNAVAILABLE',
    `Cannot sign in to server "${serverId}": ${error instanceof Error ? error.message : String(error)}. Check its URL with \`mcpmux server show ${serverId}\`.`,
  );
}

function refused(serverId: string, error: unknown): McpmuxError {
  return new McpmuxError(
    'UNAUTHORIZED',
    `Sign-in to server "${serverId}" failed: ${error instanceof Error ? error.message : String(error)}. Run \`mcpmux login ${serverId}\` again.`,
  );
}

interface Loopback {
  server: Server;
  callback(timeoutMs: number, provider: VaultOAuthProvider, signal?: AbortSignal): Promise<URLSearchParams>;
}

async function listenLoopback(): Promise<Loopback> {
  const received: URLSearchParams[] = [];
  let notify: (() => void) | undefined;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname === '/favicon.ico') {
      // The browser asks for one on the callback page: no icon, and no error in its console.
      res.writeHead(204).end();
      return;
    }
    if (u.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/html' }).end(PAGE('Not found.'));
      return;
    }
    const ok = u.searchParams.has('code');
    res
      .writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        PAGE(
          ok ? 'Signed in. You can close this tab and return to the terminal.' : 'Sign-in was not completed.',
        ),
      );
    received.push(u.searchParams);
    notify?.();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    server,
    callback: (timeoutMs, provider, signal) =>
      new Promise<URLSearchParams>((resolve, reject) => {
        const cancelled = () => {
          notify = undefined;
          clearTimeout(timer);
          reject(
            new McpmuxError(
              'UNAUTHORIZED',
              'The sign-in was cancelled (a newer one started): finish that one.',
            ),
          );
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', cancelled);
          notify = undefined;
          reject(
            new McpmuxError(
              'UNAUTHORIZED',
              `No answer from the browser within ${Math.round(timeoutMs / 1000)} s: run the login again and finish it in the browser.`,
            ),
          );
        }, timeoutMs);
        timer.unref();
        notify = () => {
          // A redirect without our `state` is not ours: keep waiting.
          const params = received.find((p) => p.get('state') === provider.lastState);
          if (params === undefined) return;
          notify = undefined;
          clearTimeout(timer);
          signal?.removeEventListener('abort', cancelled);
          if (!params.has('code')) {
            // The error fields come from the authorization server; name only the code.
            reject(
              new McpmuxError(
                'UNAUTHORIZED',
                `The authorization server refused the sign-in (${params.get('error') ?? 'no code'}).`,
              ),
            );
            return;
          }
          resolve(params);
        };
        if (signal?.aborted === true) {
          cancelled();
          return;
        }
        signal?.addEventListener('abort', cancelled, { once: true });
        notify();
      }),
  };
}
