import { describe, expect, it } from 'vitest';
import { gatewayEnv } from './env.js';

describe('gatewayEnv', () => {
  it('withholds the master key, the team database URL and the PostgreSQL password from ${env:} references', () => {
    const env = gatewayEnv({
      MCPMUX_MASTER_KEY: 'k',
      MCPMUX_DATABASE_URL: 'postgres://mcpmux:pw@db/mcpmux',
      PGPASSWORD: 'pw',
      GITHUB_TOKEN: 'ghp',
    });
    expect(env).toEqual({ GITHUB_TOKEN: 'ghp' });
  });
});
