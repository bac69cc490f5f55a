import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, workSandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await workSandbox();
  await sb.ok(['client', 'add', 'desk']);
});
afterEach(() => sb.cleanup());

const GH_TOKEN = 'ghp_CANARYcanary1234567890abcdef';
const API_KEY = 'sk-CANARY-api-key-0987654321';
const BEARER = 'Bearer CANARY-bearer-token-555';
const DB_URL = 'postgres://admin:CANARYpw@db.example.com/app';
const CANARIES = [GH_TOKEN, API_KEY, 'CANARY-bearer-token-555', 'CANARYpw'];

/** Every app's config file path under the sandbox user home (linux layout) and its servers key. */
const apps = (dir: string) =>
  ({
    cursor: { path: join(dir, '.cursor', 'mcp.json'), key: 'mcpServers' },
    'claude-desktop': {
      path: join(dir, '.config', 'Claude', 'claude_desktop_config.json'),
      key: 'mcpServers',
    },
    'claude-code': { path: join(dir, '.claude.json'), key: 'mcpServers' },
    vscode: { path: join(dir, '.config', 'Code', 'User', 'mcp.json'), key: 'servers' },
    windsurf: { path: join(dir, '.codeium', 'windsurf', 'mcp_config.json'), key: 'mcpServers' },
  }) as const;

function sample(key: string): string {
  const servers = {
    github: {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN, LOG_LEVEL: 'info' },
    },
    search: { command: 'uvx', args: ['search-mcp'], env: { SEARCH_API_KEY: API_KEY } },
    remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: BEARER } },
    db: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-postgres', DB_URL] },
  };
  return `${JSON.stringify({ someSetting: true, [key]: servers }, null, 2)}\n`;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function homeFilesContain(home: string, needle: string): string[] {
  return readdirSync(home)
    .filter((f) => readFileSync(join(home, f)).includes(Buffer.from(needle)))
    .map((f) => join(home, f));
}

