import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm start (scripts/start.mjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpmux-start-'));
  const env = {
    ...process.env,
    HOME: dir,
    MCPMUX_HOME: join(dir, 'home'),
    MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
  };

  afterAll(() => {
    spawnSync(process.execPath, [join(ROOT, 'apps/cli/dist/bin.js'), 'stop'], { env, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a working single-use console login link among its lines', async () => {
    const started = spawnSync(process.execPath, [join(ROOT, 'scripts/start.mjs'), '--port', '0'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(started.status, started.stderr).toBe(0);
    const match =
      /^ {2}Console: {2}(http:\/\/127\.0\.0\.1:\d+\/login\?token=[A-Za-z0-9_-]{43}) {3}\(works once/m.exec(
        started.stdout,
      );
    expect(match, started.stdout).not.toBeNull();
    // One story with `mcpmux init` and the README: the quickstart client it just made is granted the
    // README's server, nothing already done is suggested again (a client, a gateway).
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const steps = started.stdout
      .split('\n')
      .filter((l) => l.startsWith('  mcpmux '))
      .map((l) => l.trim());
    expect(steps).toContain('mcpmux client grant quickstart server-all:memory');
    expect(steps).toContain('mcpmux connect cursor --client quickstart');
    for (const step of steps) expect(readme).toContain(step);
    expect(started.stdout).not.toMatch(/client add|mcpmux serve\b|mcpmux start\b|grant \S+ all\b/);
    const status = await new Promise<number>((resolve, reject) => {
      request(match?.[1] ?? '', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(303);
  }, 300_000);
});
