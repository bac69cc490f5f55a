import { spawn } from 'node:child_process';
import { loginUpstream, logoutUpstream } from '@mcpmux/server/operations';
import type { Ctx } from '../context.js';
import { canOpen, opener } from './ui.js';

/** Starts the browser on `url` (it carries the PKCE challenge and `state`, no secret); false when none ran. */
function openBrowser(ctx: Ctx, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(opener(ctx.io.platform ?? process.platform).command, [url], {
      detached: true,
      stdio: 'ignore',
      env: ctx.io.env,
    });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** `login SERVER [--space S] [--open | --no-open] [--timeout SECONDS]`: OAuth sign-in to a hosted HTTP server. */
export async function login(
  ctx: Ctx,
  server: string,
  opts: { space?: string; open?: boolean; timeout?: number },
): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    const open = opts.open ?? canOpen(ctx);
    const result = await loginUpstream(
      store,
      vault,
      { serverId: server, ...(opts.space === undefined ? {} : { spaceId: opts.space }) },
      {
        env: ctx.io.env,
        ...(opts.timeout === undefined ? {} : { timeoutMs: opts.timeout * 1000 }),
        onAuthorizationUrl: async (url) => {
          // On stderr, so `--json` keeps stdout parseable; scripts and tests read it there.
          ctx.out.note(`Sign in to ${server} in your browser:\n  ${url.href}`);
          if (open && !(await openBrowser(ctx, url.href))) {
            ctx.out.warn(`could not start a browser; open the link above.`);
          }
          ctx.out.note('Waiting for the browser to come back...');
        },
      },
    );
    if (ctx.json) {
      ctx.out.data({ server: result.serverId, space: result.spaceId, signedIn: !result.notRequired });
      return 0;
    }
    if (result.notRequired) {
      ctx.out.line(`Server ${server} answered without a sign-in; nothing was stored.`);
      return 0;
    }
    ctx.out.line(
      `Signed in to ${server} in Space ${result.spaceId}. The tokens are in the vault; the gateway refreshes them.`,
    );
    return 0;
  });
}

/** `logout SERVER [--space S]`: forget the stored sign-in. */
export async function logout(ctx: Ctx, server: string, opts: { space?: string }): Promise<number> {
  return ctx.withHome(async ({ store, vault }) => {
    const { spaceId } = await logoutUpstream(store, vault, {
      serverId: server,
      ...(opts.space === undefined ? {} : { spaceId: opts.space }),
    });
    if (ctx.json) ctx.out.data({ server, space: spaceId, signedIn: false });
    else ctx.out.line(`Signed out of ${server} in Space ${spaceId}; its tokens are deleted from the vault.`);
    return 0;
  });
}
