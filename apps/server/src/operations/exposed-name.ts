// The gateway's naming rule (DESIGN §6, normative), for the policy previews of short-lived commands
// (`mcpmux tools`, `explain`, the console's preview). The rule's owner is `exposedName` in
// `@mcpmux/gateway`, whose only entry loads the whole gateway and the MCP SDK (hundreds of
// milliseconds for a command that reads one table); `exposed-name.test.ts` checks that this copy
// gives the same names. Delete it for a light `@mcpmux/gateway` subpath once one exists.
import { createHash } from 'node:crypto';

const MAX_EXPOSED_NAME_LENGTH = 64;
const HASH_CHARS = 6;
const KEEP_CHARS = MAX_EXPOSED_NAME_LENGTH - HASH_CHARS - 1;

/**
 * The name under which the gateway exposes an upstream tool or prompt: `<alias>_<name>` when
 * `prefix` is true, else `name`; a result over 64 characters becomes its first 57 characters, `-`
 * and the first 6 hex digits of the SHA-256 of the full name. Same as `exposedName` of `@mcpmux/gateway`.
 *
 * @param alias - the installation's alias in its Space.
 * @param name - the tool or prompt name as the upstream server lists it.
 * @param prefix - false only for an installation that opted out of prefixing.
 * @returns the exposed name, at most 64 characters.
 * @example
 * ```ts
 * previewExposedName('github', 'create_issue', true); // 'github_create_issue'
 * ```
 */
export function previewExposedName(alias: string, name: string, prefix: boolean): string {
  const full = prefix ? `${alias}_${name}` : name;
  if (full.length <= MAX_EXPOSED_NAME_LENGTH) return full;
  const hash = createHash('sha256').update(full, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${full.slice(0, KEEP_CHARS)}-${hash}`;
}
