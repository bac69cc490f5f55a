import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('init', () => {
  it('creates the home with an active "personal" Space and is idempotent', async () => {
    const first = await sb.cli(['init']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Initialised');
    const again = await sb.json<{ created: boolean; activeSpace: string }>(['init']);
    expect(again).toMatchObject({ created: false, activeSpace: 'personal' });
    expect(await sb.json(['space', 'list'])).toEqual([{ id: 'personal', name: 'Personal', active: true }]);
  });

  it('honours --home over MCPMUX_HOME', async () => {
    const other = `${sb.dir}/other-home`;
    expect((await sb.cli(['--home', other, 'init'])).code).toBe(0);
    expect((await sb.cli(['space', 'list'])).stderr).toMatch(/^error: .*mcpmux init/);
    expect(await sb.json(['space', 'list', '--home', other])).toHaveLength(1);
  });

  it('tells the user to run init when the home is missing', async () => {
    const r = await sb.cli(['space', 'list']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*init/);
  });
});

describe('space', () => {
  beforeEach(async () => {
    expect((await sb.cli(['init'])).code).toBe(0);
  });

  it('creates, lists, switches and shows Spaces', async () => {
    expect((await sb.cli(['space', 'create', 'work', '--name', 'Work', '--icon', 'W'])).code).toBe(0);
    expect(await sb.json(['space', 'list'])).toEqual([
      { id: 'personal', name: 'Personal', active: true },
      { id: 'work', name: 'Work', active: false },
    ]);
    const use = await sb.cli(['space', 'use', 'work']);
    expect(use.code).toBe(0);
    const list = await sb.json<{ id: string; active: boolean }[]>(['space', 'list']);
    expect(list.find((s) => s.active)?.id).toBe('work');
    const human = await sb.cli(['space', 'list']);
    expect(human.stdout).toMatch(/\*\s+work\s+Work/);
    const show = await sb.json<{ id: string; featureSets: { id: string }[] }>(['space', 'show', 'work']);
    expect(show.featureSets.map((s) => s.id).sort()).toEqual(['all', 'default']);
  });

  it('lists the Spaces when a Space is unknown', async () => {
    await sb.cli(['space', 'create', 'work']);
    for (const argv of [
      ['space', 'use', 'nope'],
      ['space', 'show', 'nope'],
      ['server', 'list', '--space', 'nope'],
    ]) {
      const r = await sb.cli(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: Space "nope" does not exist. Spaces: personal (active), work. Create it with `mcpmux space create nope`.\n',
      );
    }
  });

  it('refuses an invalid or duplicate id and leaves the Spaces unchanged', async () => {
    const bad = await sb.cli(['space', 'create', 'Work Space']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: space id: use lowercase letters/);
    const dup = await sb.cli(['space', 'create', 'personal']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^error: /);
    expect(await sb.json(['space', 'list'])).toHaveLength(1);
  });

  it('deletes a Space only with --yes and never the active one', async () => {
    await sb.cli(['space', 'create', 'work']);
    const noYes = await sb.cli(['space', 'delete', 'work']);
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toMatch(/--yes/);
    expect(await sb.json(['space', 'list'])).toHaveLength(2);
    const active = await sb.cli(['space', 'delete', 'personal', '--yes']);
    expect(active.code).toBe(1);
    expect(active.stderr).toMatch(/is active.*space use work/);
    expect((await sb.cli(['space', 'delete', 'work', '--yes'])).code).toBe(0);
    expect(await sb.json(['space', 'list'])).toEqual([{ id: 'personal', name: 'Personal', active: true }]);
  });
});

describe('usage', () => {
  it('prints help for every command and exits 0', async () => {
    const top = await sb.cli(['--help']);
    expect(top.code).toBe(0);
    for (const verb of [
      'init',
      'space',
      'server',
      'secret',
      'featureset',
      'client',
      'tools',
      'explain',
      'serve',
      'stdio',
      'connect',
      'import',
      'status',
      'doctor',
    ]) {
      expect(top.stdout).toContain(verb);
    }
    const add = await sb.cli(['server', 'add', '--help']);
    for (const flag of [
      '--command',
      '--arg',
      '--url',
      '--transport',
      '--env',
      '--header',
      '--alias',
      '--no-prefix',
      '--no-connect',
      '--timeout',
      '--space',
      '--default-enabled',
    ]) {
      expect(add.stdout).toContain(flag);
    }
  });

  it('rejects unknown commands, options and conflicting flags with exit 1', async () => {
    const unknown = await sb.cli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: unknown command/);
    const conflict = await sb.cli([
      'server',
      'add',
      'x',
      '--space',
      'a',
      '--default-enabled',
      '--command',
      'y',
    ]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/cannot be used with/);
    const aliasPrefix = await sb.cli(['server', 'add', 'x', '--alias', 'a', '--no-prefix', '--command', 'y']);
    expect(aliasPrefix.code).toBe(1);
    const badPort = await sb.cli(['serve', '--port', 'abc']);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/--port must be a whole number/);
  });

  it('fails with one line for a missing or misspelt subcommand', async () => {
    for (const [argv, pattern] of [
      [['space'], /^error: Missing command: mcpmux space \(create \| list \| use \| delete \| show\)/],
      [['client', 'key'], /^error: Missing command: mcpmux client key \(rotate\)/],
      [['sever', 'list'], /^error: unknown command 'sever' \(Did you mean server\?\)/],
      [['server', 'add'], /^error: missing required argument 'id'/],
    ] as const) {
      const r = await sb.cli([...argv]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('prints the version', async () => {
    const r = await sb.cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
