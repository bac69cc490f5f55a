import { describe, expect, it } from 'vitest';
import { randomEnvProvider, thrown } from '../test/helpers.js';
import {
  deleteUpstreamOAuth,
  readUpstreamOAuth,
  UPSTREAM_OAUTH_SECRET,
  type UpstreamOAuthRecord,
  writeUpstreamOAuth,
} from './oauth.js';
import { openSqliteVault } from './sqlite.js';

const scope = { spaceId: 'work', serverId: 'linear' } as const;
const record: UpstreamOAuthRecord = {
  v: 1,
  loginId: 'login-1',
  serverUrl: 'https://mcp.example.com/mcp',
  tokens: { access_token: 'at_example', refresh_token: 'rt_example', expires_in: 3600 },
  expiresAt: 1_800_000_000_000,
  signedInAt: 1_799_996_400_000,
};

// The record's zod schema is loaded when a sign-in is read or written (`@mcpmux/vault/schemas`).
describe('upstream OAuth records', () => {
  it('stores a sign-in, reads it back and deletes it', async () => {
    const vault = await openSqliteVault({ path: ':memory:', keyProvider: randomEnvProvider() });
    expect(await readUpstreamOAuth(vault, scope)).toBeUndefined();
    await writeUpstreamOAuth(vault, scope, record);
    expect(await readUpstreamOAuth(vault, scope)).toEqual(record);
    expect(await deleteUpstreamOAuth(vault, scope)).toBe(true);
    expect(await readUpstreamOAuth(vault, scope)).toBeUndefined();
    await vault.close();
  });

  it('refuses to write a malformed record and says how to fix an unreadable one', async () => {
    const vault = await openSqliteVault({ path: ':memory:', keyProvider: randomEnvProvider() });
    const malformed = { ...record, serverUrl: 'not a url' };
    await expect(writeUpstreamOAuth(vault, scope, malformed)).rejects.toThrow(/serverUrl/);
    expect(await vault.has(scope, UPSTREAM_OAUTH_SECRET)).toBe(false);
    await vault.set(scope, UPSTREAM_OAUTH_SECRET, JSON.stringify({ ...record, v: 2 }));
    const err = await thrown(() => readUpstreamOAuth(vault, scope));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('`mcpmux logout linear`, then `mcpmux login linear`');
    await vault.close();
  });
});
