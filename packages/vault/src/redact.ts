/** The text that replaces a secret value in redacted output. */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted: they would match innocent text everywhere. */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Makes a function that replaces every occurrence of each value (at least 4 characters) in a string
 * with `[REDACTED]`, longest values first, so a value containing another is hidden whole.
 *
 * @param values - Secret values, e.g. `secretValues` from `resolveServerConfig`; duplicates are ignored.
 * @returns `(text) => redactedText`; the identity when no value is long enough.
 * @example
 * ```ts
 * const redact = createRedactor(secretValues);
 * logger.warn(redact(childStderrLine));
 * ```
 */
export function createRedactor(values: readonly string[]): (text: string) => string {
  const unique = [...new Set(values)].filter((v) => typeof v === 'string' && v.length >= MIN_REDACTED_LENGTH);
  if (unique.length === 0) return (text) => text;
  unique.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(unique.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}
