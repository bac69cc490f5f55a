import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURES, isAlive, waitFor } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The part of esbuild's API used here (esbuild is not a dependency of this package; tsup's copy is used). */
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** Bundles `pool-host.ts` with esbuild (tsup's copy) next to the package's node_modules. */
async function buildHost(): Promise<string> {
  const root = join(here, '..', '..');
  const requireFromTsup = createRequire(
    createRequire(join(root, 'package.json')).resolve('tsup/package.json'),
  );
  const esbuild = (await import(requireFromTsup.resolve('esbuild'))) as EsbuildLike;
  const outDir = join(root, 'node_modules', '.cache', 'mcpmux-upstream-test');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `pool-host-${process.pid}.mjs`);
  await esbuild.build({
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
