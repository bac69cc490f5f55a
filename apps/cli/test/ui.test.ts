import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

/** A GET without following redirects: the status and the Set-Cookie header. */
function get(url: string): Promise<{ status: number; cookie: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('mcpmux ui', () => {
  let sb: Sandbox;
  let stop: () => Promise<number>;

  beforeAll(async () => {
    sb = sandbox();
    await sb.ok(['init']);
    const { output, exited, stop: abort } = sb.start(['serve', '--port', '0', '--json']);
    await new Promise<void>((resolve) => {
      output.stdout.on('data', () => {
        try {
          JSON.parse(output.out());
          resolve();
        } catch {
          // not the whole object yet
        }
      });
    });
    stop = () => {
      abort();
      return exited;
    };
  });

  afterAll(async () => {
    await stop?.();
    sb?.cleanup();
  });

  it('prints a single-use login link to the running gateway', async () => {
    const res = await sb.ok(['ui', '--no-open']);
    expect(res.stdout).toMatch(
      /^Open the mcpmux console \(the link works once, until .+\):\n {2}http:\/\/127\.0\.0\.1:\d+\/login\?token=[A-Za-z0-9_-]{43}\n$/,
    );
    const link = await sb.json<{ url: string; expiresAt: string; opened: boolean }>(['ui', '--no-open']);
    expect(link.opened).toBe(false);
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now());
    const first = await get(link.url);
    expect(first.status).toBe(303);
    expect(first.cookie).toContain('mcpmux_admin=');
    expect((await get(link.url)).status).toBe(401);
  });

  it('opens the link through a 0600 page in the home, never putting the token in argv', async () => {
    const bin = join(sb.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const record = join(sb.dir, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$*" > '${record}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const saved = sb.env.PATH;
    sb.env.PATH = `${bin}:${saved ?? ''}`;
    try {
      const link = await sb.json<{ url: string; opened: boolean }>(['ui', '--open']);
      expect(link.opened).toBe(true);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          if (readFileSync(record, 'utf8') !== '') break;
        } catch {
          // not yet
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const argv = readFileSync(record, 'utf8');
      expect(argv).toBe(join(sb.home, 'ui-login.html'));
      expect(argv).not.toContain('token');
      expect(readFileSync(argv, 'utf8')).toContain(link.url);
      expect(statSync(argv).mode & 0o777).toBe(0o600);
    } finally {
      sb.env.PATH = saved;
    }
  });
});

describe('mcpmux ui without a gateway', () => {
  it('says to start the gateway first', async () => {
    const sb = sandbox();
    try {
      await sb.ok(['init']);
      const res = await sb.cli(['ui', '--no-open']);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('No gateway is running for this home: start it with `mcpmux start`');
    } finally {
      sb.cleanup();
    }
  });
});
