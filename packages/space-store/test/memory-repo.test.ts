import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRepo } from '../src/internal/memory-repo.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const space = (id: string, active = false) => ({
  id,
  name: id,
  active,
  createdAt: at(0),
  updatedAt: at(0),
});

describe('MemoryRepo', () => {
  let repo: MemoryRepo;
  beforeEach(() => {
    repo = new MemoryRepo();
  });
  afterEach(async () => {
    await repo.close();
  });

  it('rolls back every write of a transaction that throws', async () => {
    await repo.write((tx) => tx.insertSpace(space('work', true)));
    await expect(
      repo.write(async (tx) => {
        await tx.insertSpace(space('home'));
        await tx.setActiveSpace('home');
        await tx.appendChange('space', 'home', at(1));
        await tx.deleteSpace('work');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const state = await repo.read(async (tx) => ({
      spaces: (await tx.listSpaces()).map((s) => [s.id, s.active]),
      revision: await tx.revision(),
      changes: await tx.changesSince(0),
    }));
    expect(state).toEqual({ spaces: [['work', true]], revision: 0, changes: [] });
  });

  it('keeps a read from seeing half of a write that is still running', async () => {
    await repo.write((tx) => tx.insertSpace(space('a', true)));
    let resume!: () => void;
    const paused = new Promise<void>((r) => {
      resume = r;
    });
    let started!: () => void;
    const inside = new Promise<void>((r) => {
      started = r;
    });
    const writing = repo.write(async (tx) => {
      await tx.insertSpace(space('b'));
      started();
      await paused;
      await tx.insertSpace(space('c'));
    });
    await inside;
    const reading = repo.read(async (tx) => (await tx.listSpaces()).map((s) => s.id));
    resume();
    await writing;
    expect(await reading).toEqual(['a', 'b', 'c']);
  });

  it('refuses a write in a read transaction and a transaction opened inside another', async () => {
    const inRead = await repo
      .read((tx) => tx.insertSpace(space('a', true)))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isMcpmuxError(inRead) && inRead.code).toBe('INTERNAL');
    const nested = await repo
      .write(() => repo.read((tx) => tx.listSpaces()))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isMcpmuxError(nested) && nested.message).toMatch(/inside another/);
    expect(await repo.read((tx) => tx.countSpaces())).toBe(0);
  });

  it('refuses a transaction used after it ended', async () => {
    let kept: Parameters<Parameters<MemoryRepo['read']>[0]>[0] | undefined;
    await repo.read(async (tx) => {
      kept = tx;
    });
    await expect(kept!.listSpaces()).rejects.toThrow(/after it ended/);
  });

  it('refuses what SQL constraints refuse: a duplicate key, a missing parent, a pinned Space', async () => {
    await repo.write((tx) => tx.insertSpace(space('work', true)));
    await expect(repo.write((tx) => tx.insertSpace(space('work')))).rejects.toThrow(/exists already/);
    await expect(repo.write((tx) => tx.insertSpace(space('home', true)))).rejects.toThrow(/second active/);
    await expect(
      repo.write((tx) =>
        tx.insertInstallation({
          spaceId: 'work',
          serverId: 'nope',
          alias: 'nope',
          prefix: true,
          enabled: true,
          overrides: {},
          installedAt: at(0),
        }),
      ),
    ).rejects.toThrow(/missing server "nope"/);
    await repo.write((tx) =>
      tx.insertClient({
        id: 'cursor',
        name: 'cursor',
        mode: 'pinned',
        pinnedSpaceId: 'work',
        lean: false,
        pinnedTools: [],
        createdAt: at(0),
        updatedAt: at(0),
      }),
    );
    await expect(repo.write((tx) => tx.deleteSpace('work'))).rejects.toThrow(/pinned/);
    expect(await repo.read((tx) => tx.countSpaces())).toBe(1);
  });

  it('lists rows put back by a rollback in id order', async () => {
    await repo.write((tx) =>
      tx.appendAudit([1, 2, 3].map((i) => ({ at: at(i), action: `a${i}`, spaceId: i === 2 ? 's' : 'o' }))),
    );
    await expect(
      repo.write(async (tx) => {
        await tx.pruneAudit({ before: at(3) });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const ids = await repo.read(async (tx) => (await tx.listAudit({})).map((e) => e.id));
    expect(ids).toEqual([3, 2, 1]);
  });

  it('keeps the revision when old change rows are pruned', async () => {
    await repo.write(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.appendChange('space', null, at(i));
      await tx.pruneChanges(2);
    });
    const state = await repo.read(async (tx) => ({
      revision: await tx.revision(),
      ids: (await tx.changesSince(0)).map((c) => c.id),
    }));
    expect(state).toEqual({ revision: 5, ids: [4, 5] });
  });
});
