import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, CLI_BIN, fixturePath, runCli } from './helpers/cli.js';
import { createTempHome, type TempHome } from './helpers/home.js';
import { commandLineOf, descendantsOf, isAlive, waitFor } from './helpers/processes.js';
import { addNodeServer, fakeToken, installEnvEcho } from './helpers/setup.js';

// The thin bridge (issue #14): apps launch `mcpmux stdio --client ID`, which relays to the home's one
// gateway over <home>/gateway.sock and starts it when none runs. The apps' environment has no
// MCPMUX_MASTER_KEY (desktop apps do not pass the shell's): the vault key is in the home's key file,
// read only by the gateway.

const RESTART_ERROR = /the mcpmux gateway restarted \(or stopped\) while this call was in flight; retry it/;
const MIB = 1024 * 1024;

/** A bridge as an app runs it: the SDK client on `mcpmux stdio`, and what it saw. */
interface Bridge {
  client: Client;
  pid: number;
  toolsChanged: number;
  stderr(): string;
  toolNames(): Promise<string[]>;
  callText(name: string): Promise<string>;
}

async function openBridge(home: TempHome, clientId: string, extra: string[] = []): Promise<Bridge> {
  const client = new Client({ name: `e2e-${clientId}`, version: '1.0.0' }, { capabilities: {} });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, '--home', home.dir, 'stdio', '--client', clientId, ...extra],
    env: home.env as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const bridge: Bridge = {
    client,
    pid: 0,
    toolsChanged: 0,
    stderr: () => stderr,
    async toolNames() {
      return (await client.listTools()).tools.map((t) => t.name).sort();
    },
    async callText(name) {
      const result = (await client.callTool({ name, arguments: {} })) as CallToolResult;
      return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    },
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    bridge.toolsChanged++;
  });
  await client.connect(transport);
  bridge.pid = transport.pid ?? 0;
  return bridge;
}

/** Live processes whose command line contains `needle` (and, when given, whose environment has `env`). */
function processesWith(needle: string, env?: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const pid = Number(entry);
    if (!isAlive(pid) || !commandLineOf(pid).includes(needle)) continue;
    if (env !== undefined) {
      try {
        if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(env)) continue;
      } catch {
        continue;
      }
    }
    out.push(pid);
  }
  return out;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024;
}

function gatewayPid(home: TempHome): number {
  return (JSON.parse(readFileSync(join(home.dir, 'gateway.json'), 'utf8')) as { pid: number }).pid;
}

