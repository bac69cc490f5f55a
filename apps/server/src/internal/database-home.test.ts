import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { databaseKeyProvider, parseDatabaseUrl, redactDatabaseUrl } from './database-home.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('team database URLs', () => {
  it('redacts the password and drops the query', () => {
    expect(redactDatabaseUrl('postgres://mcpmux:hunter2@db.internal:5432/team?sslmode=require')).toBe(
      'postgres://mcpmux:***@db.internal:5432/team',
    );
    expect(redactDatabaseUrl('postgres://mcpmux@db/team')).toBe('postgres://mcpmux@db/team');
    expect(redactDatabaseUrl('not a url')).not.toContain('not a url');
  });

  it('accepts postgres:// and postgresql:// URLs and refuses the rest without echoing a password', () => {
    expect(parseDatabaseUrl('postgresql://db/team')).toBe('postgresql://db/team');
    for (const bad of ['mysql://u:hunter2@db/x', '/var/lib/mcpmux.db', 'postgres:///team']) {
      let thrown: unknown;
      try {
        parseDatabaseUrl(bad);
      } catch (err) {
        thrown = err;
      }
      expect(isMcpmuxError(thrown, 'INVALID_INPUT')).toBe(true);
      expect((thrown as Error).message).toContain('--database');
      expect((thrown as Error).message).not.toContain('hunter2');
    }
  });
});

describe('databaseKeyProvider', () => {
  it('takes --master-key-file first, then MCPMUX_MASTER_KEY, then MCPMUX_MASTER_KEY_FILE', () => {
    const env = { MCPMUX_MASTER_KEY: KEY, MCPMUX_MASTER_KEY_FILE: '/etc/mcpmux/env.key' };
    expect(databaseKeyProvider(env, '/etc/mcpmux/flag.key').id).toBe('keyfile:/etc/mcpmux/flag.key');
    expect(databaseKeyProvider(env, undefined).kind).toBe('env');
    expect(databaseKeyProvider({ MCPMUX_MASTER_KEY_FILE: '/etc/mcpmux/env.key' }, undefined).id).toBe(
      'keyfile:/etc/mcpmux/env.key',
    );
  });

  it('never falls back to the keychain: without a key it says how to give one', () => {
    let thrown: unknown;
    try {
      databaseKeyProvider({ MCPMUX_MASTER_KEY: '' }, undefined);
    } catch (err) {
      thrown = err;
    }
    expect(isMcpmuxError(thrown, 'VAULT_LOCKED')).toBe(true);
    expect((thrown as Error).message).toContain('MCPMUX_MASTER_KEY');
    expect((thrown as Error).message).toContain('--master-key-file');
    expect((thrown as Error).message).toContain('keychain is not used');
  });
});
