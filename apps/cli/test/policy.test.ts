import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryServerArgs, type Sandbox, workSandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await workSandbox();
});
afterEach(() => sb.cleanup());

interface ToolRow {
  kind: string;
  server: string;
  name: string;
  exposedName: string;
}

describe('secret', () => {
  it('reads the value from stdin, strips exactly one trailing newline, and never prints it', async () => {
    const set = await sb.ok(['secret', 'set', 'github', 'TOKEN', '--space', 'work'], {
      stdin: 'ghp_value\r\n',
    });
    expect(set.stdout + set.stderr).not.toContain('ghp_value');
    await sb.ok(['secret', 'set', 'github', 'OTHER', '--global'], { stdin: 'two\n\n' });
    const rows = await sb.json<{ server: string; name: string; scope: string }[]>([
      'secret',
      'list',
      '--all',
    ]);
    expect(rows.map((r) => [r.server, r.name, r.scope]).sort()).toEqual([
      ['github', 'OTHER', 'global'],
      ['github', 'TOKEN', 'work'],
    ]);
    const human = await sb.cli(['secret', 'list', '--space', 'work']);
    expect(human.stdout).toMatch(/github\s+TOKEN\s+work/);
    expect(human.stdout).not.toContain('ghp_value');
  });

  it('uses a hidden prompt on a terminal', async () => {
    const asked: string[] = [];
    const r = await sb.cli(['secret', 'set', 'github', 'TOKEN'], {
      tty: true,
      prompt: {
        async secret(message) {
          asked.push(message);
          return 'from-prompt';
        },
      },
    });
    expect(r.code).toBe(0);
    expect(asked[0]).toMatch(/TOKEN for github/);
    expect(r.stdout).not.toContain('from-prompt');
    const cancelled = await sb.cli(['secret', 'set', 'github', 'T2'], {
      tty: true,
      prompt: { secret: async () => undefined },
    });
    expect(cancelled.code).toBe(1);
    expect(await sb.json<unknown[]>(['secret', 'list'])).toHaveLength(1);
  });

  it('refuses an empty value, a bad name and a missing secret, changing nothing', async () => {
    expect((await sb.cli(['secret', 'set', 'github', 'TOKEN'], { stdin: '\n' })).stderr).toMatch(
      /error: The secret is empty/,
    );
    expect((await sb.cli(['secret', 'set', 'github', '1BAD'], { stdin: 'x' })).stderr).toMatch(
      /secret name "1BAD"/,
    );
    expect(
      (await sb.cli(['secret', 'set', 'github', 'T', '--space', 'nope'], { stdin: 'x' })).stderr,
    ).toMatch(/Spaces: personal/);
    expect(
      (await sb.cli(['secret', 'set', 'github', 'T', '--space', 'work', '--global'], { stdin: 'x' })).code,
    ).toBe(1);
    expect(await sb.json(['secret', 'list', '--all'])).toEqual([]);
    const rm = await sb.cli(['secret', 'rm', 'github', 'TOKEN']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/No secret TOKEN for github in Space personal/);
  });

  it('deletes a secret', async () => {
    await sb.ok(['secret', 'set', 'github', 'TOKEN'], { stdin: 'x' });
    await sb.ok(['secret', 'rm', 'github', 'TOKEN']);
    expect(await sb.json(['secret', 'list'])).toEqual([]);
  });
});

