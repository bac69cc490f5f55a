/** `mcpmux client mode ID --lean/--no-lean`, `client pin`/`unpin` and what `client show` says (DESIGN §14). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryServerArgs, type Sandbox, workSandbox } from './helpers.js';

interface ClientJson {
  id: string;
  mode: string;
  pinnedSpaceId: string | null;
  lean: boolean;
  pinnedTools: string[];
}

let sb: Sandbox;
beforeEach(async () => {
  sb = await workSandbox();
});
afterEach(() => sb.cleanup());

describe('client lean mode', () => {
  it('turns lean mode on and off, alone or with a Space mode, and shows it', async () => {
    await sb.ok(['client', 'add', 'cursor']);
    expect(await sb.json<ClientJson>(['client', 'show', 'cursor'])).toMatchObject({
      lean: false,
      pinnedTools: [],
    });

    const on = await sb.ok(['client', 'mode', 'cursor', '--lean']);
    expect(on.stdout).toContain('Client cursor is now follow-active, lean.');
    expect(on.stdout).toContain('mcpmux client pin cursor TOOL');
    const human = await sb.ok(['client', 'show', 'cursor']);
    expect(human.stdout).toContain('Lean mode: lists mcpmux_search_tools');
    expect((await sb.json<ClientJson[]>(['client', 'list']))[0]).toMatchObject({ id: 'cursor', lean: true });

    // A Space mode change keeps lean mode; both can change at once.
    await sb.ok(['client', 'mode', 'cursor', 'pinned', 'work']);
    expect(await sb.json<ClientJson>(['client', 'show', 'cursor'])).toMatchObject({
      mode: 'pinned',
      pinnedSpaceId: 'work',
      lean: true,
    });
    await sb.ok(['client', 'mode', 'cursor', 'follow-active', '--no-lean']);
    expect(await sb.json<ClientJson>(['client', 'show', 'cursor'])).toMatchObject({
      mode: 'follow-active',
      pinnedSpaceId: null,
      lean: false,
    });
  });

  it('says what to do when mode has nothing to change', async () => {
    await sb.ok(['client', 'add', 'cursor']);
    const none = await sb.cli(['client', 'mode', 'cursor']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--lean/);
    expect((await sb.cli(['client', 'mode', 'nope', '--lean'])).stderr).toMatch(
      /Client "nope" does not exist/,
    );
  });

  it('pins and unpins tools, notes names the client cannot use, and refuses to unpin what is not pinned', async () => {
    await sb.ok(memoryServerArgs(sb.dir));
    await sb.ok(['client', 'add', 'cursor']);
    await sb.ok(['client', 'grant', 'cursor', 'all']);
    await sb.ok(['client', 'mode', 'cursor', '--lean']);

    const pinned = await sb.ok(['client', 'pin', 'cursor', 'memory_read_graph', 'memory_nope']);
    expect(pinned.stdout).toContain('Pinned for cursor: memory_read_graph, memory_nope.');
    expect(pinned.stdout).toMatch(/note: memory_nope is not among the tools cursor may use/);
    expect(pinned.stdout).not.toMatch(/memory_read_graph is not/);
    // Pinning again is idempotent.
    const again = await sb.json<ClientJson>(['client', 'pin', 'cursor', 'memory_read_graph']);
    expect(again.pinnedTools).toEqual(['memory_read_graph', 'memory_nope']);
    expect((await sb.ok(['client', 'show', 'cursor'])).stdout).toContain(
      'Pinned tools: memory_read_graph, memory_nope',
    );

    const unpinned = await sb.json<ClientJson>(['client', 'unpin', 'cursor', 'memory_nope']);
    expect(unpinned.pinnedTools).toEqual(['memory_read_graph']);
    const missing = await sb.cli(['client', 'unpin', 'cursor', 'memory_nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no pinned tool memory_nope\. Pinned: memory_read_graph\./);
    expect((await sb.json<ClientJson>(['client', 'show', 'cursor'])).pinnedTools).toEqual([
      'memory_read_graph',
    ]);
  });

  it('reminds that pins matter only in lean mode', async () => {
    await sb.ok(['client', 'add', 'cursor']);
    const r = await sb.ok(['client', 'pin', 'cursor', 'memory_read_graph']);
    expect(r.stdout).toMatch(/not in lean mode.*mcpmux client mode cursor --lean/);
  });
});
