// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mcpmux ${secret:...} templates.
// Secrets never appear in a process's arguments: `server add` refuses them, the catalog passes them
// by environment (the argv-from-env launcher), and the gateway refuses a stored row that has one.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createGateway } from '@mcpmux/gateway';
import { ARGV_FROM_ENV_SCRIPT, CATALOG, findCatalogEntry } from '@mcpmux/server/operations';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { assertNoSecretInArgv, createEnvKeyProvider, resolveServerConfig } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, workSandbox } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'argv-report.mjs');
const DB_URL = 'postgres://app:pw_CANARY_5f3a9e@db.internal:5432/prod';
const ARGV_RULE =
  /secrets never go in command-line arguments: every local user can read a process's arguments \(\/proc\/PID\/cmdline\)\. Pass it through the environment: --env DATABASE_URL='\$\{secret:DATABASE_URL\}'/;

/** The tool names `argv-report.mjs` shows when it got `args` and nothing leaked. */
const cleanReport = (...args: string[]) => [
  `argv-${createHash('sha256').update(args.join(' ')).digest('hex').slice(0, 8)}`,
  'cmdline-clean',
  'env-clean',
];

/** A folder with `argv-report` -> the fixture, as npx puts a package's bins on PATH. */
function binFolder(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, 'argv-report'))) symlinkSync(FIXTURE, join(bin, 'argv-report'));
  return bin;
}

let sb: Sandbox;
beforeEach(async () => {
  sb = await workSandbox();
});
afterEach(() => sb.cleanup());

describe('server add', () => {
  it('refuses --arg with a ${secret:} reference, saying to pass it by environment, and writes nothing', async () => {
    let asked = false;
    const prompt = {
      async secret() {
        asked = true;
        return DB_URL;
      },
    };
    for (const connect of [['--no-connect'], []]) {
      const r = await sb.cli(
        [
          'server',
          'add',
          'pg',
          '--command',
          'npx',
          '--arg',
          '-y',
          '--arg',
          'x${secret:DATABASE_URL}',
          ...connect,
        ],
        { tty: true, prompt },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: argument 2 holds \$\{secret:DATABASE_URL\}, and /);
      expect(r.stderr).toMatch(ARGV_RULE);
    }
    // Also as a per-Space override of an existing definition.
    await sb.ok(['server', 'add', 'pg', '--command', 'npx', '--arg', '-y', '--no-connect']);
    const override = await sb.cli([
      'server',
      'add',
      'pg',
      '--space',
      'work',
      '--arg',
      '${secret:DATABASE_URL}',
      '--no-connect',
    ]);
    expect(override.code).toBe(1);
    expect(override.stderr).toMatch(ARGV_RULE);
    expect(asked).toBe(false);
    expect(await sb.json(['server', 'list', '--space', 'work'])).toEqual([]);
    expect(await sb.json(['secret', 'list'])).toEqual([]);
    // ${env:} is no secret: it stays allowed.
    await sb.ok(['server', 'add', 'pg', '--space', 'work', '--arg', '${env:PGHOST}', '--no-connect']);
  });

  it('connects a server that takes its secret as an argument through the launcher, with no secret in any command line', async () => {
    sb.env.PATH = `${binFolder(sb.dir)}:${sb.env.PATH}`;
    const r = await sb.cli(
      [
        'server',
        'add',
        'pgfix',
        '--command',
        process.execPath,
        '--arg',
        '-e',
        '--arg',
        ARGV_FROM_ENV_SCRIPT,
        '--arg',
        'argv-report',
        '--arg',
        'DATABASE_URL',
        '--env',
        'DATABASE_URL=${secret:DATABASE_URL}',
      ],
      { tty: true, prompt: { secret: async () => DB_URL } },
    );
    expect(r.code, r.stderr).toBe(0);
    const show = await sb.json<{ features: { name: string }[] }>(['server', 'show', 'pgfix']);
    expect(show.features.map((f) => f.name).sort()).toEqual(cleanReport(DB_URL).sort());
  });
});

