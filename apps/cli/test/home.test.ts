import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('status', () => {
  it('shows the home, active Space, servers and clients', async () => {
    await sb.ok(['init']);
    await sb.ok(['server', 'add', 'memory', '--no-connect']);
    await sb.ok(['client', 'add', 'cursor']);
    const s = await sb.json<{
      home: string;
      activeSpace: string;
      servers: string[];
      clients: string[];
      gateway: { running: boolean } | null;
    }>(['status']);
    expect(s).toMatchObject({
      home: sb.home,
      activeSpace: 'personal',
      servers: ['memory'],
      clients: ['cursor'],
    });
    expect(s.gateway).toBeNull();
    const human = await sb.cli(['status']);
    expect(human.stdout).toMatch(/Active Space\s+personal/);
    expect(human.stdout).toMatch(/Gateway/);
  });

  it('shows what it can, then a malformed or wrong MCPMUX_MASTER_KEY as one line saying to fix or unset it', async () => {
    await sb.ok(['init']);
    await sb.ok(['space', 'create', 'work']);
    const good = sb.env.MCPMUX_MASTER_KEY;
    const unlocked = await sb.cli(['status']);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toMatch(
      /Vault\s+unlocks \(key from the environment variable MCPMUX_MASTER_KEY\)/,
    );

    sb.env.MCPMUX_MASTER_KEY = 'not-a-key-4242';
    const malformed = await sb.cli(['status']);
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toMatch(/Home\s+/);
    expect(malformed.stdout).toMatch(/Active Space\s+personal \(of 2: personal, work\)/);
    expect(malformed.stdout).toMatch(/Gateway\s+not running/);
    expect(malformed.stdout).toMatch(/Vault\s+locked/);
    const lines = malformed.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*MCPMUX_MASTER_KEY is set but malformed/);
    expect(lines[0]).toContain('unset MCPMUX_MASTER_KEY');
    expect(lines[0]).not.toMatch(/restore/i);
    expect(malformed.stderr).not.toContain('not-a-key-4242');
    const json = await sb.cli(['status', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      activeSpace: 'personal',
      spaces: ['personal', 'work'],
      vault: { unlocked: false },
    });

    // Well-formed but not the vault's key: the variable is named, and the fix is in it.
    sb.env.MCPMUX_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
    const wrong = await sb.cli(['status']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/Active Space\s+personal/);
    const wrongLines = wrong.stderr.split('\n').filter((l) => l !== '');
    expect(wrongLines).toHaveLength(1);
    expect(wrongLines[0]).toMatch(/^error: .*MCPMUX_MASTER_KEY.*does not unlock this vault/);
    // Other vault commands fail closed with the same advice.
    const list = await sb.cli(['secret', 'list']);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('does not unlock this vault');
    sb.env.MCPMUX_MASTER_KEY = good;
    expect((await sb.cli(['secret', 'list'])).code).toBe(0);
  });

  it('asks for init when there is no home', async () => {
    const r = await sb.cli(['status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/init/);
  });
});

describe('doctor', () => {
  it('passes on a healthy home and reports a missing command with a fix', async () => {
    await sb.ok(['init']);
    await sb.ok(['server', 'add', 'node-server', '--command', process.execPath, '--no-connect']);
    const ok = await sb.json<{ ok: boolean; checks: { check: string; status: string }[] }>(['doctor']);
    expect(ok.ok).toBe(true);
    expect(ok.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['home', 'vault', 'server node-server']),
    );
    await sb.ok(['server', 'add', 'ghost', '--command', 'definitely-not-a-command-xyz', '--no-connect']);
    const r = await sb.cli(['doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fail\s+server ghost: command "definitely-not-a-command-xyz" is not on PATH/);
    expect(r.stdout).toMatch(/fix: /);
  });

  it('warns about loose home permissions, missing secrets and unparseable or unconnected app configs', async () => {
    await sb.ok(['init']);
    chmodSync(sb.home, 0o755);
    await sb.ok([
      'server',
      'add',
      'x',
      '--command',
      process.execPath,
      '--env',
      'TOKEN=${secret:TOKEN}',
      '--no-connect',
    ]);
    mkdirSync(join(sb.dir, '.cursor'), { recursive: true });
    writeFileSync(join(sb.dir, '.cursor', 'mcp.json'), '{"mcpServers": {}}');
    mkdirSync(join(sb.dir, '.codeium', 'windsurf'), { recursive: true });
    writeFileSync(join(sb.dir, '.codeium', 'windsurf', 'mcp_config.json'), '{ broken');
    const out = await sb.cli(['doctor', '--json']);
    const { checks } = JSON.parse(out.stdout) as {
      checks: { check: string; status: string; fix?: string }[];
    };
    expect(checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'home', status: 'warn', fix: `chmod 700 ${sb.home}` }),
        expect.objectContaining({
          check: 'server x',
          status: 'warn',
          fix: 'mcpmux secret set x TOKEN --space personal',
        }),
        expect.objectContaining({
          check: 'app cursor',
          status: 'warn',
          fix: 'mcpmux connect cursor --client CLIENT',
        }),
        expect.objectContaining({ check: 'app windsurf', status: 'fail' }),
      ]),
    );
    expect(out.code).toBe(1);
  });
});