describe('featureset', () => {
  it('creates a set, adds include and exclude members, shows and removes them', async () => {
    await sb.ok(['featureset', 'create', 'developer', '--name', 'Developer']);
    await sb.ok(['featureset', 'include', 'developer', 'server:memory']);
    await sb.ok(['featureset', 'exclude', 'developer', 'tool:memory/delete_*']);
    await sb.ok(['featureset', 'create', 'no-delete']);
    await sb.ok(['featureset', 'exclude', 'no-delete', 'destructive']);
    await sb.ok(['featureset', 'include', 'developer', 'set:no-delete']);
    const show = await sb.json<{ members: unknown[] }>(['featureset', 'show', 'developer']);
    expect(show.members).toEqual([
      { mode: 'include', selector: { type: 'server', server: 'memory' } },
      { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: 'memory', name: 'delete_*' } },
      { mode: 'include', selector: { type: 'featureSet', id: 'no-delete' } },
    ]);
    const human = await sb.cli(['featureset', 'show', 'developer']);
    expect(human.stdout).toMatch(/exclude\s+tool:memory\/delete_\*/);
    await sb.ok(['featureset', 'remove', 'developer', 'tool:memory/delete_*']);
    expect((await sb.json<{ members: unknown[] }>(['featureset', 'show', 'developer'])).members).toHaveLength(
      2,
    );
    const list = await sb.json<{ id: string }[]>(['featureset', 'list']);
    expect(list.map((s) => s.id).sort()).toEqual(['all', 'default', 'developer', 'no-delete']);
    const inUse = await sb.cli(['featureset', 'delete', 'no-delete']);
    expect(inUse.stderr).toMatch(/featureset remove developer set:no-delete/);
    await sb.ok(['featureset', 'remove', 'developer', 'set:no-delete']);
    await sb.ok(['featureset', 'delete', 'no-delete']);
    expect((await sb.json<{ id: string }[]>(['featureset', 'list'])).map((s) => s.id)).not.toContain(
      'no-delete',
    );
  });

  it('refuses a bad selector, an unknown set, a missing member and a built-in set edit', async () => {
    await sb.ok(['featureset', 'create', 'dev']);
    const bad = await sb.cli(['featureset', 'include', 'dev', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: selector "bogus"/);
    expect((await sb.cli(['featureset', 'include', 'nope', 'readonly'])).stderr).toMatch(
      /FeatureSet "nope" does not exist in Space "personal"/,
    );
    expect((await sb.cli(['featureset', 'remove', 'dev', 'readonly'])).stderr).toMatch(
      /has no member readonly/,
    );
    expect((await sb.cli(['featureset', 'include', 'all', 'readonly'])).code).toBe(1);
    expect((await sb.cli(['featureset', 'delete', 'default'])).code).toBe(1);
    expect((await sb.json<{ members: unknown[] }>(['featureset', 'show', 'dev'])).members).toEqual([]);
  });
});

describe('client', () => {
  it('prints the access key alone on the last line, and as accessKey with --json', async () => {
    const r = await sb.ok(['client', 'add', 'cursor', '--name', 'Cursor']);
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last).toMatch(/^mcpmux_[A-Za-z0-9_-]{43}$/);
    const j = await sb.json<{ accessKey: string; mode: string; pinnedSpaceId: string | null }>([
      'client',
      'add',
      'claude',
      '--pinned',
      'work',
    ]);
    expect(j.accessKey).toMatch(/^mcpmux_/);
    expect(j).toMatchObject({ mode: 'pinned', pinnedSpaceId: 'work' });
    const rotated = await sb.ok(['client', 'key', 'rotate', 'cursor']);
    const key2 = rotated.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(key2).toMatch(/^mcpmux_/);
    expect(key2).not.toBe(last);
    const rotatedJson = await sb.json<{ accessKey: string }>(['client', 'key', 'rotate', 'cursor']);
    expect(rotatedJson.accessKey).toMatch(/^mcpmux_/);
    const show = await sb.json<{ keys: { revokedAt: string | null }[] }>(['client', 'show', 'cursor']);
    expect(show.keys.filter((k) => k.revokedAt === null)).toHaveLength(1);
  });

  it('lists, switches modes, grants, ungrants and removes', async () => {
    await sb.ok(['client', 'add', 'cursor']);
    await sb.ok(['client', 'mode', 'cursor', 'pinned', 'work']);
    expect((await sb.json<{ mode: string; pinnedSpaceId: string }[]>(['client', 'list']))[0]).toMatchObject({
      mode: 'pinned',
      pinnedSpaceId: 'work',
    });
    await sb.ok(['client', 'mode', 'cursor', 'follow-active']);
    await sb.ok(['client', 'grant', 'cursor', 'all', '--space', 'work']);
    const show = await sb.json<{ grants: unknown[] }>(['client', 'show', 'cursor']);
    expect(show.grants).toEqual([{ space: 'work', set: 'all' }]);
    await sb.ok(['client', 'ungrant', 'cursor', 'all', '--space', 'work']);
    expect((await sb.json<{ grants: unknown[] }>(['client', 'show', 'cursor'])).grants).toEqual([]);
    await sb.ok(['client', 'remove', 'cursor']);
    expect(await sb.json(['client', 'list'])).toEqual([]);
  });

  it('reports unknown clients, Spaces and sets and a duplicate id without changing state', async () => {
    await sb.ok(['client', 'add', 'cursor']);
    expect((await sb.cli(['client', 'add', 'cursor'])).code).toBe(1);
    expect((await sb.cli(['client', 'show', 'nope'])).stderr).toMatch(
      /^error: Client "nope" does not exist\. Clients: cursor\./,
    );
    expect((await sb.cli(['client', 'add', 'x', '--pinned', 'nope'])).stderr).toMatch(
      /Spaces: personal \(active\), work/,
    );
    expect((await sb.cli(['client', 'grant', 'cursor', 'nope'])).stderr).toMatch(
      /FeatureSet "nope" does not exist/,
    );
    expect((await sb.cli(['client', 'ungrant', 'cursor', 'all'])).stderr).toMatch(/has no grant of all/);
    expect((await sb.cli(['client', 'mode', 'cursor', 'pinned'])).stderr).toMatch(/Name the Space/);
    expect((await sb.cli(['client', 'mode', 'cursor', 'sideways'])).code).toBe(1);
    expect(await sb.json<unknown[]>(['client', 'list'])).toHaveLength(1);
  });
});

