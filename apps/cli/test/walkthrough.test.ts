// The "Work vs Personal" walkthrough of README.md, command for command (github with --no-connect,
// so no network is needed; the gateway discovers its tools when it first connects).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

it('sets up Work vs Personal with the CLI only', async () => {
  await sb.ok(['init']);
  await sb.ok(['space', 'create', 'work', '--name', 'Work', '--icon', '💼']);
  await sb.ok(['server', 'add', 'github', '--space', 'personal', '--no-connect']);
  await sb.ok(['server', 'add', 'github', '--space', 'work', '--no-connect']);
  await sb.ok(['secret', 'set', 'github', 'GITHUB_PERSONAL_ACCESS_TOKEN', '--space', 'personal'], {
    stdin: 'ghp_personal\n',
  });
  await sb.ok(['secret', 'set', 'github', 'GITHUB_PERSONAL_ACCESS_TOKEN', '--space', 'work'], {
    stdin: 'ghp_work\n',
  });
  for (const space of ['personal', 'work']) {
    await sb.ok(['featureset', 'create', 'developer', '--name', 'Developer', '--space', space]);
    await sb.ok(['featureset', 'include', 'developer', 'server:github', '--space', space]);
    await sb.ok(['featureset', 'create', 'no-delete', '--name', 'No Delete', '--space', space]);
    await sb.ok(['featureset', 'exclude', 'no-delete', 'tool:*/delete_*', '--space', space]);
  }
  const add = await sb.ok(['client', 'add', 'cursor', '--name', 'Cursor']);
  expect(add.stdout.trimEnd().split('\n').at(-1)).toMatch(/^mcpmux_/);
  for (const space of ['personal', 'work']) {
    await sb.ok(['client', 'grant', 'cursor', 'developer', '--space', space]);
    await sb.ok(['client', 'grant', 'cursor', 'no-delete', '--space', space]);
  }
  await sb.ok(['connect', 'cursor', '--client', 'cursor']);
  await sb.ok(['space', 'use', 'work']);

  const secrets = await sb.json<{ name: string; scope: string }[]>(['secret', 'list', '--all']);
  expect(secrets.map((s) => s.scope).sort()).toEqual(['personal', 'work']);
  const status = await sb.json<{ activeSpace: string; servers: string[]; clients: string[] }>(['status']);
  expect(status).toMatchObject({ activeSpace: 'work', servers: ['github'], clients: ['cursor'] });
  const explain = await sb.json<{ allowed: boolean; inCatalog: boolean }>([
    'explain',
    '--client',
    'cursor',
    'tool:github/delete_file',
  ]);
  expect(explain).toEqual({
    allowed: false,
    inCatalog: false,
    includedBy: [['developer']],
    excludedBy: [['no-delete']],
  });
  const tools = await sb.cli(['tools', '--client', 'cursor']);
  expect(tools.stdout).toMatch(/Client cursor in Space work \(grants: developer, no-delete; plus default\)/);
  expect(tools.stderr).toMatch(/server github has never connected in Space work/);
});
