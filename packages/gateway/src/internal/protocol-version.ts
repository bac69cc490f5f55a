/**
 * True for a protocol revision of the per-request era (2026-07-28 or later; revisions are dates):
 * no handshake, no session, no server-to-client requests during a call.
 *
 * @param version - a revision such as `2025-11-25` or `2026-07-28` (anything else is false).
 * @example
 * ```ts
 * isModernProtocolVersion('2026-07-28'); // true
 * isModernProtocolVersion('2025-11-25'); // false
 * ```
 */
export function isModernProtocolVersion(version: string | undefined): boolean {
  return version !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= '2026-07-28';
}
