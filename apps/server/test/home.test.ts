import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openHome } from '../src/home.js';
import { testEnv } from './helpers.js';

describe('openHome', () => {
  const dirs: string[] = [];
  const tempHome = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpmux-home-test-'));
    dirs.push(dir);
    return join(dir, 'home');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing home with NOT_FOUND naming mcpmux init', async () => {
    const home = tempHome();
    const err = await openHome({ home, env: testEnv() }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'NOT_FOUND')).toBe(true);
    expect(String((err as Error).message)).toContain('mcpmux init');
  });

  it('creates a 0700 home with a 0600 database and reopens it with the same key', async () => {
    const home = tempHome();
    const env = testEnv();
    const first = await openHome({ home, env, create: true });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(first.dbPath).mode & 0o777).toBe(0o600);
    await first.store.createSpace({ id: 'personal' });
    await first.vault.set({ spaceId: 'personal', serverId: 'gh' }, 'TOKEN', 'value-1');
    await first.close();
    const second = await openHome({ home, env });
    expect((await second.store.getActiveSpace())?.id).toBe('personal');
    expect(await second.vault.get({ spaceId: 'personal', serverId: 'gh' }, 'TOKEN')).toBe('value-1');
    await second.close();
  });

  it('fails closed with VAULT_LOCKED under another master key', async () => {
    const home = tempHome();
    const first = await openHome({ home, env: testEnv(), create: true });
    await first.close();
    const err = await openHome({ home, env: testEnv() }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'VAULT_LOCKED')).toBe(true);
  });

  it('removes a Space’s secrets in the same transaction that deletes the Space', async () => {
    const home = tempHome();
    const opened = await openHome({ home, env: testEnv(), create: true });
    await opened.store.createSpace({ id: 'personal' });
    await opened.store.createSpace({ id: 'work' });
    await opened.vault.set({ spaceId: 'work', serverId: 'gh' }, 'TOKEN', 'secret-value');
    await opened.store.deleteSpace('work');
    expect(await opened.vault.list({ spaceId: 'work' })).toEqual([]);
    await opened.close();
  });
});
