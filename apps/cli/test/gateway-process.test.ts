// `mcpmux start | stop | restart | status` against real detached gateways (the BUILT binary is what
// they run: `pnpm --filter mcpmux build` first). Every gateway a test starts is killed in afterEach.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logTail, rotateLog } from '../src/internal/gateway-process.js';
import { memoryServerArgs, type Sandbox, sandbox } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');

interface Summary {
  running: boolean;
  url: string | null;
  pid: number | null;
  version: string | null;
}

// Real gateway processes start, warm an upstream and stop: allow for a loaded machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

let sb: Sandbox;
const pids = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid recorded in `<home>/gateway.json`, read raw (also a dead gateway's). */
function recordedPid(home: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(home, 'gateway.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

/** Every process whose command line runs `serve` for this home: the gateways. */
function gatewayProcesses(home: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(home) && args.includes('serve')) found.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** The live descendants of `pid` (children, grandchildren...). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

async function killAndWait(pid: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function start(args: string[] = []): Promise<Summary> {
  const s = await sb.json<Summary>(['start', '--port', '0', ...args]);
  if (s.pid !== null) pids.add(s.pid);
  return s;
}

beforeEach(async () => {
  sb = sandbox();
  await sb.ok(['init']);
});

afterEach(async () => {
  const recorded = recordedPid(sb.home);
  if (recorded !== undefined) pids.add(recorded);
  for (const pid of gatewayProcesses(sb.home)) pids.add(pid);
  await Promise.all([...pids].map(killAndWait));
  pids.clear();
  sb.cleanup();
});

describe('start', () => {
  it('runs one detached gateway; starting again reports the same one', async () => {
    const first = await start();
    expect(first).toMatchObject({ running: true, version: expect.any(String) });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(alive(first.pid ?? 0)).toBe(true);
    const health = await fetch((first.url ?? '').replace(/\/mcp$/, '/health'));
    expect(health.status).toBe(200);

    const second = await sb.cli(['start', '--port', '0']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`already running at ${first.url} (pid ${first.pid})`);
    expect((await start()).pid).toBe(first.pid);
    expect(gatewayProcesses(sb.home)).toEqual([first.pid]);
  });

  it('passes --log-level and --log-format to the detached gateway, and restart passes new ones', async () => {
    const log = join(sb.home, 'logs', 'gateway.log');
    const first = await start(['--log-format', 'pretty', '--log-level', 'debug']);
    expect(readFileSync(log, 'utf8')).toMatch(/^\d\d:\d\d:\d\d INFO {2}mcpmux gateway listening /m);
    const again = await sb.cli(['start', '--port', '0', '--log-level', 'warn']);
    expect(again.stderr).toContain('mcpmux restart --log-level warn');
    const before = readFileSync(log, 'utf8').length;
    const after = await sb.json<Summary>(['restart', '--log-format', 'json', '--log-level', 'warn']);
    if (after.pid !== null) pids.add(after.pid);
    expect(after.pid).not.toBe(first.pid);
    const added = readFileSync(log, 'utf8').slice(before);
    // The old gateway's last pretty line, then the new one's stdout line and no info log line.
    expect(added).toContain(`mcpmux gateway listening on ${after.url}`);
    expect(added.split('mcpmux gateway listening on')[1]).not.toMatch(/"level":30|INFO/);
  });

  it('starts exactly one gateway when five processes start it at the same instant', async () => {
    const runs = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--json'], { env: sb.env });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (c: Buffer) => {
              stdout += c.toString();
            });
            child.stderr.on('data', (c: Buffer) => {
              stderr += c.toString();
            });
            child.on('close', (code) => resolve({ code, stdout, stderr }));
          }),
      ),
    );
    for (const r of runs) expect(r.stderr).toBe('');
    const summaries = runs.map((r) => JSON.parse(r.stdout) as Summary & { started: boolean });
    for (const s of summaries) if (s.pid !== null) pids.add(s.pid);
    expect(new Set(summaries.map((s) => s.pid)).size).toBe(1);
    expect(summaries.filter((s) => s.started)).toHaveLength(1);
    expect(gatewayProcesses(sb.home)).toEqual([summaries[0]?.pid]);
    // No second gateway was even tried: its refusal would be in the log.
    expect(readFileSync(join(sb.home, 'logs', 'gateway.log'), 'utf8')).not.toMatch(/^error:/m);
  });

  it('breaks a lock left by a starter that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(sb.home, 'gateway.lock'), `${dead.stdout} stale\n`);
    const s = await start();
    expect(s.running).toBe(true);
    expect(existsSync(join(sb.home, 'gateway.lock'))).toBe(false);
  });

  it('fails with the last lines of the gateway log when the gateway cannot open the vault', async () => {
    sb.env.MCPMUX_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
    const r = await sb.cli(['start', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: The mcpmux gateway did not start: it stopped \(exit code 1\)\./);
    expect(r.stderr).toContain('does not unlock this vault');
    expect(r.stderr).toContain(`From ${join(sb.home, 'logs', 'gateway.log')}: error: `);
    expect(gatewayProcesses(sb.home)).toEqual([]);
  });

  it('asks for init when the home does not exist', async () => {
    const r = await sb.cli(['--home', join(sb.dir, 'nowhere'), 'start', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mcpmux init/);
  });
});

