import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURES, isAlive, waitFor } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles `pool-host.ts` with esbuild next to the package's node_modules. */
async function buildHost(): Promise<string> {
  const root = join(here, '..', '..');
  const outDir = join(root, 'node_modules', '.cache', 'mcpmux-upstream-test');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `pool-host-${process.pid}.mjs`);
  await build({
    entryPoints: [join(here, 'pool-host.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

describe('a gateway that dies abruptly', { timeout: 30_000 }, () => {
  it('leaves no stdio child behind: the children see EOF on stdin and exit', async () => {
    const hostFile = await buildHost();
    onTestFinished(() => rmSync(hostFile, { force: true }));
    const host = spawn(
      process.execPath,
      [hostFile, FIXTURES, 'env-echo.mjs', 'list-changing.mjs', 'hang.mjs'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    host.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const line = await waitFor(
      () => out.split('\n').find((l) => l.startsWith('[')),
      20_000,
      'the host to report pids',
    );
    const pids = JSON.parse(line ?? '[]') as number[];
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    const exited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGKILL');
    await exited;
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000, 'the orphaned children to exit');
  });
});