describe('the bundled catalog', () => {
  it('puts no secret in any command line, and postgres resolves to an argv without the URL', async () => {
    for (const { transport } of CATALOG) {
      if (transport.type === 'stdio') expect(() => assertNoSecretInArgv(transport)).not.toThrow();
    }
    await sb.ok(['server', 'add', 'postgres', '--no-connect']);
    const show = await sb.json<{
      transport: { command: string; args: string[]; env: Record<string, string> };
    }>(['server', 'show', 'postgres']);
    expect(show.transport).toEqual({
      type: 'stdio',
      command: 'npx',
      args: [
        '-y',
        '-p',
        '@modelcontextprotocol/server-postgres',
        'node',
        '-e',
        ARGV_FROM_ENV_SCRIPT,
        'mcp-server-postgres',
        'DATABASE_URL',
      ],
      env: { DATABASE_URL: '${secret:DATABASE_URL}' },
    });
    const human = await sb.cli(['catalog', 'postgres']);
    expect(human.stdout).toContain(
      'npx -y -p @modelcontextprotocol/server-postgres node -e <mcpmux argv-from-env>',
    );

    const vault = await openSqliteVault({
      path: join(sb.dir, 'vault.db'),
      keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
    });
    await vault.set({ spaceId: 'work', serverId: 'postgres' }, 'DATABASE_URL', DB_URL);
    const pg = findCatalogEntry('postgres')?.transport;
    if (pg?.type !== 'stdio') throw new Error('postgres is a stdio entry');
    const { config } = await resolveServerConfig(pg, {
      vault,
      spaceId: 'work',
      serverId: 'postgres',
      defaultEnabled: false,
      env: {},
    });
    expect([config.command, ...(config.args ?? [])].join('\0')).not.toContain('pw_CANARY');
    expect(config.env).toEqual({ DATABASE_URL: DB_URL });
    await vault.close();
  });
});

describe('the argv-from-env launcher', () => {
  it('hands the value to the server in-process: the process cmdline and environment never hold it', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['-e', ARGV_FROM_ENV_SCRIPT, 'argv-report', 'DATABASE_URL'],
      env: { PATH: `${binFolder(sb.dir)}:${process.env.PATH}`, DATABASE_URL: DB_URL },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'argv-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const pid = transport.pid;
      if (pid === null) throw new Error('no child process');
      // Read from outside, as any local user can.
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain('argv-report');
      expect(cmdline.join(' ')).not.toContain('pw_CANARY');
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(cleanReport(DB_URL).sort());
    } finally {
      await client.close();
    }
  });

  it('fails with a clear message when the variable is unset or the bin is not on PATH', () => {
    const run = (path: string, env: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', ARGV_FROM_ENV_SCRIPT, 'argv-report', 'DATABASE_URL'], {
        env: { PATH: path, ...env },
        encoding: 'utf8',
        input: '',
      });
    const unset = run(`${binFolder(sb.dir)}:${process.env.PATH}`, {});
    expect(unset.status).toBe(2);
    expect(unset.stderr).toMatch(/^mcpmux argv-from-env: the environment variable DATABASE_URL is not set/);
    const missing = run('/nonexistent', { DATABASE_URL: DB_URL });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^mcpmux argv-from-env: argv-report is not on PATH/);
    expect(missing.stderr).not.toContain('pw_CANARY');
  });
});

describe('the gateway', () => {
  it('never spawns a stored server from before the rule that has a secret in its arguments', async () => {
    const marker = join(sb.dir, 'spawned');
    const store = openSqliteSpaceStore({ path: join(sb.dir, 'legacy.db') });
    const vault = await openSqliteVault({
      database: store.database,
      keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
    });
    const gateway = createGateway({ store, vault, env: { PATH: process.env.PATH } });
    try {
      await store.createSpace({ id: 'work' });
      const spawnMarks = "require('node:fs').writeFileSync(process.env.MARKER, process.argv[1] || '')";
      await store.createServer({
        id: 'legacy',
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: ['-e', spawnMarks],
          env: { MARKER: marker },
        },
      });
      // A row written before the store refused secrets in arguments.
      store.database.prepare('UPDATE servers SET transport = ? WHERE id = ?').run(
        JSON.stringify({
          type: 'stdio',
          command: process.execPath,
          args: ['-e', spawnMarks, '${secret:DATABASE_URL}'],
          env: { MARKER: marker },
        }),
        'legacy',
      );
      await store.install('work', 'legacy');
      await vault.set({ spaceId: 'work', serverId: 'legacy' }, 'DATABASE_URL', DB_URL);
      await store.createClient({ id: 'agent' });
      await store.grant('agent', 'work', 'all');

      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await gateway.connect(serverSide, { clientId: 'agent' });
      const client = new Client({ name: 'agent', version: '1.0.0' });
      await client.connect(clientSide);
      expect((await client.listTools()).tools).toEqual([]);
      const deadline = Date.now() + 10_000;
      let report: string | undefined;
      while (report === undefined && Date.now() < deadline) {
        report = gateway.status().reports.find((r) => r.message.includes('legacy'))?.message;
        if (report === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      expect(report).toMatch(
        /^Server "legacy" in Space "work" is unavailable: args\[2\] holds \$\{secret:DATABASE_URL\}/,
      );
      expect(report).toMatch(ARGV_RULE);
      expect(report).not.toContain('pw_CANARY');
      expect(existsSync(marker)).toBe(false);
      await client.close();
    } finally {
      await gateway.close();
      await vault.close();
      await store.close();
    }
  });
});
