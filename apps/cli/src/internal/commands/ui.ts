import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { z } from 'zod';
import type { Ctx } from '../context.js';
import { loadServer } from '../deps.js';

/** The page `ui --open` hands the browser: it forwards to the login link, which never goes in argv. */
const LOGIN_PAGE_FILE = 'ui-login.html';

const LinkSchema = z.object({ url: z.string().url(), expiresAt: z.string() });
const RefusalSchema = z.object({ ok: z.literal(false), error: z.object({ message: z.string() }) });

const notRunning = () =>
  new McpmuxError(
    'UPSTREAM_UNAVAILABLE',
    'No gateway is running for this home: start it with `mcpmux start`, then run `mcpmux ui` again.',
    { data: { entity: 'gateway' } },
  );

/** Asks the running gateway, over its owner-only socket, for a single-use login link. */
async function requestLoginLink(socketPath: string, protocol: string): Promise<z.infer<typeof LinkSchema>> {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(socketPath);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new McpmuxError(
          'UPSTREAM_UNAVAILABLE',
          'The gateway did not answer within 5 s; see `mcpmux status`.',
        ),
      );
    }, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? notRunning() : err);
    });
    socket.write(`${JSON.stringify({ mcpmux: protocol })}\n`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(answer.trim());
  } catch {
    raw = undefined;
  }
  const link = LinkSchema.safeParse(raw);
  if (link.success) return link.data;
  const refused = RefusalSchema.safeParse(raw);
  throw new McpmuxError(
    'UPSTREAM_UNAVAILABLE',
    refused.success
      ? `The running gateway refused a login link (${refused.data.error.message}); run \`mcpmux restart\` so it runs this version.`
      : 'The running gateway gave no login link; run `mcpmux restart` so it runs this version.',
  );
}

/** The platform's opener for a file or URL. */
export function opener(platform: NodeJS.Platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'explorer.exe', args: [] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Opens the login link in the browser through a small page in the home (0600) that forwards to
 * it, so the token never appears in a process's arguments. Resolves false when no opener ran.
 */
async function openInBrowser(ctx: Ctx, url: string): Promise<boolean> {
  const page = join(ctx.home, LOGIN_PAGE_FILE);
  const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>mcpmux</title><a href="${url}">Open the mcpmux console</a>\n`;
  await writeFile(page, html, { mode: 0o600 });
  const { command, args } = opener(ctx.io.platform ?? process.platform);
  return new Promise((resolve) => {
    const child = spawn(command, [...args, page], { detached: true, stdio: 'ignore', env: ctx.io.env });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** True when a browser can be opened here: a terminal on macOS or Windows, or with a display. */
export function canOpen(ctx: Ctx): boolean {
  const platform = ctx.io.platform ?? process.platform;
  if (!ctx.io.isTTY) return false;
  return (
    platform === 'darwin' ||
    platform === 'win32' ||
    ctx.io.env.DISPLAY !== undefined ||
    ctx.io.env.WAYLAND_DISPLAY !== undefined
  );
}

/** `ui [--open | --no-open]`: print (and open) a single-use login link to the console. */
export async function ui(ctx: Ctx, opts: { open?: boolean }): Promise<number> {
  const { gatewaySocketPath, ADMIN_LOGIN_PROTOCOL } = await loadServer();
  const link = await requestLoginLink(gatewaySocketPath(ctx.home), ADMIN_LOGIN_PROTOCOL);
  const open = opts.open ?? canOpen(ctx);
  const opened = open ? await openInBrowser(ctx, link.url) : false;
  if (ctx.json) {
    ctx.out.data({ url: link.url, expiresAt: link.expiresAt, opened });
    return 0;
  }
  const until = new Date(link.expiresAt).toLocaleTimeString();
  ctx.out.line(`Open the mcpmux console (the link works once, until ${until}):`);
  ctx.out.line(`  ${link.url}`);
  if (open && !opened) {
    ctx.out.warn(
      `could not start a browser (${opener(ctx.io.platform ?? process.platform).command}); open the link above.`,
    );
  } else if (opened) ctx.out.note('Opened in your browser.');
  return 0;
}
