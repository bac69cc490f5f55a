// Runs the "Work vs Personal" walkthrough of README.md command for command, so the README cannot
// drift from the CLI. `mcpmux serve &` is skipped (nothing here needs the gateway; github is added
// with --no-connect, so no network is used).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

/** Splits a shell word list, honouring single and double quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The walkthrough's commands: loops expanded, comments dropped, `printf %s "$X" |` as stdin. */
function walkthroughCommands(readme: string): { argv: string[]; stdin?: string }[] {
  const section = readme.split('## Walkthrough: Work vs Personal')[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const lines = block
    .split('\n')
    .map((l) =>
      l
        .replace(/\s+#.*$/, '')
        .replace(/^#.*$/, '')
        .trim(),
    )
    .filter(Boolean);
  const expanded: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const loop = /^for (\w+) in (.+); do$/.exec(lines[i] ?? '');
    if (!loop) {
      expanded.push(lines[i] ?? '');
      continue;
    }
    const body: string[] = [];
    while (lines[++i] !== 'done') body.push(lines[i] ?? '');
    for (const value of (loop[2] ?? '').split(/\s+/)) {
      for (const l of body) expanded.push(l.replaceAll(`$${loop[1]}`, value));
    }
  }
  return expanded
    .filter((l) => !l.endsWith('&'))
    .map((l) => {
      const pipe = /^printf %s "\$(\w+)"\s*\|\s*(.*)$/.exec(l);
      const cmd = words(pipe ? (pipe[2] ?? '') : l);
      expect(cmd[0]).toBe('mcpmux');
      return pipe ? { argv: cmd.slice(1), stdin: `value-of-${pipe[1]}\n` } : { argv: cmd.slice(1) };
    });
}

it('runs the README walkthrough with the CLI only', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const commands = walkthroughCommands(readme);
  expect(commands.length).toBeGreaterThan(20);
  for (const c of commands) await sb.ok(c.argv, c.stdin === undefined ? {} : { stdin: c.stdin });

  // It ends in personal after visiting work.
  const status = await sb.json<{ activeSpace: string; servers: string[]; clients: string[] }>(['status']);
  expect(status).toMatchObject({ activeSpace: 'personal', servers: ['github'], clients: ['cursor'] });
  const secrets = await sb.json<{ server: string; name: string; scope: string }[]>([
    'secret',
    'list',
    '--all',
  ]);
  expect(secrets.map((s) => `${s.server}/${s.name}@${s.scope}`).sort()).toEqual([
    'github/GITHUB_PERSONAL_ACCESS_TOKEN@personal',
    'github/GITHUB_PERSONAL_ACCESS_TOKEN@work',
  ]);
  const explain = await sb.json([
    'explain',
    '--client',
    'cursor',
    'tool:github/delete_file',
    '--space',
    'work',
  ]);
  expect(explain).toEqual({
    allowed: false,
    inCatalog: false,
    includedBy: [['developer']],
    excludedBy: [['no-delete']],
  });
  const tools = await sb.cli(['tools', '--client', 'cursor', '--space', 'work']);
  expect(tools.stdout).toMatch(/Client cursor in Space work \(grants: developer, no-delete; plus default\)/);
  expect(tools.stdout).toMatch(/server github has never connected in Space work/);
  const cursor = JSON.parse(readFileSync(join(sb.dir, '.cursor', 'mcp.json'), 'utf8'));
  expect(cursor.mcpServers.mcpmux.args).toEqual(expect.arrayContaining(['stdio', '--client', 'cursor']));
});
