// The targets measured side by side, all in front of the same upstream: server-everything over
// stdio (except "direct Streamable HTTP", which is server-everything's own HTTP mode).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allLoopback, freePort, listenAddresses, startProcess } from './proc.mjs';

const node = process.execPath;

// `install` defaults to `ctx.cliBin` on `ctx.mcpmuxHome` (the scale phase points the latter elsewhere).
function runCli(ctx, args, input = '', install = { cliBin: ctx.cliBin, home: ctx.mcpmuxHome }) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [install.cliBin, '--home', install.home, ...args], {
      env: ctx.mcpmuxEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`mcpmux ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
    child.stdin.end(input);
  });
}

/** `mcpmux` CLI helper, exported for the tools/list scale setup. */
export { runCli as runMcpmuxCli };

/**
 * An mcpmux target: `mcpmux serve` of one built checkout (`install(ctx)`: `{ cliBin, home, label }`)
 * on a home prepared with `init`, `server add everything`, `client add`, `client grant ... all`.
 * Targets sharing an install share its home (set up once). `era: '2026'` drives it with the v2 SDK
 * client pinned to 2026-07-28 instead of the v1 client.
 */
function mcpmuxTarget({ id, label, install, era }) {
  return {
    id,
    label,
    install,
    async setup(ctx) {
      const inst = install(ctx);
      inst.ready ??= (async () => {
        await runCli(ctx, ['init'], '', inst);
        await runCli(
          ctx,
          ['server', 'add', 'everything', '--command', node, '--arg', ctx.everything, '--arg', 'stdio'],
          '',
          inst,
        );
        const out = await runCli(ctx, ['client', 'add', 'bench'], '', inst);
        inst.key = out.trim().split('\n').at(-1).trim();
        await runCli(ctx, ['client', 'grant', 'bench', 'all'], '', inst);
      })();
      await inst.ready;
    },
    async start(ctx) {
      const inst = install(ctx);
      const port = await freePort();
      const profile = ctx.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.profileDir, id)] : [];
      const proc = startProcess(
        node,
        [...profile, inst.cliBin, '--home', inst.home, 'serve', '--port', String(port)],
        { env: ctx.mcpmuxEnv },
      );
      return {
        endpoint: {
          kind: 'http',
          url: `http://127.0.0.1:${port}/mcp`,
          headers: { Authorization: `Bearer ${inst.key}` },
          ...(era ? { era } : {}),
        },
        pid: proc.pid,
        port,
        proc,
      };
    },
  };
}

/** Checks that a started peer listens on loopback only; throws naming the peer otherwise. */
export function assertLoopback(name, port) {
  const addresses = listenAddresses(port);
  if (!allLoopback(addresses)) {
    throw new Error(`${name} listens on ${JSON.stringify(addresses)} for port ${port}, not loopback only`);
  }
}

/**
 * Every target. `start(ctx)` spawns it (the clock for cold start runs from the call) and returns
 * `{ endpoint, pid, stop, shared }`: `pid` is the gateway process whose CPU and RSS are measured
 * (undefined for direct stdio), `shared` says that concurrent callers share one session.
 */
export const TARGETS = [
  {
    id: 'direct-stdio',
    label: 'direct stdio',
    async start(ctx) {
      return {
        endpoint: { kind: 'stdio', command: node, args: [ctx.everything, 'stdio'] },
        pid: undefined,
        shared: true,
        stop: async () => {},
      };
    },
  },
  {
    id: 'direct-http',
    label: 'direct Streamable HTTP',
    async start(ctx) {
      const port = await freePort();
      const proc = startProcess(node, ['--import', ctx.loopback, ctx.everything, 'streamableHttp'], {
        env: { ...process.env, PORT: String(port) },
      });
      return { endpoint: { kind: 'http', url: `http://127.0.0.1:${port}/mcp` }, pid: proc.pid, port, proc };
    },
  },
  mcpmuxTarget({
    id: 'mcpmux-before',
    label: 'mcpmux before (--mcpmux-before)',
    install: (ctx) => ctx.mcpmuxBefore,
  }),
  mcpmuxTarget({ id: 'mcpmux', label: 'mcpmux', install: (ctx) => ctx.mcpmux }),
  mcpmuxTarget({
    id: 'mcpmux-2026',
    label: 'mcpmux, 2026-07-28 client',
    install: (ctx) => ctx.mcpmux,
    era: '2026',
  }),
  {
    id: 'mcp-proxy',
    label: 'mcp-proxy 6.7.19',
    async start(ctx) {
      const port = await freePort();
      const proc = startProcess(node, [
        ctx.peers.mcpProxy,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--server',
        'stream',
        '--',
        node,
        ctx.everything,
        'stdio',
      ]);
      return { endpoint: { kind: 'http', url: `http://127.0.0.1:${port}/mcp` }, pid: proc.pid, port, proc };
    },
  },
  {
    id: 'supergateway',
    label: 'supergateway 4.0.0 --stateful',
    async start(ctx) {
      const port = await freePort();
      const proc = startProcess(node, [
        '--import',
        ctx.loopback,
        ctx.peers.supergateway,
        '--stdio',
        `${node} ${ctx.everything} stdio`,
        '--outputTransport',
        'streamableHttp',
        '--stateful',
        '--port',
        String(port),
        '--logLevel',
        'none',
      ]);
      return { endpoint: { kind: 'http', url: `http://127.0.0.1:${port}/mcp` }, pid: proc.pid, port, proc };
    },
  },
  {
    id: 'mcp-hub',
    label: 'mcp-hub 4.2.1 (SSE)',
    async start(ctx) {
      const port = await freePort();
      const dir = join(ctx.tmp, 'mcp-hub');
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({ mcpServers: { everything: { command: node, args: [ctx.everything, 'stdio'] } } }),
      );
      const proc = startProcess(
        node,
        ['--import', ctx.loopback, ctx.peers.mcpHub, '--port', String(port), '--config', config],
        {
          env: {
            ...process.env,
            HOME: dir,
            XDG_STATE_HOME: join(dir, 'state'),
            XDG_CONFIG_HOME: join(dir, 'config'),
            XDG_DATA_HOME: join(dir, 'data'),
          },
        },
      );
      return { endpoint: { kind: 'sse', url: `http://127.0.0.1:${port}/mcp` }, pid: proc.pid, port, proc };
    },
  },
];
