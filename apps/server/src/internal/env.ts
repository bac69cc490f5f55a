import { MASTER_KEY_ENV } from '@mcpmux/vault';

/**
 * The environment the gateway may resolve `${env:NAME}` from: the process environment without the
 * vault's master key, so no server configuration can ask for it.
 */
export function gatewayEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  delete out[MASTER_KEY_ENV];
  return out;
}
