// How deeply JSON text nests, found by one linear scan over its bytes before anything parses it.
// JSON's structural characters are ASCII, and UTF-8 never uses a byte below 0x80 inside a
// multi-byte character, so scanning bytes is exact for UTF-8 text.

/** The default nesting limit for client messages: 64 levels of arrays and objects. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The deepest nesting of arrays and objects in UTF-8 JSON text: `1` is 0, `[]` and `{}` are 1,
 * `[{"a":[]}]` is 3. Brackets inside strings (escapes included) do not count. The scan stops as
 * soon as the depth passes `stopAbove` and returns that depth, so `1,000,000` nested arrays cost
 * `stopAbove + 1` steps. For text that is not valid JSON the result is a bound the parser will
 * reject anyway: it never throws and never recurses.
 *
 * @param bytes - the text, UTF-8 encoded (a BOM is fine).
 * @param stopAbove - stop once the depth exceeds this. Default: scan everything.
 * @returns the maximum depth, or `stopAbove + 1` when the text nests deeper than `stopAbove`.
 * @example
 * ```ts
 * jsonDepth(Buffer.from('{"a":["[[["]}')); // 2
 * ```
 */
export function jsonDepth(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      // Skip the string: a backslash escapes the next byte (\" and \\ included); `\uXXXX` holds
      // no quote or backslash, so skipping one byte is enough for it too.
      for (i++; i < n; i++) {
        const c = bytes[i] as number;
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) break;
      }
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if ((b === CLOSE_ARRAY || b === CLOSE_OBJECT) && depth > 0) {
      depth--;
    }
  }
  return max;
}

/**
 * True when UTF-8 JSON text nests arrays and objects deeper than `maxDepth` (see {@link jsonDepth}).
 *
 * @param bytes - the text, UTF-8 encoded.
 * @param maxDepth - the deepest nesting allowed, e.g. {@link DEFAULT_MAX_JSON_DEPTH}.
 * @example
 * ```ts
 * exceedsJsonDepth(Buffer.from('[[1]]'), 1); // true
 * ```
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  return jsonDepth(bytes, maxDepth) > maxDepth;
}

/** The error message for a message nested deeper than `maxDepth`: what happened and what to do. */
export function tooDeepMessage(maxDepth: number): string {
  return `Invalid request: JSON nested deeper than ${maxDepth} levels (the gateway's limit). Send flatter arguments.`;
}
