import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryServerArgs, referenceServer, type Sandbox, workSandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await workSandbox();
});
afterEach(() => sb.cleanup());

/** `server add broken` launching a process that exits at once. */
const BROKEN = [
  'server',
  'add',
  'broken',
  '--command',
  process.execPath,
  '--arg',
  '-e',
  '--arg',
  'process.exit(3)',
];

const memory = () => ['--command', process.execPath, '--arg', referenceServer('server-memory')];

interface ServerRow {
  id: string;
  alias: string;
  enabled: boolean;
  defaultEnabled: boolean;
  features: number;
}

describe('server add', () => {
  it('connects once, stores the discovered features and reports counts', async () => {
    const r = await sb.ok(memoryServerArgs(sb.dir));
    expect(r.stdout).toMatch(/Connected: \d+ tools, 0 prompts, \d+ resources?\./);
    const rows = await sb.json<ServerRow[]>(['server', 'list']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'memory', alias: 'memory', enabled: true, defaultEnabled: false });
    expect(rows[0]?.features).toBeGreaterThan(3);
  });

  it('reuses the definition in another Space and stores differing --env as overrides', async () => {
    await sb.ok([
      'server',
      'add',
      'memory',
      ...memory(),
      '--env',
      'MEMORY_FILE_PATH=/tmp/a.jsonl',
      '--no-connect',
    ]);
    const again = await sb.json<{ created: boolean; overrides: Record<string, unknown> }>([
      'server',
      'add',
      'memory',
      '--space',
      'work',
      '--env',
      'MEMORY_FILE_PATH=/tmp/b.jsonl',
      '--no-connect',
    ]);
    expect(again.created).toBe(false);
    expect(again.overrides).toEqual({ env: { MEMORY_FILE_PATH: '/tmp/b.jsonl' } });
    const show = await sb.json<{ effective: { transport: { env: Record<string, string> } } }>([
      'server',
      'show',
      'memory',
      '--space',
      'work',
    ]);
    expect(show.effective.transport.env.MEMORY_FILE_PATH).toBe('/tmp/b.jsonl');
    const personal = await sb.json<{ effective: { transport: { env: Record<string, string> } } }>([
      'server',
      'show',
      'memory',
    ]);
    expect(personal.effective.transport.env.MEMORY_FILE_PATH).toBe('/tmp/a.jsonl');
  });

  it('refuses a different --command for an existing id and changes nothing', async () => {
    await sb.ok(['server', 'add', 'memory', ...memory(), '--no-connect']);
    const r = await sb.cli([
      'server',
      'add',
      'memory',
      '--space',
      'work',
      '--command',
      'other',
      '--no-connect',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Server "memory" is already defined as/);
    expect(await sb.json(['server', 'list', '--space', 'work'])).toEqual([]);
  });

  it('refuses an unknown id without --command, a duplicate install, and literal secrets in argv', async () => {
    const unknown = await sb.cli(['server', 'add', 'no-such-server']);
    expect(unknown.stderr).toMatch(/not in the bundled catalog.*--command/);
    await sb.ok(['server', 'add', 'memory', ...memory(), '--no-connect']);
    const dup = await sb.cli(['server', 'add', 'memory', '--no-connect']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already installed in Space "personal"/);
    const literal = await sb.cli([
      'server',
      'add',
      'x',
      '--command',
      'y',
      '--env',
      'API_KEY=abc123',
      '--no-connect',
    ]);
    expect(literal.code).toBe(1);
    expect(literal.stderr).toMatch(/looks like a credential.*secret set x API_KEY/);
    expect(literal.stderr).not.toContain('abc123');
    const ref = await sb.cli([
      'server',
      'add',
      'x',
      '--command',
      'y',
      '--env',
      'API_KEY=${secret:API_KEY}',
      '--no-connect',
    ]);
    expect(ref.code).toBe(0);
    expect(ref.stderr).toMatch(/secret API_KEY is not set/);
  });

  it('leaves nothing behind when the validating connection fails', async () => {
    const r = await sb.cli([...BROKEN, '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Could not connect to server "broken".*--no-connect/);
    expect(await sb.json(['server', 'list'])).toEqual([]);
    const show = await sb.cli(['server', 'show', 'broken']);
    expect(show.stderr).toMatch(/not defined/);
  });

  it('asks for a missing secret before connecting and refuses without a terminal', async () => {
    const r = await sb.cli(['server', 'add', 'github']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /needs the secret GITHUB_PERSONAL_ACCESS_TOKEN.*secret set github GITHUB_PERSONAL_ACCESS_TOKEN --space personal/,
    );
    expect(await sb.json(['server', 'list'])).toEqual([]);
  });

  it('asks for a missing secret with a hidden prompt on a terminal, and forgets it when the connection fails', async () => {
    const asked: string[] = [];
    const prompt = {
      async secret(message: string) {
        asked.push(message);
        return 'prompted-value';
      },
    };
    const ok = await sb.cli([...memoryServerArgs(sb.dir), '--env', 'TOKEN=${secret:TOKEN}'], {
      tty: true,
      prompt,
    });
    expect(ok.code).toBe(0);
    expect(asked).toEqual([expect.stringMatching(/^TOKEN for memory/)]);
    expect(ok.stdout + ok.stderr).not.toContain('prompted-value');
    expect(await sb.json<{ name: string }[]>(['secret', 'list'])).toEqual([
      expect.objectContaining({ name: 'TOKEN' }),
    ]);
    const failed = await sb.cli([...BROKEN, '--env', 'KEY=${secret:KEY}', '--timeout', '5'], {
      tty: true,
      prompt,
    });
    expect(failed.code).toBe(1);
    expect((await sb.json<{ server: string }[]>(['secret', 'list'])).map((s) => s.server)).toEqual([
      'memory',
    ]);
  });

  it('installs a catalog entry with --no-connect and declares its inputs', async () => {
    await sb.ok(['server', 'add', 'brave-search', '--no-connect']);
    const show = await sb.json<{
      transport: { command: string; env: Record<string, string> };
      inputs: { name: string; secret: boolean }[];
    }>(['server', 'show', 'brave-search']);
    expect(show.transport.command).toBe('npx');
    expect(show.transport.env).toEqual({ BRAVE_API_KEY: '${secret:BRAVE_API_KEY}' });
    expect(show.inputs).toEqual([
      expect.objectContaining({ name: 'BRAVE_API_KEY', secret: true, required: true }),
    ]);
  });

  it('supports --alias, --no-prefix, --url with --transport, --header and --default-enabled', async () => {
    await sb.ok(['server', 'add', 'memory', ...memory(), '--alias', 'mem', '--no-connect']);
    await sb.ok([
      'server',
      'add',
      'remote',
      '--url',
      'https://example.com/sse',
      '--transport',
      'sse',
      '--header',
      'Authorization=Bearer ${secret:TOKEN}',
      '--no-connect',
      '--space',
      'work',
      '--no-prefix',
    ]);
    await sb.ok(['server', 'add', 'everywhere', '--command', 'true', '--default-enabled', '--no-connect']);
    const personal = await sb.json<ServerRow[]>(['server', 'list']);
    expect(personal.map((s) => [s.id, s.alias, s.defaultEnabled])).toEqual([
      ['everywhere', 'everywhere', true],
      ['memory', 'mem', false],
    ]);
    const work = await sb.json<(ServerRow & { prefix: boolean; transport: string })[]>([
      'server',
      'list',
      '--space',
      'work',
    ]);
    expect(work.find((s) => s.id === 'remote')).toMatchObject({ prefix: false, transport: 'sse' });
    expect(work.some((s) => s.id === 'everywhere')).toBe(true);
  });
});

describe('server list/show/remove/enable/disable', () => {
  it('disables and re-enables a server, also a default-enabled one locally', async () => {
    await sb.ok(['server', 'add', 'everywhere', '--command', 'true', '--default-enabled', '--no-connect']);
    await sb.ok(['server', 'disable', 'everywhere', '--space', 'work']);
    expect((await sb.json<ServerRow[]>(['server', 'list', '--space', 'work']))[0]?.enabled).toBe(false);
    expect((await sb.json<ServerRow[]>(['server', 'list']))[0]?.enabled).toBe(true);
    await sb.ok(['server', 'enable', 'everywhere', '--space', 'work']);
    expect((await sb.json<ServerRow[]>(['server', 'list', '--space', 'work']))[0]?.enabled).toBe(true);
    const human = await sb.cli(['server', 'list']);
    expect(human.stdout).toMatch(/everywhere\s+everywhere\s+enabled\s+default-enabled/);
  });

  it('removes an installation, then the definition with --everywhere', async () => {
    await sb.ok(['server', 'add', 'memory', ...memory(), '--no-connect']);
    await sb.ok(['server', 'add', 'memory', '--space', 'work', '--no-connect']);
    await sb.ok(['server', 'remove', 'memory', '--space', 'work']);
    expect(await sb.json(['server', 'list', '--space', 'work'])).toEqual([]);
    const again = await sb.cli(['server', 'remove', 'memory', '--space', 'work']);
    expect(again.stderr).toMatch(/not installed in Space "work"/);
    await sb.ok(['server', 'remove', 'memory', '--everywhere']);
    expect(await sb.json(['server', 'list'])).toEqual([]);
    const unknown = await sb.cli(['server', 'enable', 'memory']);
    expect(unknown.stderr).toMatch(/^error: Server "memory" is not defined\. Servers: none/);
  });

  it('never writes a secret value into the database file in plaintext', async () => {
    const secret = 'tok_SECRET_canary_1234567890';
    await sb.ok([
      'server',
      'add',
      'x',
      '--command',
      'true',
      '--env',
      'TOKEN=${secret:TOKEN}',
      '--no-connect',
    ]);
    await sb.ok(['secret', 'set', 'x', 'TOKEN'], { stdin: `${secret}\n` });
    for (const file of ['mcpmux.db', 'mcpmux.db-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(sb.home, file));
      } catch {
        continue;
      }
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });
});

describe('server show of a server with no discovered features', () => {
  it('says whether the gateway runs: never connected without one, connects on first use with one', async () => {
    await sb.ok(['server', 'add', 'memory', ...memory(), '--no-connect', '--space', 'work']);
    const stopped = await sb.cli(['server', 'show', 'memory', '--space', 'work']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(
      /Features: +never connected in work: the gateway is not running \(`mcpmux start`\)/,
    );
    const { output, exited, stop } = sb.start(['serve', '--port', '0', '--json']);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        output.stdout.on('data', () => {
          try {
            resolve((JSON.parse(output.out()) as { url: string }).url);
          } catch {
            // not the whole object yet
          }
        });
        void exited.then(() => reject(new Error(`serve exited: ${output.err()}`)));
      });
      // The active Space is personal: the gateway has not visited work, so nothing connected it.
      const running = await sb.cli(['server', 'show', 'memory', '--space', 'work']);
      expect(running.code).toBe(0);
      expect(running.stdout).toContain(
        `Features:   not connected yet in work: the gateway at ${url} (pid ${process.pid}) is running and connects to it when a client uses Space work`,
      );
      expect(running.stdout).not.toMatch(/start the gateway|not running/);
    } finally {
      stop();
      await exited;
    }
  });
});
