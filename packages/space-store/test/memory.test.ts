import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MemorySpaceStore, openMemorySpaceStore } from '../src/memory.js';
import { describeSpaceStoreContract, manualClock, visibleState } from './contract.js';

describeSpaceStoreContract('memory', {
  async open({ clock }) {
    return openMemorySpaceStore({ clock });
  },
});

describeSpaceStoreContract('memory without the policy cache', {
  async open({ clock }) {
    return openMemorySpaceStore({ clock, policyCache: false });
  },
});

describe('openMemorySpaceStore', () => {
  let store: MemorySpaceStore;
  beforeEach(() => {
    store = openMemorySpaceStore({ clock: manualClock().now });
  });
  afterEach(async () => {
    await store.close();
  });

  it('returns copies: mutating a returned object changes nothing stored', async () => {
    await store.createSpace({ id: 'work', description: 'Client work' });
    await store.createServer({
      id: 'fs',
      transport: { type: 'stdio', command: 'node', args: ['a.js'], env: { A: '1' } },
    });
    await store.install('work', 'fs', { overrides: { env: { B: '2' } } });
    await store.createFeatureSet('work', { id: 'dev', members: [] });
    await store.createClient({ id: 'cursor' });
    await store.replaceDiscovered('work', 'fs', [
      { kind: 'tool', server: 'fs', name: 'read', definitionHash: 'h', annotations: { readOnlyHint: true } },
    ]);
    const before = await visibleState(store);

    const s = (await store.getSpace('work'))!;
    s.name = 'changed';
    s.createdAt.setTime(0);
    const server = (await store.getServer('fs'))!;
    if (server.transport.type === 'stdio') {
      server.transport.args.push('--evil');
      server.transport.env.A = 'x';
    }
    const inst = (await store.listInstallations('work'))[0]!;
    inst.overrides.env!.B = 'x';
    const set = (await store.getFeatureSet('work', 'dev'))!;
    set.members.push({ mode: 'include', selector: { type: 'featureSet', id: 'all' } });
    const client = (await store.getClient('cursor'))!;
    client.pinnedTools.push('x');
    const feature = (await store.listDiscovered('work'))[0]!;
    feature.annotations!.readOnlyHint = false;

    expect(await visibleState(store)).toEqual(before);
  });

  it('stores copies: mutating an object after passing it changes nothing stored', async () => {
    const env = { A: '1' };
    await store.createSpace({ id: 'work' });
    await store.createServer({ id: 'fs', transport: { type: 'stdio', command: 'node', env } });
    env.A = 'changed';
    const server = (await store.getServer('fs'))!;
    expect(server.transport).toMatchObject({ env: { A: '1' } });
  });

  it('undoes an engine write that fails after writing: rows, sets in every Space, change rows', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    await store.createServer({ id: 'github', transport: { type: 'stdio', command: 'node' } });
    await store.install('work', 'github', { alias: 'git' });
    await store.appendAudit([{ action: 'a', spaceId: 'home' }]);
    const before = await visibleState(store);
    // The definition (default-enabled: a server-all set in every Space) is written before the
    // installation's alias is found taken.
    await expect(
      store.installServer({
        definition: { id: 'gitlab', transport: { type: 'stdio', command: 'node' }, defaultEnabled: true },
        spaceId: 'work',
        installation: { alias: 'git' },
      }),
    ).rejects.toThrow(/Alias "git" is already used/);
    expect(await visibleState(store)).toEqual(before);
    // Ids handed out inside the failed write are handed out again: nothing of it remains.
    await store.appendAudit([{ action: 'b' }]);
    expect((await store.listAudit({ limit: 1 }))[0]?.id).toBe(2);
  });

  it('gives a hook no SQL connection', async () => {
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    const seen: unknown[] = [];
    store.addSpaceDeletionHook((id, tx) => {
      seen.push(id, tx);
    });
    await store.deleteSpace('home');
    expect(seen).toEqual(['home', undefined]);
  });
});
