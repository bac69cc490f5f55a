import { McpmuxError } from '@mcpmux/core';
import type { ServerTransport } from '../../types.js';
import { nodeCrypto } from '../node-crypto.js';
import { stableStringify } from '../util.js';

/** Every access key starts with this. */
export const KEY_PREFIX = 'mcpmux_';
/** An access key's length: the prefix and 43 base64url characters (32 random bytes). */
export const KEY_LENGTH = KEY_PREFIX.length + 43;
/** How many leading characters of a key are kept for display. */
export const KEY_DISPLAY_PREFIX = 12;
/** `lastUsedAt` of a key is recorded at most this often. */
export const LAST_USED_GRANULARITY_MS = 60_000;

/** SHA-256 hex of a string. */
export function sha256Hex(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

/** Compares two SHA-256 hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && nodeCrypto().timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/**
 * `prefix` followed by 32 random bytes in base64url.
 * @throws `INTERNAL` when the random source returns another number of bytes.
 */
export function randomSecret(prefix: string, random: (n: number) => Uint8Array): string {
  const bytes = random(32);
  if (bytes.length !== 32)
    throw new McpmuxError('INTERNAL', 'The random source returned the wrong number of bytes.');
  return `${prefix}${Buffer.from(bytes).toString('base64url')}`;
}

/** True when `value` has the shape of an access key (not necessarily a valid one). */
export function looksLikeAccessKey(value: unknown): value is string {
  return typeof value === 'string' && value.length === KEY_LENGTH && value.startsWith(KEY_PREFIX);
}

/** The hash identifying a merged, unresolved server config. */
export function configHash(transport: ServerTransport, timeoutSeconds: number | undefined): string {
  return sha256Hex(stableStringify({ transport, timeoutSeconds }));
}