describe('stdio bridge: every app relays to the one gateway of the home', () => {
  let home: TempHome;
  const token = fakeToken('bridge');
  const heldLog = () => join(home.scratch, 'held.log');
  const heldCalls = () =>
    existsSync(heldLog()) ? readFileSync(heldLog(), 'utf8').split('\n').length - 1 : 0;
  const bridges: Record<string, Bridge> = {};
  /** What a process of this home looks like: the gateway and bridges name the home, upstreams our token/log. */
  const processesOfHome = () => [
    ...processesWith(home.dir),
    ...processesWith('env-echo.mjs', `FIXTURE_TOKEN=${token}`),
    ...processesWith('held-call.mjs', `HELD_CALLS_FILE=${heldLog()}`),
    ...processesWith('notifier.mjs', `NOTIFIER_OF=${home.dir}`),
  ];

  beforeAll(async () => {
    home = createTempHome();
    delete home.env.MCPMUX_MASTER_KEY;
    // No OS keychain either: the vault key goes to <home>/keys/master.key.
    delete home.env.DBUS_SESSION_BUS_ADDRESS;
    await runCli(home, ['init']);
    expect(existsSync(join(home.dir, 'keys', 'master.key'))).toBe(true);
    // Gateways this home starts (bridges, start, restart) take any free port, never 45818.
    writeFileSync(join(home.dir, 'config.json'), JSON.stringify({ serve: { port: 0 } }));
    await installEnvEcho(home, { space: 'personal', token });
    await addNodeServer(home, 'personal', 'held', [fixturePath('held-call.mjs')], {
      HELD_CALLS_FILE: heldLog(),
    });
    await addNodeServer(home, 'personal', 'notifier', [fixturePath('notifier.mjs')], {
      NOTIFIER_OF: home.dir,
    });
    await runCli(home, ['space', 'create', 'other']);
    await runCli(home, ['featureset', 'create', 'no-restart']);
    await runCli(home, ['featureset', 'exclude', 'no-restart', 'tool:env-echo/restart']);
    for (const id of ['desktop', 'cursor', 'code']) {
      await runCli(home, ['client', 'add', id]);
      await runCli(home, ['client', 'grant', id, 'all']);
    }
    await runCli(home, ['client', 'grant', 'desktop', 'no-restart']);
  });

  afterAll(async () => {
    for (const b of Object.values(bridges)) await b.client.close().catch(() => undefined);
    if (home !== undefined) {
      await runCli(home, ['stop'], { allowFailure: true });
      for (const pid of processesOfHome()) process.kill(pid, 'SIGKILL');
      home.remove();
    }
  });

  it('three bridges opened at once start exactly one gateway, list and call its tools, and stay small', async () => {
    // No gateway runs: the first bridge starts it (on the home's configured port, any free one here).
    const started = performance.now();
    const opened = await Promise.all(['desktop', 'cursor', 'code'].map((id) => openBridge(home, id)));
    bridges.desktop = opened[0]!;
    bridges.cursor = opened[1]!;
    bridges.code = opened[2]!;
    console.log(
      `[measure] three bridges with no gateway running: all initialized after ${(performance.now() - started).toFixed(0)} ms`,
    );

    const gateways = processesWith(home.dir).filter((pid) => / serve( |$)/.test(commandLineOf(pid)));
    expect(gateways).toEqual([gatewayPid(home)]);

    for (const b of opened) {
      expect(await b.toolNames()).toEqual(expect.arrayContaining(['env-echo_whoami', 'held_hold']));
      expect(await b.callText('env-echo_whoami')).toBe(`token=${token}`);
    }
    expect(await bridges.desktop!.toolNames()).not.toContain('env-echo_restart');
    expect(await bridges.cursor!.toolNames()).toContain('env-echo_restart');

    const upstreams = processesWith('env-echo.mjs', `FIXTURE_TOKEN=${token}`);
    expect(upstreams).toHaveLength(1);
    expect(descendantsOf(gatewayPid(home))).toContain(upstreams[0]);
    for (const b of opened) {
      expect(descendantsOf(b.pid)).toEqual([]);
      const rss = rssBytes(b.pid);
      console.log(`[measure] bridge ${b.pid} RSS ${(rss / MIB).toFixed(1)} MiB`);
      expect(rss).toBeLessThan(60 * MIB);
    }
  });

  it('a grant and a space use reach bridged apps as tools/list_changed', async () => {
    const desktop = bridges.desktop!;
    const cursor = bridges.cursor!;
    const before = desktop.toolsChanged;
    // Timed from the command's start (its Node and CLI start-up included) and from its exit.
    let at = performance.now();
    let exited = 0;
    const measure = (what: string) =>
      console.log(
        `[measure] ${what} -> list_changed at the bridged app: ${(performance.now() - at).toFixed(0)} ms from the command's start, ${(performance.now() - exited).toFixed(0)} ms after it exited`,
      );
    await runCli(home, ['client', 'ungrant', 'desktop', 'no-restart']);
    exited = performance.now();
    await waitFor(() => desktop.toolsChanged > before, { what: 'tools/list_changed after ungrant' });
    measure('client ungrant');
    expect(await desktop.toolNames()).toContain('env-echo_restart');

    const seen = cursor.toolsChanged;
    at = performance.now();
    await runCli(home, ['space', 'use', 'other']);
    exited = performance.now();
    await waitFor(() => cursor.toolsChanged > seen, { what: 'tools/list_changed after space use' });
    measure('space use');
    expect(await cursor.toolNames()).toEqual([]);
    await runCli(home, ['space', 'use', 'personal']);
    await waitFor(async () => (await cursor.toolNames()).includes('env-echo_whoami'), {
      what: 'the personal tools back',
    });
  });

  it('mcpmux restart: the call in flight fails with the restart error, the bridge reconnects and keeps working', async () => {
    const cursor = bridges.cursor!;
    const oldPid = gatewayPid(home);
    const calls = heldCalls();
    const held = cursor.client.callTool({ name: 'held_hold', arguments: {} }, undefined, { timeout: 60_000 });
    const outcome = held.then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await waitFor(() => heldCalls() > calls, { what: 'the held call to reach its upstream' });
    const changed = cursor.toolsChanged;

    await runCli(home, ['restart']);
    expect(await outcome).toMatch(RESTART_ERROR);
    expect(gatewayPid(home)).not.toBe(oldPid);

    // The bridge replayed the app's handshake on the new gateway and told it the lists may differ.
    await waitFor(() => cursor.toolsChanged > changed, { what: 'tools/list_changed after the reconnection' });
    expect(await cursor.callText('env-echo_whoami')).toBe(`token=${token}`);
    for (const b of Object.values(bridges)) {
      expect(isAlive(b.pid)).toBe(true);
      expect(await b.toolNames()).toContain('env-echo_whoami');
    }
    expect(cursor.stderr()).toMatch(/lost the connection to the mcpmux gateway; reconnecting/);
    const gateways = processesWith(home.dir).filter((pid) => / serve( |$)/.test(commandLineOf(pid)));
    expect(gateways).toEqual([gatewayPid(home)]);
    expect(processesWith('env-echo.mjs', `FIXTURE_TOKEN=${token}`)).toHaveLength(1);
  });

  it('mcpmux restart: the bridge replays the app subscriptions and logging level on the new gateway', async () => {
    const code = bridges.code!;
    const uri = 'fixture://notifier/status';
    const updated: string[] = [];
    const logged: unknown[] = [];
    code.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    code.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push(n.params.data);
    });
    await code.client.subscribeResource({ uri });
    await code.client.setLoggingLevel('error');
    expect(await code.callText('notifier_touch')).toBe('updated');
    await waitFor(() => updated.length > 0, { what: 'resources/updated before the restart' });
    const changed = code.toolsChanged;

    await runCli(home, ['restart']);
    await waitFor(() => code.toolsChanged > changed, { what: 'tools/list_changed after the reconnection' });
    updated.length = 0;
    // The replayed subscribe reaches the new gateway and its new upstream (its answer never reaches the
    // app, which cannot tell when it landed): touch until an update arrives.
    await waitFor(
      async () => {
        expect(await code.callText('notifier_touch')).toBe('updated');
        return updated.includes(uri);
      },
      { what: 'resources/updated after the restart' },
    );
    // The replayed level holds: the upstream sends debug before error, so a delivered debug comes first.
    logged.length = 0;
    await code.callText('notifier_log');
    await waitFor(() => logged.includes('at the level'), { what: 'the error-level log message' });
    expect(logged).toEqual(['at the level']);
    expect(code.stderr()).not.toMatch(/refused/);
  });

  it('mcpmux stop: the call in flight fails, every bridge exits, and no process of the home is left', async () => {
    const desktop = bridges.desktop!;
    const calls = heldCalls();
    const outcome = desktop.client
      .callTool({ name: 'held_hold', arguments: {} }, undefined, { timeout: 60_000 })
      .then(
        () => 'answered',
        (e: Error) => e.message,
      );
    await waitFor(() => heldCalls() > calls, { what: 'the held call to reach its upstream' });

    await runCli(home, ['stop']);
    expect(await outcome).toMatch(RESTART_ERROR);
    for (const b of Object.values(bridges)) {
      await waitFor(() => !isAlive(b.pid), { what: `bridge ${b.pid} to exit` });
      expect(b.stderr()).toMatch(/stopped \(`mcpmux stop`\); this bridge exits/);
    }
    await waitFor(() => processesOfHome().length === 0, {
      what: 'every process of the home to exit',
    }).catch(() => {
      throw new Error(
        `left behind: ${processesOfHome()
          .map((p) => `${p} ${commandLineOf(p)}`)
          .join('; ')}`,
      );
    });
  });

  it('--standalone serves the client from a private gateway in the bridge and exits with its upstreams', async () => {
    const standalone = await openBridge(home, 'code', ['--standalone']);
    expect(await standalone.callText('env-echo_whoami')).toBe(`token=${token}`);
    const children = descendantsOf(standalone.pid);
    expect(children.length).toBeGreaterThan(0);
    await standalone.client.close();
    await waitFor(() => ![standalone.pid, ...children].some(isAlive), {
      what: 'the standalone bridge and its upstreams to exit',
    });
  });

  it('refuses an unknown client id with a message naming it', async () => {
    await runCli(home, ['start', '--port', '0']);
    const error = await openBridge(home, 'nobody').then(
      () => 'connected',
      (e: Error) => e.message,
    );
    expect(error).toMatch(/Client "nobody" does not exist/);
    await runCli(home, ['stop']);
  });
});

