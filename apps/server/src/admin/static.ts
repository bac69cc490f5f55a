// Serving the console's built assets: no path leaves the assets directory, every file gets its
// content type, hashed assets are cached for good, and every page carries a strict CSP.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** The Content-Security-Policy of every console response. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers every console and admin response carries. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** A file name a bundler made unique by content (`app-KTPPXPDI.js`, `index.3f9a1c2b.css`). */
const HASHED = /[.-](?=[A-Za-z0-9_]*[0-9A-Z])[A-Za-z0-9_]{8,}\.(js|mjs|css|svg|png|webp|woff2?)$/;

const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><title>mcpmux</title><p>The mcpmux console is not built: run <code>npm run build</code> (or <code>pnpm --filter @mcpmux/console build</code>), then reload.</p>\n';

/** The content type of a file, by extension. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that a URL path names, or undefined when the path is malformed, escapes
 * `root` (`..`, encoded separators, NUL) or does not name a regular file inside it (symlinks
 * are followed and must stay inside).
 */
export async function resolveAsset(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.' || s.startsWith('.'))) return undefined;
  const base = resolve(root);
  const candidate = join(base, ...segments);
  if (candidate !== base && !candidate.startsWith(base + sep)) return undefined;
  try {
    const [real, realBase] = await Promise.all([realpath(candidate), realpath(base)]);
    if (!real.startsWith(realBase + sep)) return undefined;
    const info = await stat(real);
    return info.isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  cache: string,
): Promise<void> {
  const info = await stat(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': contentTypeOf(file),
    'content-length': info.size,
    'cache-control': cache,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', () => done());
    stream.pipe(res);
  });
}

/**
 * Answers a GET/HEAD for the console: the asset the path names, else `index.html` (the SPA's own
 * router takes the path) — except under `/assets/`, where a missing file is a 404. Without a
 * built console (`root` undefined or no `index.html`), a one-line page says how to build it.
 */
export async function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  root: string | undefined,
  urlPath: string,
): Promise<void> {
  const index = root === undefined ? undefined : await resolveAsset(root, 'index.html');
  if (root === undefined || index === undefined) {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(NOT_BUILT),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
    return;
  }
  if (urlPath !== '/' && urlPath !== '/index.html') {
    const file = await resolveAsset(root, urlPath);
    if (file !== undefined) {
      return sendFile(req, res, file, HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    if (urlPath.startsWith('/assets/')) {
      const body = 'Not found.\n';
      res.writeHead(404, {
        ...SECURITY_HEADERS,
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
  }
  return sendFile(req, res, index, 'no-cache');
}
