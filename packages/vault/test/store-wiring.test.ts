import { join } from 'node:path';
import { openSqliteSpaceStore } from '@mcpmux/space-store/sqlite';
import { describe, expect, it } from 'vitest';
import { openVault } from '../src/internal/sql-vault.js';
import { openSqliteVault } from '../src/sqlite.js';
import { randomEnvProvider, tempDir } from './helpers.js';

// The vault beside the real space store on one SQLite file, wired as apps/server's home does it.

const homeScope = { spaceId: 'home', serverId: 'github' } as const;

describe('the vault on the space store database', () => {
  it("openVault on store.sql: deleting a Space removes its secrets in the store's transaction, or neither", async () => {
    const store = openSqliteSpaceStore({ path: join(tempDir(), 'mcpmux.db') });
    const vault = await openVault({ database: store.sql, keyProvider: randomEnvProvider() });
    store.addSpaceDeletionHook(async (spaceId, tx) => {
      await vault.deleteSpace(spaceId, tx);
    });
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    await vault.set(homeScope, 'TOKEN', 'home-token');
    const failing = store.addSpaceDeletionHook(() => {
      throw new Error('a later hook fails');
    });
    await expect(store.deleteSpace('home')).rejects.toThrow('a later hook fails');
    expect(await vault.get(homeScope, 'TOKEN')).toBe('home-token');
    failing();
    await store.deleteSpace('home');
    expect(await vault.has(homeScope, 'TOKEN')).toBe(false);
    expect((await store.listSpaces()).map((s) => s.id)).toEqual(['work']);
    // Store and vault calls at once share one transaction queue: none fails.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? vault.set({ spaceId: 'work', serverId: 'github' }, `K${i}`, `v${i}`)
          : store.recordSecretChange('work'),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await vault.close();
    await store.close();
  });

  it("openSqliteVault on store.database (the older wiring) runs beside the store's own transactions", async () => {
    // busy_timeout 0: the store's connection and the vault's own one live in one process; SQLite's busy
    // handler would block the event loop while the other holds the write lock (5 s stalls, no errors).
    const store = openSqliteSpaceStore({ path: join(tempDir(), 'mcpmux.db') }, { busyTimeoutMs: 0 });
    const vault = await openSqliteVault({ database: store.database, keyProvider: randomEnvProvider() });
    store.addSpaceDeletionHook((spaceId) => {
      vault.deleteSpaceSync(spaceId);
    });
    await store.createSpace({ id: 'work' });
    await store.createSpace({ id: 'home' });
    await vault.set(homeScope, 'TOKEN', 'home-token');
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? vault.set({ spaceId: 'work', serverId: 'github' }, `K${i}`, `v${i}`)
          : store.recordSecretChange('work'),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await vault.get({ spaceId: 'work', serverId: 'github' }, 'K38')).toBe('v38');
    await store.deleteSpace('home');
    expect(await vault.has(homeScope, 'TOKEN')).toBe(false);
    await vault.close();
    expect(store.database.open).toBe(true);
    await store.close();
  });
});
