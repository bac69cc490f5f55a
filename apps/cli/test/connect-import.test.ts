import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
      expect(config[key].mcpmux.command).toBe('/usr/bin/node');
      expect(config[key].mcpmux.args).toEqual([
        '/opt/mcpmux/bin.js',
        '--home',
        sb.home,
        'stdio',
        '--client',
        'desk',
      ]);
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
});
