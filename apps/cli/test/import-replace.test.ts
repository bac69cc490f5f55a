// `mcpmux import APP --replace` and `mcpmux doctor`'s plaintext check, against real app config files
// in a temp HOME.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
let cursor: string;
beforeEach(async () => {
  sb = sandbox();
  await sb.ok(['init']);
  cursor = join(sb.dir, '.cursor', 'mcp.json');
});
afterEach(() => sb.cleanup());

const TOKEN = 'ghp_CANARYreplace1234567890abcdef';

/** A Cursor config with a server holding a plaintext token, one without, and one mcpmux cannot import. */
function writeCursorConfig(): string {
  const text = `${JSON.stringify(
    {
      mcpServers: {
        github: {
          command: process.execPath,
          args: ['-e', 'setInterval(() => {}, 1000)'],
          env: { GITHUB_PERSONAL_ACCESS_TOKEN: TOKEN, LOG_LEVEL: 'info' },
        },
        notes: { command: process.execPath, args: ['notes.js'] },
        db: { command: 'psql-mcp', args: ['postgres://admin:CANARYpw@db.example.com/app'] },
      },
      theme: 'dark',
    },
    null,
    2,
  )}\n`;
  mkdirSync(dirname(cursor), { recursive: true });
  writeFileSync(cursor, text, { mode: 0o644 });
  return text;
}

const backups = () => readdirSync(dirname(cursor)).filter((f) => f.includes('.mcpmux-backup-'));

interface Check {
  check: string;
  status: string;
  message: string;
  fix?: string;
}

describe('import --replace', () => {
  it('replaces the imported entries with one mcpmux entry after a 0600 backup, keeping the rest', async () => {
    const before = writeCursorConfig();
    const doctor = JSON.parse((await sb.cli(['doctor', '--json'])).stdout) as { checks: Check[] };
    const flagged = doctor.checks.filter((c) => c.check === 'app cursor' && c.message.includes('plaintext'));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]?.message).toContain(cursor);
    expect(flagged[0]?.message).toContain('github (GITHUB_PERSONAL_ACCESS_TOKEN)');
    expect(flagged[0]?.message).toContain('db (args)');
    expect(flagged[0]?.message).not.toContain(TOKEN);
    expect(flagged[0]?.fix).toBe('mcpmux import cursor --replace');

    const plan = await sb.json<{ replaced: { entries: string[]; backup: null } }>([
      'import',
      'cursor',
      '--replace',
      '--dry-run',
    ]);
    expect(plan.replaced).toMatchObject({ entries: ['github', 'notes'], backup: null });
    expect(readFileSync(cursor, 'utf8')).toBe(before);

    const r = await sb.cli(['import', 'cursor', '--replace']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Replaced "github", "notes" in .*mcp\.json with the "mcpmux" entry/);
    expect(r.stdout).toContain('client quickstart');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const after = JSON.parse(readFileSync(cursor, 'utf8'));
    expect(Object.keys(after.mcpServers).sort()).toEqual(['db', 'mcpmux']);
    expect(after.mcpServers.mcpmux).toEqual({
      command: 'mcpmux',
      args: ['--home', sb.home, 'stdio', '--client', 'quickstart'],
    });
    expect(after.theme).toBe('dark');
    expect(readFileSync(cursor, 'utf8')).not.toContain(TOKEN);
    // The original, credentials and all, only in the backup, readable by the user alone.
    const [backup] = backups();
    expect(backup).toBeDefined();
    const backupPath = join(dirname(cursor), backup ?? '');
    expect(readFileSync(backupPath, 'utf8')).toBe(before);
    expect(statSync(backupPath).mode & 0o777).toBe(0o600);
    expect(statSync(cursor).mode & 0o777).toBe(0o644);
    // The app keeps those servers through mcpmux: the client exists and is granted them.
    const tools = await sb.cli(['tools', '--client', 'quickstart']);
    expect(tools.stdout).toContain('grants: server-all:github, server-all:notes');

    // doctor no longer finds plaintext credentials for github (db could not be imported, so it stays).
    const later = await sb.cli(['doctor', '--json']);
    const again = (JSON.parse(later.stdout) as { checks: Check[] }).checks.filter(
      (c) => c.check === 'app cursor' && c.message.includes('plaintext'),
    );
    expect(again.map((c) => c.message).join(' ')).not.toContain('github');
  });

  it('refuses a file that changed meanwhile and leaves it and no backup behind', async () => {
    writeCursorConfig();
    // A prompt that edits the file while the user is asked: the app rewrote it meanwhile.
    const edited = `${JSON.stringify({ mcpServers: { other: { command: 'x' } } })}\n`;
    const r = await sb.cli(['import', 'cursor'], {
      tty: true,
      prompt: {
        secret: async () => undefined,
        confirm: async () => {
          writeFileSync(cursor, edited);
          return true;
        },
      },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /error: .*mcp\.json changed while mcpmux was working on it; nothing was written/,
    );
    expect(readFileSync(cursor, 'utf8')).toBe(edited);
    expect(backups()).toEqual([]);
  });

  it('offers the replacement on a terminal and changes nothing when declined', async () => {
    const before = writeCursorConfig();
    const asked: string[] = [];
    const r = await sb.cli(['import', 'cursor'], {
      tty: true,
      prompt: {
        secret: async () => undefined,
        confirm: async (message) => {
          asked.push(message);
          return false;
        },
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      /Replace these 2 entries in .*mcp\.json with one mcpmux entry \(a backup is written first\)/,
    );
    expect(readFileSync(cursor, 'utf8')).toBe(before);
    expect(r.stdout).toContain('`mcpmux import cursor --replace`');
    // Without a terminal nobody is asked.
    const quiet = await sb.cli(['import', 'cursor']);
    expect(quiet.code).toBe(0);
    expect(backups()).toEqual([]);
  });

  it('refuses --replace for a FILE', async () => {
    writeCursorConfig();
    const r = await sb.cli(['import', cursor, '--replace']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--replace rewrites a known app's config; name the app/);
  });
});
