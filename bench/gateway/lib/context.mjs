// What every gateway benchmark hands its targets: the upstream and peer entry points, the built CLI,
// and a fresh mcpmux home (with its own master key and user home) under `tmp`.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const resolve = (spec) => fileURLToPath(import.meta.resolve(spec));

/**
 * The targets' context. `ctx.mcpmux` is this checkout's `mcpmux serve`; with `beforeDir`,
 * `ctx.mcpmuxBefore` is that built checkout's, on its own home.
 */
export function benchContext(tmp, { beforeDir, profileDir } = {}) {
  const ctx = {
    tmp,
    everything: resolve('@modelcontextprotocol/server-everything/dist/index.js'),
    loopback: join(here, '..', 'loopback.mjs'),
    manyTools: join(here, '..', 'fixtures', 'many-tools.mjs'),
    cliBin: join(repo, 'apps', 'cli', 'dist', 'bin.js'),
    mcpmuxHome: join(tmp, 'mcpmux-home'),
    profileDir,
    mcpmuxEnv: {
      ...process.env,
      MCPMUX_MASTER_KEY: randomBytes(32).toString('base64'),
      HOME: join(tmp, 'user'),
      NO_COLOR: '1',
    },
    peers: {
      mcpProxy: resolve('mcp-proxy/dist/bin/mcp-proxy.mjs'),
      supergateway: resolve('supergateway/dist/index.js'),
      mcpHub: join(dirname(resolve('mcp-hub/package.json')), 'dist', 'cli.js'),
    },
  };
  delete ctx.mcpmuxEnv.MCPMUX_HOME;
  ctx.mcpmux = { cliBin: ctx.cliBin, home: ctx.mcpmuxHome };
  if (beforeDir) {
    ctx.mcpmuxBefore = {
      cliBin: join(beforeDir, 'apps', 'cli', 'dist', 'bin.js'),
      home: join(tmp, 'mcpmux-before-home'),
    };
  }
  return ctx;
}
