import { createCipheriv, createDecipheriv, createHmac, type KeyObject } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';

/** AES-256-GCM with a 96-bit IV and a 128-bit tag. */
const ALGORITHM = 'aes-256-gcm';
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const KEY_LENGTH = 32;

/** One sealed value: IV, ciphertext and authentication tag, kept apart so each can be stored and checked. */
export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Additional authenticated data: an unambiguous encoding (JSON array) of what a record is bound to. */
export function aad(parts: readonly (string | number)[]): Buffer {
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

/** Encrypts `plaintext` under `key` with a fresh random IV from `random`. */
export function seal(
  key: KeyObject | Buffer,
  plaintext: Buffer,
  additionalData: Buffer,
  random: (n: number) => Uint8Array,
): Sealed {
  const iv = Buffer.from(random(IV_LENGTH));
  if (iv.length !== IV_LENGTH) throw new McpmuxError('INTERNAL', 'The random source returned too few bytes.');
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(additionalData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Decrypts and authenticates `sealed`, or returns `undefined` when the IV, ciphertext, tag, key or
 * additional data do not match (never a partial plaintext).
 */
export function open(key: KeyObject | Buffer, sealed: Sealed, additionalData: Buffer): Buffer | undefined {
  if (sealed.iv.length !== IV_LENGTH || sealed.tag.length !== TAG_LENGTH) return undefined;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(additionalData);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * The public id of a master key: 16 hex characters of HMAC-SHA-256 keyed by the key over a fixed
 * label. It identifies the key without revealing anything about it.
 */
export function masterKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('mcpmux-vault master key id v1').digest('hex').slice(0, 16);
}

/** Throws unless `key` is exactly 32 bytes. */
export function assertKeyLength(key: Buffer, source: string): void {
  if (key.length !== KEY_LENGTH) {
    throw new McpmuxError(
      'VAULT_LOCKED',
      `The master key from ${source} is not 32 bytes; nothing was decrypted.`,
    );
  }
}