describe('stop', () => {
  it('ends the gateway and its upstream processes and removes gateway.json and the socket', async () => {
    await sb.ok([...memoryServerArgs(sb.dir), '--no-connect']);
    const s = await start();
    const pid = s.pid ?? 0;
    // The active Space is warmed: the memory server (and the watchdog) run under the gateway.
    const children = await until(() => {
      const d = descendants(pid);
      return d.length >= 2 ? d : undefined;
    }, 'the upstream to start');

    const r = await sb.cli(['stop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mcpmux gateway stopped (pid ${pid}).`);
    expect(alive(pid)).toBe(false);
    expect(children.filter(alive)).toEqual([]);
    expect(gatewayProcesses(sb.home)).toEqual([]);
    expect(existsSync(join(sb.home, 'gateway.json'))).toBe(false);
    expect(existsSync(join(sb.home, 'gateway.sock'))).toBe(false);
    expect(existsSync(join(sb.home, 'gateway.stopped'))).toBe(true);

    // A start clears the "stopped on purpose" marker.
    await start();
    expect(existsSync(join(sb.home, 'gateway.stopped'))).toBe(false);
  });

  it('says the gateway is not running and exits 0 when there is none', async () => {
    const r = await sb.cli(['stop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('not running');
    expect(await sb.json(['stop'])).toEqual({
      running: false,
      url: null,
      pid: null,
      version: null,
      stopped: false,
    });
  });
});

describe('restart', () => {
  it('replaces the gateway with a new process on the same address', async () => {
    const before = await start();
    const after = await sb.json<Summary & { previousPid: number }>(['restart']);
    if (after.pid !== null) pids.add(after.pid);
    expect(after.previousPid).toBe(before.pid);
    expect(after.pid).not.toBe(before.pid);
    expect(after.url).toBe(before.url);
    expect(alive(before.pid ?? 0)).toBe(false);
    expect(gatewayProcesses(sb.home)).toEqual([after.pid]);
  });
});

describe('status', () => {
  it('shows the running gateway and its upstreams (--json)', async () => {
    await sb.ok([...memoryServerArgs(sb.dir), '--no-connect']);
    const s = await start();
    const status = await until(async () => {
      const st = await sb.json<{
        home: string;
        activeSpace: string;
        servers: string[];
        gateway: Summary;
        upstreams: { space: string; server: string; state: string }[] | null;
      }>(['status']);
      return st.upstreams?.some((u) => u.state === 'ready') ? st : undefined;
    }, 'the upstream to connect');
    expect(status).toMatchObject({
      home: sb.home,
      activeSpace: 'personal',
      servers: ['memory'],
      gateway: { running: true, url: s.url, pid: s.pid, version: s.version },
      upstreams: [expect.objectContaining({ space: 'personal', server: 'memory', state: 'ready' })],
    });
    // DESIGN §7: exactly these four fields.
    expect(Object.keys(status.gateway).sort()).toEqual(['pid', 'running', 'url', 'version']);
    const human = await sb.cli(['status']);
    expect(human.stdout).toMatch(new RegExp(`Gateway\\s+running at ${s.url} \\(pid ${s.pid}`));
    expect(human.stdout).toMatch(/Upstreams\s+personal\/memory: ready/);
  });

  it('shows the open sessions per client', async () => {
    const { accessKey } = await sb.json<{ accessKey: string }>(['client', 'add', 'cursor']);
    const s = await start();
    const before = await sb.cli(['status']);
    expect(before.stdout).toMatch(/Sessions\s+none open/);
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${accessKey}`,
    };
    const init = await fetch(s.url ?? '', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    expect(init.status).toBe(200);
    await fetch(s.url ?? '', {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id') ?? '' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const status = await until(async () => {
      const st = await sb.json<{ sessionsByClient?: Record<string, number> | null }>(['status']);
      return st.sessionsByClient?.cursor === 1 ? st : undefined;
    }, 'the session to be counted');
    expect(status.sessionsByClient).toEqual({ cursor: 1 });
    expect((await sb.cli(['status'])).stdout).toMatch(/Sessions\s+cursor: 1/);
  });

  it('says how to start the gateway when none runs, also when the vault cannot be opened', async () => {
    expect((await sb.json<{ gateway: unknown }>(['status'])).gateway).toBeNull();
    sb.env.MCPMUX_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
    const r = await sb.cli(['status']);
    // Shows what it can without the key, then the vault error as one line and a failing exit code.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MCPMUX_MASTER_KEY does not unlock this vault/);
    expect(r.stdout).toMatch(/Active Space\s+personal/);
    expect(r.stdout).toMatch(/Gateway\s+not running \(start it with `mcpmux start`/);
  });
});

describe('gateway log', () => {
  it('rotates past the size limit and keeps three old logs', async () => {
    const log = join(sb.dir, 'gateway.log');
    for (let i = 1; i <= 5; i++) {
      writeFileSync(log, `run ${i}\n`.repeat(20));
      await rotateLog(log, 100, 3);
    }
    expect(readFileSync(`${log}.1`, 'utf8')).toMatch(/^run 5/);
    expect(readFileSync(`${log}.3`, 'utf8')).toMatch(/^run 3/);
    expect(existsSync(`${log}.4`)).toBe(false);
    expect(existsSync(log)).toBe(false);
    writeFileSync(log, 'small\n');
    expect(await rotateLog(log, 100, 3)).toBe(false);
  });

  it('reads only the lines written since a start', async () => {
    const log = join(sb.dir, 'tail.log');
    writeFileSync(log, 'old 1\nold 2\n');
    const from = readFileSync(log).length;
    writeFileSync(log, 'old 1\nold 2\nnew 1\n\nnew 2\n');
    expect(await logTail(log, from, 5)).toEqual(['new 1', 'new 2']);
  });
});
