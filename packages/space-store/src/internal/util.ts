import { createHash } from 'node:crypto';
import { ALIAS_MAX_LENGTH } from '@mcpmux/core';
import type { InstallationOverrides, InstallationOverridesPatch, ServerTransport } from '../types.js';

/** The default alias of a server: its id truncated to 24 characters. */
export function defaultAlias(serverId: string): string {
  return serverId.slice(0, ALIAS_MAX_LENGTH);
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 hex of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The definition's transport with a Space's overrides applied (templates untouched). */
export function mergeTransport(
  transport: ServerTransport,
  overrides: InstallationOverrides,
): ServerTransport {
  if (transport.type === 'stdio') {
    return {
      ...transport,
      args: overrides.args ?? transport.args,
      env: { ...transport.env, ...overrides.env },
    };
  }
  return { ...transport, headers: { ...transport.headers, ...overrides.headers } };
}

/** A templated map with a patch merged in: a string sets a key, `null` removes it. */
function patchMap(
  current: Record<string, string> | undefined,
  patch: Record<string, string | null> | null | undefined,
): Record<string, string> | undefined {
  if (patch === undefined) return current;
  if (patch === null) return undefined;
  const out = new Map(Object.entries(current ?? {}));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, v);
  }
  return out.size === 0 ? undefined : Object.fromEntries(out);
}

/**
 * An installation's overrides with a patch applied (see `InstallationOverridesPatchSchema`): `env`
 * and `headers` merged key by key (`null` removes a key, or the whole map), `args` and
 * `timeoutSeconds` replaced (`null` removes them). Empty maps are dropped. Pure.
 */
export function applyOverridesPatch(
  current: InstallationOverrides,
  patch: InstallationOverridesPatch,
): InstallationOverrides {
  const args = patch.args === undefined ? current.args : (patch.args ?? undefined);
  const timeoutSeconds =
    patch.timeoutSeconds === undefined ? current.timeoutSeconds : (patch.timeoutSeconds ?? undefined);
  return {
    ...opt('args', args),
    ...opt('env', patchMap(current.env, patch.env)),
    ...opt('headers', patchMap(current.headers, patch.headers)),
    ...opt('timeoutSeconds', timeoutSeconds),
  };
}

/** The hash identifying a merged, unresolved server config. */
export function configHash(transport: ServerTransport, timeoutSeconds: number | undefined): string {
  return sha256Hex(stableStringify({ transport, timeoutSeconds }));
}

/** Copies `value` under `key` only when it is neither null nor undefined (for exact optional types). */
export function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** True when a value carries a `${secret:...}` or `${env:...}` reference. */
export function isReference(value: string): boolean {
  return /\$\{(secret|env):[^}]+\}/.test(value);
}
