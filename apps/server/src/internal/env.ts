import { MASTER_KEY_ENV } from '@mcpmux/vault';
import { DATABASE_URL_ENV } from './database-home.js';

/**
 * Variables no server configuration may read through `${env:NAME}`: the vault's master key, and in
 * team mode the database URL and the PostgreSQL password (the `pg` driver reads `PGPASSWORD`).
 */
export const WITHHELD_ENV = [MASTER_KEY_ENV, DATABASE_URL_ENV, 'PGPASSWORD'] as const;

/**
 * The environment the gateway may resolve `${env:NAME}` from: the process environment without the
 * {@link WITHHELD_ENV} credentials, so no server configuration can ask for them.
 */
export function gatewayEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  for (const name of WITHHELD_ENV) delete out[name];
  return out;
}
