import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openHome, openHomeStore } from './home-entry.js';

const keyEnv = (key: Buffer) => ({ MCPMUX_MASTER_KEY: key.toString('base64') });

describe('openHomeStore', () => {
  const dirs: string[] = [];
  const tempHome = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpmux-home-store-test-'));
    dirs.push(dir);
    return join(dir, 'home');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing home with NOT_FOUND naming mcpmux init', async () => {
    const err = await openHomeStore({ home: tempHome(), env: {} }).catch((e: unknown) => e);
    expect(isMcpmuxError(err, 'NOT_FOUND')).toBe(true);
    expect(String((err as Error).message)).toContain('mcpmux init');
  });

  it('creates a 0700 home with a 0600 database', async () => {
    const home = tempHome();
    const opened = await openHomeStore({ home, env: {}, create: true });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(opened.dbPath).mode & 0o777).toBe(0o600);
    await opened.close();
  });

  it('reads and writes the store without the vault key, which openHome needs', async () => {
    const home = tempHome();
    const created = await openHome({ home, env: keyEnv(Buffer.alloc(32, 1)), create: true });
    await created.store.createSpace({ id: 'personal' });
    await created.close();
    // Another key (or none): the vault stays locked, and the store opens all the same.
    const wrong = keyEnv(Buffer.alloc(32, 2));
    const locked = await openHome({ home, env: wrong }).catch((e: unknown) => e);
    expect(isMcpmuxError(locked, 'VAULT_LOCKED')).toBe(true);
    const opened = await openHomeStore({ home, env: wrong });
    expect((await opened.store.listSpaces()).map((s) => s.id)).toEqual(['personal']);
    await opened.store.createSpace({ id: 'work' });
    expect(opened.dbPath).toBe(join(home, 'mcpmux.db'));
    await opened.close();
    await opened.close();
    const again = await openHome({ home, env: keyEnv(Buffer.alloc(32, 1)) });
    expect((await again.store.listSpaces()).map((s) => s.id).sort()).toEqual(['personal', 'work']);
    await again.close();
  });
});