// A real client: Claude Code's `claude mcp list` (no account needed) launches the stdio entry that
// `connect claude-code` writes and checks that it connects; the `--http` entry too, with the key read
// from the environment variable `connect` names. `mcpmux` is on PATH as `npm i -g`/`npm link` would
// put it: a link to the built bin.js.
describe('Claude Code connected with `mcpmux connect` (claude mcp list)', () => {
  const CLAUDE = ['-y', '@anthropic-ai/claude-code@2.1.328'];
  let home: TempHome;
  let unavailable: string | undefined;
  let claudeEnv: NodeJS.ProcessEnv;

  const claude = (args: string[], timeout: number) =>
    spawnSync('npx', [...CLAUDE, ...args], {
      cwd: claudeEnv.HOME,
      env: claudeEnv,
      encoding: 'utf8',
      timeout,
    });

  beforeAll(async () => {
    home = createTempHome();
    delete home.env.MCPMUX_MASTER_KEY;
    delete home.env.DBUS_SESSION_BUS_ADDRESS;
    const bin = join(home.scratch, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI_BIN, join(bin, 'mcpmux'));
    mkdirSync(home.env.HOME!, { recursive: true });
    claudeEnv = {
      ...home.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      // npx keeps its cache under the real home, not the test's HOME.
      npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
      npm_config_update_notifier: 'false',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
    const version = claude(['--version'], 50_000);
    if (version.status !== 0 || !/Claude Code/.test(version.stdout)) {
      unavailable = `@anthropic-ai/claude-code could not be run with npx (${version.error?.message ?? version.stderr.trim().split('\n').at(-1)})`;
      return;
    }
    await runCli(home, ['init']);
    await installEnvEcho(home, { space: 'personal', token: fakeToken('claude') });
    await runCli(home, ['client', 'add', 'code']);
    await runCli(home, ['client', 'grant', 'code', 'all']);
  }, 90_000);

  afterAll(async () => {
    if (home === undefined) return;
    if (unavailable === undefined) await runCli(home, ['stop'], { allowFailure: true });
    home.remove();
  });

  it('lists the stdio bridge as connected and the --http entry (URL only: Claude Code signs in with OAuth)', async (ctx) => {
    if (unavailable !== undefined) {
      console.log(`[skip] ${unavailable}`);
      ctx.skip();
    }
    const key = await addClient(home, 'web');
    await runCli(home, ['client', 'grant', 'web', 'all']);
    await runCli(home, ['start', '--port', '0']);
    await runCli(home, ['connect', 'claude-code', '--client', 'code']);
    await runCli(home, ['connect', 'claude-code', '--client', 'web', '--http', '--entry', 'mcpmux-http']);
    const config = readFileSync(join(home.env.HOME!, '.claude.json'), 'utf8');
    expect(config).not.toContain(key);

    const list = claude(['mcp', 'list'], 80_000);
    expect(list.stdout).toMatch(/mcpmux: mcpmux --home \S+ stdio --client code - ✔ Connected/);
    // Not connected until the admin approves Claude Code's OAuth sign-in on the consent page.
    expect(list.stdout).toMatch(/mcpmux-http: http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\) - /);
    expect(list.stdout).not.toMatch(/mcpmux-http: .* - ✔ Connected/);
  }, 180_000);
});
