import { createRequire } from 'node:module';

/** The longest exposed tool or prompt name (DESIGN §6). */
export const MAX_EXPOSED_NAME_LENGTH = 64;

const HASH_CHARS = 6;
const KEEP_CHARS = MAX_EXPOSED_NAME_LENGTH - HASH_CHARS - 1;

/**
 * The name under which the gateway exposes an upstream tool or prompt (DESIGN §6, normative).
 *
 * `<alias>_<name>` when `prefix` is true, else `name` unchanged. A result longer than 64 characters
 * becomes its first 57 characters, a `-` and the first 6 hex digits of the SHA-256 of the full
 * (unshortened) exposed name, so it is exactly 64 characters long and the same on every run.
 *
 * @param alias - the installation's alias in its Space (`[a-z0-9-]`, at most 24 characters).
 * @param name - the tool or prompt name as the upstream server lists it.
 * @param prefix - false only for an installation that opted out of prefixing and is alone in its Space.
 * @returns the exposed name, at most 64 characters.
 * @example
 * ```ts
 * exposedName('github', 'create_issue', true); // 'github_create_issue'
 * exposedName('fs', 'read_file', false);        // 'read_file'
 * exposedName('a', 'x'.repeat(80), true).length; // 64
 * ```
 */
export function exposedName(alias: string, name: string, prefix: boolean): string {
  const full = prefix ? `${alias}_${name}` : name;
  if (full.length <= MAX_EXPOSED_NAME_LENGTH) return full;
  // node:crypto only for a name this long (loading it costs ~5 ms of a CLI command that lists tools).
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256').update(full, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${full.slice(0, KEEP_CHARS)}-${hash}`;
}