describe('catalog and completion', () => {
  it('lists and searches the bundled catalog without a home', async () => {
    const all = await sb.json<{ id: string; inputs: { name: string; secret: boolean }[] }[]>(['catalog']);
    for (const id of [
      'filesystem',
      'memory',
      'everything',
      'github',
      'brave-search',
      'postgres',
      'slack',
      'sequential-thinking',
      'fetch',
      'git',
    ]) {
      expect(all.map((e) => e.id)).toContain(id);
    }
    expect(all.find((e) => e.id === 'github')?.inputs).toEqual([
      expect.objectContaining({ name: 'GITHUB_PERSONAL_ACCESS_TOKEN', secret: true }),
    ]);
    const search = await sb.cli(['catalog', 'search']);
    expect(search.stdout).toMatch(/brave-search/);
    expect(search.stdout).not.toMatch(/^memory/m);
    expect((await sb.cli(['catalog', 'zzzz'])).stdout).toMatch(/No catalog entry matches/);
  });

  it('prints bash, zsh and fish completion scripts covering the verbs', async () => {
    const bash = await sb.ok(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _mcpmux mcpmux');
    expect(bash.stdout).toMatch(/"server"\) echo "add list show remove enable disable/);
    expect((await sb.ok(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    expect((await sb.ok(['completion', 'fish'])).stdout).toContain(
      "complete -c mcpmux -f -n '__fish_use_subcommand'",
    );
  });
});

describe('serve and stdio in-process', () => {
  it('serves /health until its signal aborts, then returns 0', async () => {
    await sb.ok(['init']);
    const controller = new AbortController();
    let out = '';
    const { PassThrough } = await import('node:stream');
    const { run } = await import('../src/index.js');
    const stdout = new PassThrough();
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const done = run(['serve', '--port', '0', '--json'], {
      stdin: new PassThrough(),
      stdout,
      stderr: new PassThrough(),
      env: sb.env,
      cwd: sb.dir,
      isTTY: false,
      signal: controller.signal,
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes('"port"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const { url, port } = JSON.parse(out) as { url: string; port: number };
    expect(port).toBeGreaterThan(0);
    expect((await fetch(url.replace(/\/mcp$/, '/health'))).status).toBe(200);
    controller.abort();
    expect(await done).toBe(0);
    await expect(fetch(url.replace(/\/mcp$/, '/health'))).rejects.toThrow();
  }, 30_000);

  it('refuses stdio for an unknown client and serve on an invalid port', async () => {
    await sb.ok(['init']);
    // The bridge starts the home's gateway (on any free port) to learn the client does not exist.
    writeFileSync(join(sb.home, 'config.json'), JSON.stringify({ serve: { port: 0 } }));
    try {
      const r = await sb.cli(['stdio', '--client', 'nope']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: Client "nope" does not exist/);
    } finally {
      await sb.cli(['stop']);
    }
    expect((await sb.cli(['serve', '--port', '70000'])).stderr).toMatch(/between 0 and 65535/);
  });

  it('refuses a non-loopback host unless --allow-non-loopback is given', async () => {
    await sb.ok(['init']);
    const r = await sb.cli(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exposes the gateway beyond this machine; pass .*--allow-non-loopback/);
    expect((await sb.cli(['serve', '--help'])).stdout).toMatch(/--allow-non-loopback/);
  });
});
