// A throw-away mcpmux home with one echo upstream and client `app` (for benches that start
// `startServer` in their own process), and a minimal HTTP POST that returns status, headers and body.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHome } from '@mcpmux/server';
import { seedEchoSpace } from './heap-check.mjs';

/**
 * Creates the home (`seedEchoSpace`: Space `work`, server `echo`, client `app` granted all).
 * @param {string} prefix - the temporary folder's name prefix
 * @returns {Promise<{ home: string, env: Record<string, string>, accessKey: string }>}
 */
export async function createEchoHome(prefix) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = { PATH: process.env.PATH ?? '', MCPMUX_MASTER_KEY: randomBytes(32).toString('base64') };
  const opened = await openHome({ home, env, create: true });
  const { accessKey } = await seedEchoSpace(opened.store);
  await opened.close();
  return { home, env, accessKey };
}

/**
 * POSTs `body` to `url`.
 * @returns {Promise<{ status: number | undefined, headers: import('node:http').IncomingHttpHeaders, body: string }>}
 */
export function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