describe('tools and explain', () => {
  beforeEach(async () => {
    await sb.ok(memoryServerArgs(sb.dir));
    await sb.ok(['client', 'add', 'cursor']);
  });

  it("lists the client's effective tools with exposed names and explains an exclusion", async () => {
    expect(await sb.json(['tools', '--client', 'cursor'])).toEqual([]);
    await sb.ok(['featureset', 'create', 'developer']);
    await sb.ok(['featureset', 'include', 'developer', 'server:memory']);
    await sb.ok(['featureset', 'create', 'no-delete']);
    await sb.ok(['featureset', 'exclude', 'no-delete', 'tool:memory/delete_*']);
    await sb.ok(['client', 'grant', 'cursor', 'developer']);
    await sb.ok(['client', 'grant', 'cursor', 'no-delete']);
    const tools = await sb.json<ToolRow[]>(['tools', '--client', 'cursor']);
    const names = tools.filter((t) => t.kind === 'tool').map((t) => t.exposedName);
    expect(names).toContain('memory_read_graph');
    expect(names.some((n) => n.startsWith('memory_delete_'))).toBe(false);
    expect(tools[0]).toEqual({
      kind: 'tool',
      server: 'memory',
      name: tools[0]?.name,
      exposedName: `memory_${tools[0]?.name}`,
    });

    const denied = await sb.json(['explain', '--client', 'cursor', 'tool:memory/delete_entities']);
    expect(denied).toEqual({
      allowed: false,
      inCatalog: true,
      includedBy: [['developer']],
      excludedBy: [['no-delete']],
    });
    const human = await sb.cli(['explain', '--client', 'cursor', 'tool:memory/delete_entities']);
    expect(human.stdout).toMatch(/^DENIED tool:memory\/delete_entities/);
    expect(human.stdout).toMatch(/excluded by: no-delete/);
    const allowed = await sb.json<{ allowed: boolean }>([
      'explain',
      '--client',
      'cursor',
      'tool:memory/read_graph',
    ]);
    expect(allowed.allowed).toBe(true);
  });

  it('defaults --space to the pinned Space and says when a server never connected', async () => {
    await sb.ok(['server', 'add', 'memory', '--space', 'work', '--no-connect']);
    await sb.ok(['client', 'add', 'pinned', '--pinned', 'work']);
    await sb.ok(['client', 'grant', 'pinned', 'all', '--space', 'work']);
    expect(await sb.json(['tools', '--client', 'pinned'])).toEqual([]);
    const human = await sb.cli(['tools', '--client', 'pinned']);
    expect(human.stdout).toMatch(/in Space work/);
    expect(human.stdout).toMatch(/server memory has never connected in Space work/);
    const explain = await sb.cli(['explain', '--client', 'pinned', 'tool:memory/read_graph']);
    expect(explain.stdout).toMatch(/never connected/);
    await sb.ok(['client', 'grant', 'cursor', 'all']);
    expect((await sb.json<unknown[]>(['tools', '--client', 'cursor'])).length).toBeGreaterThan(3);
    expect(await sb.json(['tools', '--client', 'cursor', '--space', 'work'])).toEqual([]);
  });

  it('refuses a non-feature selector and an unknown client', async () => {
    expect((await sb.cli(['explain', '--client', 'cursor', 'server:memory'])).stderr).toMatch(
      /explain needs one feature/,
    );
    expect((await sb.cli(['explain', '--client', 'cursor', 'tool:memory/*'])).code).toBe(1);
    expect((await sb.cli(['tools', '--client', 'nope'])).stderr).toMatch(/Client "nope" does not exist/);
    expect((await sb.cli(['tools'])).stderr).toMatch(/required option '--client/);
  });
});
