// The console's "Sign in" to an OAuth-protected upstream: `loginUpstream` run in the gateway
// process, one at a time per (Space, server). The route answers as soon as the authorization URL is
// known; the sign-in finishes in the background when the browser comes back to the loopback
// listener, and its vault write reaches the console as a `change` event.

import { McpmuxError } from '@mcpmux/core';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { loginUpstream } from '../operations/oauth-login.js';

/** Where a console sign-in stands. */
export interface SignInState {
  state: 'idle' | 'waiting' | 'done' | 'failed';
  /** What happened (failed: what to do next); never a token. */
  message?: string;
}

interface Running {
  abort: AbortController;
  settled: Promise<void>;
  state: SignInState;
}

/** The console's sign-ins of one gateway (see the file comment). */
export interface UpstreamSignIns {
  /**
   * Starts a sign-in (cancelling a running one for the same Space and server) and resolves with the
   * authorization URL to open in the browser.
   * @throws what `loginUpstream` throws before the URL is known (`NOT_FOUND`, `INVALID_INPUT`,
   *   `UPSTREAM_UNAVAILABLE`), or `CONFLICT` when the server needs no sign-in.
   */
  start(spaceId: string, serverId: string): Promise<{ url: string }>;
  /** The state of the latest sign-in for a Space and server (`idle` when none started). */
  state(spaceId: string, serverId: string): SignInState;
  /** Cancels every running sign-in (the gateway is stopping). */
  close(): void;
}

/** Options of {@link createUpstreamSignIns}. */
export interface UpstreamSignInsOptions {
  store: SpaceStore;
  vault: Vault;
  /** Values of `${env:NAME}` references in servers' headers. */
  env: Record<string, string | undefined>;
  /** How long a sign-in waits for the browser. Default 300 000 ms. */
  timeoutMs?: number;
}

/**
 * Creates the registry of console sign-ins.
 *
 * @example
 * ```ts
 * const signIns = createUpstreamSignIns({ store, vault, env: {} });
 * const { url } = await signIns.start('work', 'linear');
 * ```
 */
export function createUpstreamSignIns(options: UpstreamSignInsOptions): UpstreamSignIns {
  const running = new Map<string, Running>();
  const key = (spaceId: string, serverId: string) => `${spaceId}\u0000${serverId}`;
  return {
    async start(spaceId, serverId) {
      const k = key(spaceId, serverId);
      const previous = running.get(k);
      if (previous !== undefined) {
        previous.abort.abort();
        // The cancelled one cleans up its vault record before the new one begins.
        await previous.settled;
      }
      const abort = new AbortController();
      const entry: Running = { abort, settled: Promise.resolve(), state: { state: 'waiting' } };
      running.set(k, entry);
      return await new Promise<{ url: string }>((resolve, reject) => {
        let answered = false;
        entry.settled = loginUpstream(
          options.store,
          options.vault,
          { spaceId, serverId },
          {
            env: options.env,
            signal: abort.signal,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            onAuthorizationUrl: (url) => {
              answered = true;
              resolve({ url: url.href });
            },
          },
        ).then(
          (result) => {
            entry.state = result.notRequired
              ? { state: 'idle', message: `Server "${serverId}" needs no sign-in.` }
              : { state: 'done', message: `Signed in to server "${serverId}".` };
            if (!answered) {
              reject(
                new McpmuxError(
                  'CONFLICT',
                  `Server "${serverId}" answered without a sign-in: none is needed.`,
                ),
              );
            }
          },
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            entry.state = { state: 'failed', message };
            if (!answered) reject(error);
          },
        );
      });
    },
    state(spaceId, serverId) {
      return running.get(key(spaceId, serverId))?.state ?? { state: 'idle' };
    },
    close() {
      for (const entry of running.values()) entry.abort.abort();
    },
  };
}