describe('import', () => {
  for (const [app, { path, key }] of Object.entries(apps('/'))) {
    it(`imports ${app}: servers installed, credentials into the vault, nowhere in plaintext`, async () => {
      const file = join(sb.dir, path.slice(1));
      write(file, sample(key));
      const before = readFileSync(file, 'utf8');
      const plan = await sb.json<{
        dryRun: boolean;
        servers: { id: string; action: string; secrets: string[]; reason?: string }[];
      }>(['import', app, '--space', 'work', '--dry-run']);
      expect(plan.dryRun).toBe(true);
      expect(plan.servers.map((s) => [s.id, s.action, s.secrets])).toEqual([
        ['github', 'create', ['GITHUB_PERSONAL_ACCESS_TOKEN']],
        ['search', 'create', ['SEARCH_API_KEY']],
        ['remote', 'create', ['AUTHORIZATION']],
        ['db', 'skip', ['ARG_2']],
      ]);
      // Its password is in the app's arguments, where mcpmux never puts a secret.
      expect(plan.servers.find((s) => s.id === 'db')?.reason).toMatch(
        /^argument 3 holds \$\{secret:ARG_2\}, and secrets never go in command-line arguments.*Pass it through the environment/,
      );
      expect(await sb.json(['server', 'list', '--space', 'work'])).toEqual([]);

      const r = await sb.ok(['import', app, '--space', 'work']);
      expect(r.stdout).toMatch(/Imported .* into Space work/);
      for (const c of CANARIES) expect(r.stdout + r.stderr).not.toContain(c);
      const servers = await sb.json<{ id: string }[]>(['server', 'list', '--space', 'work']);
      expect(servers.map((s) => s.id).sort()).toEqual(['github', 'remote', 'search']);
      const gh = await sb.json<{ transport: { env: Record<string, string> } }>([
        'server',
        'show',
        'github',
        '--space',
        'work',
      ]);
      expect(gh.transport.env).toEqual({
        GITHUB_PERSONAL_ACCESS_TOKEN: '${secret:GITHUB_PERSONAL_ACCESS_TOKEN}',
        LOG_LEVEL: 'info',
      });
      const secrets = await sb.json<{ server: string; name: string; scope: string }[]>([
        'secret',
        'list',
        '--space',
        'work',
      ]);
      expect(secrets.map((s) => `${s.server}/${s.name}`).sort()).toEqual([
        'github/GITHUB_PERSONAL_ACCESS_TOKEN',
        'remote/AUTHORIZATION',
        'search/SEARCH_API_KEY',
      ]);
      for (const c of CANARIES) expect(homeFilesContain(sb.home, c)).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe(before);

      const again = await sb.json<{ servers: { action: string; reason?: string }[] }>([
        'import',
        app,
        '--space',
        'work',
      ]);
      expect(
        again.servers.every(
          (s) => s.action === 'skip' && /already installed|command-line arguments/.test(s.reason ?? ''),
        ),
      ).toBe(true);
    });
  }

  it('imports a FILE into the active Space, reusing existing definitions and skipping mcpmux itself', async () => {
    const file = join(sb.dir, 'custom.json');
    write(
      file,
      JSON.stringify({
        mcpServers: {
          github: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-github'],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: GH_TOKEN },
          },
          mcpmux: { command: 'mcpmux', args: ['stdio', '--client', 'x'] },
        },
      }),
    );
    await sb.ok(['import', file, '--space', 'work']);
    const r = await sb.json<{ space: string; servers: { id: string; action: string }[] }>([
      'import',
      'custom.json',
    ]);
    expect(r.space).toBe('personal');
    expect(r.servers).toEqual([
      expect.objectContaining({ id: '-', action: 'skip' }),
      expect.objectContaining({ id: 'github', action: 'install-existing' }),
    ]);
  });

  it('refuses a missing or unparseable file and imports nothing', async () => {
    expect((await sb.cli(['import', 'cursor'])).stderr).toMatch(/^error: .*mcp\.json does not exist/);
    write(join(sb.dir, 'bad.json'), '{ "mcpServers": {');
    const bad = await sb.cli(['import', 'bad.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: Cannot parse .*bad\.json/);
    expect(await sb.json(['server', 'list'])).toEqual([]);
  });
});

describe('connect', () => {
  for (const [app, { path, key }] of Object.entries(apps('/'))) {
    it(`writes ${app}'s config with a backup, keeps other entries and is idempotent`, async () => {
      const file = join(sb.dir, path.slice(1));
      write(file, sample(key));
      const original = readFileSync(file, 'utf8');
      const r = await sb.ok(['connect', app, '--client', 'desk']);
      expect(r.stdout).toMatch(/Added the "mcpmux" entry/);
      const config = JSON.parse(readFileSync(file, 'utf8'));
      expect(config.someSetting).toBe(true);
      expect(Object.keys(config[key]).sort()).toEqual(['db', 'github', 'mcpmux', 'remote', 'search']);
      expect(config[key].github.env.GITHUB_PERSONAL_ACCESS_TOKEN).toBe(GH_TOKEN);
      // The command name, never a path into a clone; --home only because this home is not ~/.mcpmux.
      expect(config[key].mcpmux.command).toBe('mcpmux');
      expect(config[key].mcpmux.args).toEqual(['--home', sb.home, 'stdio', '--client', 'desk']);
      expect(JSON.stringify(config[key].mcpmux)).not.toMatch(/mcpmux_|MASTER_KEY/);
      const backups = readdirSync(dirname(file)).filter((f) => f.includes('.mcpmux-backup-'));
      expect(backups).toHaveLength(1);
      expect(readFileSync(join(dirname(file), backups[0] as string), 'utf8')).toBe(original);
      const second = await sb.json<{ changed: boolean }>(['connect', app, '--client', 'desk']);
      expect(second.changed).toBe(false);
      expect(readdirSync(dirname(file)).filter((f) => f.includes('.mcpmux-backup-'))).toHaveLength(1);
    });
  }

  it('creates a missing config, supports --config and --dry-run, and round-trips with import', async () => {
    const target = join(sb.dir, 'project', '.mcp.json');
    const dry = await sb.cli(['connect', 'claude-code', '--client', 'desk', '--config', target, '--dry-run']);
    expect(dry.stdout).toMatch(/Would write/);
    expect(() => readFileSync(target)).toThrow();
    await sb.ok(['connect', 'claude-code', '--client', 'desk', '--config', target]);
    expect(JSON.parse(readFileSync(target, 'utf8')).mcpServers.mcpmux.type).toBe('stdio');
    const imported = await sb.json<{ servers: { action: string; reason?: string }[] }>(['import', target]);
    expect(imported.servers).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'this is mcpmux itself' }),
    ]);
  });

  it('refuses an unparseable config, an unknown app and an unknown client, writing nothing', async () => {
    const file = join(sb.dir, '.cursor', 'mcp.json');
    write(file, '{ not json');
    const r = await sb.cli(['connect', 'cursor', '--client', 'desk']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Cannot parse .*mcp\.json.*Nothing was written/);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
    expect(readdirSync(dirname(file))).toEqual(['mcp.json']);
    expect((await sb.cli(['connect', 'emacs', '--client', 'desk'])).stderr).toMatch(/'emacs' is invalid/);
    expect((await sb.cli(['connect', 'vscode', '--client', 'nope'])).stderr).toMatch(
      /Client "nope" does not exist/,
    );
  });

  it('writes the bare `mcpmux stdio --client ID` for the default home and warns when mcpmux is not on PATH', async () => {
    const home = join(sb.dir, '.mcpmux');
    await sb.ok(['--home', home, 'init']);
    await sb.ok(['--home', home, 'client', 'add', 'desk']);
    const file = join(sb.dir, '.cursor', 'mcp.json');
    const path = sb.env.PATH;
    try {
      sb.env.PATH = join(sb.dir, 'empty-bin');
      const missing = await sb.ok(['--home', home, 'connect', 'cursor', '--client', 'desk']);
      expect(JSON.parse(readFileSync(file, 'utf8')).mcpServers.mcpmux).toEqual({
        command: 'mcpmux',
        args: ['stdio', '--client', 'desk'],
      });
      expect(missing.stderr).toMatch(/`mcpmux` is not on PATH.*npm install -g mcpmux.*npm link/);

      const bin = join(sb.dir, 'bin');
      write(join(bin, 'mcpmux'), '#!/bin/sh\n');
      chmodSync(join(bin, 'mcpmux'), 0o755);
      sb.env.PATH = bin;
      const found = await sb.ok(['--home', home, 'connect', 'windsurf', '--client', 'desk']);
      expect(found.stderr).not.toMatch(/not on PATH/);
    } finally {
      sb.env.PATH = path;
    }
  });

  it('--http writes the gateway URL with the key read from the environment for key apps, the URL only for apps that sign in with OAuth', async () => {
    const key = (await sb.ok(['client', 'add', 'web'])).stdout.trim().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^mcpmux_/);
    const dir = apps(sb.dir);
    const read = (app: keyof typeof dir) => JSON.parse(readFileSync(dir[app].path, 'utf8'));

    const r = await sb.ok(['connect', 'cursor', '--client', 'web', '--http']);
    expect(r.stdout).toMatch(/MCPMUX_ACCESS_KEY_WEB/);
    expect(read('cursor').mcpServers.mcpmux).toEqual({
      url: 'http://127.0.0.1:45818/mcp',
      headers: { Authorization: 'Bearer ${env:MCPMUX_ACCESS_KEY_WEB}' },
    });
    await sb.ok(['connect', 'windsurf', '--client', 'web', '--http']);
    expect(read('windsurf').mcpServers.mcpmux).toEqual({
      serverUrl: 'http://127.0.0.1:45818/mcp',
      headers: { Authorization: 'Bearer ${env:MCPMUX_ACCESS_KEY_WEB}' },
    });
    const code = await sb.ok(['connect', 'claude-code', '--client', 'web', '--http']);
    expect(code.stdout).toMatch(/signs in with OAuth on first use.*consent page/);
    expect(read('claude-code').mcpServers.mcpmux).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:45818/mcp',
    });

    // A running gateway's address wins over the default (gateway.json naming a live pid).
    writeFileSync(
      join(sb.home, 'gateway.json'),
      JSON.stringify({
        pid: process.pid,
        url: 'http://127.0.0.1:45999/mcp',
        socket: join(sb.home, 'gateway.sock'),
        version: '0.1.0',
        startedAt: new Date().toISOString(),
        home: sb.home,
      }),
    );
    await sb.ok(['connect', 'vscode', '--client', 'web', '--http']);
    const vscode = read('vscode');
    expect(vscode.servers.mcpmux).toEqual({ type: 'http', url: 'http://127.0.0.1:45999/mcp' });
    expect(vscode.inputs).toBeUndefined();
    expect(
      (await sb.json<{ changed: boolean }>(['connect', 'vscode', '--client', 'web', '--http'])).changed,
    ).toBe(false);

    for (const app of Object.keys(dir) as (keyof typeof dir)[]) {
      if (app !== 'claude-desktop') expect(readFileSync(dir[app].path, 'utf8')).not.toContain(key);
    }
    const desktop = await sb.cli(['connect', 'claude-desktop', '--client', 'web', '--http']);
    expect(desktop.code).toBe(1);
    expect(desktop.stderr).toMatch(
      /only launches commands; run `mcpmux connect claude-desktop --client web`/,
    );

    // Imported back, the HTTP entry is recognised as mcpmux itself.
    const imported = await sb.json<{ servers: { action: string; reason?: string }[] }>([
      'import',
      dir.cursor.path,
    ]);
    expect(imported.servers).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'this is mcpmux itself' }),
    ]);
    // So is an OAuth app's URL-only entry (the running gateway's URL, or the default one).
    for (const app of ['claude-code', 'vscode'] as const) {
      const back = await sb.json<{ servers: { action: string; reason?: string }[] }>([
        'import',
        dir[app].path,
      ]);
      expect(back.servers).toEqual([
        expect.objectContaining({ action: 'skip', reason: 'this is mcpmux itself' }),
      ]);
    }
  });
});
