// The targets measured side by side, all in front of the same upstream: server-everything over
// stdio (except "direct Streamable HTTP", which is server-everything's own HTTP mode).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allLoopback, freePort, listenAddresses, startProcess } from './proc.mjs';

const node = process.execPath;

function runCli(ctx, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [ctx.cliBin, '--home', ctx.mcpmuxHome, ...args], {
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
  {
    id: 'mcpmux',
    label: 'mcpmux',
    async setup(ctx) {
      await runCli(ctx, ['init']);
      await runCli(ctx, [
        'server',
        'add',
        'everything',
        '--command',
        node,
        '--arg',
        ctx.everything,
        '--arg',
        'stdio',
      ]);
      const out = await runCli(ctx, ['client', 'add', 'bench']);
      ctx.mcpmuxKey = out.trim().split('\n').at(-1).trim();
      await runCli(ctx, ['client', 'grant', 'bench', 'all']);
    },
    async start(ctx) {
      const port = await freePort();
      const proc = startProcess(
        node,
        [
          ...(ctx.profileDir ? ['--cpu-prof', '--cpu-prof-dir', ctx.profileDir] : []),
          ctx.cliBin,
          '--home',
          ctx.mcpmuxHome,
          'serve',
          '--port',
          String(port),
        ],
        {
          env: ctx.mcpmuxEnv,
        },
      );
      return {
        endpoint: {
          kind: 'http',
          url: `http://127.0.0.1:${port}/mcp`,
          headers: { Authorization: `Bearer ${ctx.mcpmuxKey}` },
        },
        pid: proc.pid,
        port,
        proc,
      };
    },
  },
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
