/** A compiled glob: `test(s)` is true when the whole of `s` matches. */
export interface Glob {
  /** The pattern as written. */
  readonly pattern: string;
  /** True when the pattern has no `*` or `?` (then it matches only itself). */
  readonly literal: boolean;
  /** True when the pattern matches every string (`*`, `**`, ...). */
  readonly any: boolean;
  test(value: string): boolean;
}

const cache = new Map<string, Glob>();
const CACHE_LIMIT = 4096;

/** True when `pattern` holds a glob character (`*` or `?`). */
export function hasGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** The characters before the first `*` or `?` (the whole pattern when it has none). */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  const question = pattern.indexOf('?');
  const end = star < 0 ? question : question < 0 ? star : Math.min(star, question);
  return end < 0 ? pattern : pattern.slice(0, end);
}

/**
 * A matcher for a glob made of literal segments and `*` only: prefix, suffix, then the middle
 * segments leftmost-first in between (greedy leftmost placement is exact for `*`-only globs).
 */
function starMatcher(pattern: string): (value: string) => boolean {
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const minLength = parts.reduce((n, part) => n + part.length, 0);
  if (middle.length === 0) {
    // `P*S` (also `P*`, `*S`)
    if (last === '') return (value) => value.startsWith(first);
    if (first === '') return (value) => value.length >= minLength && value.endsWith(last);
    return (value) => value.length >= minLength && value.startsWith(first) && value.endsWith(last);
  }
  if (middle.length === 1 && first === '' && last === '') {
    // `*X*`
    const part = middle[0]!;
    return (value) => value.includes(part);
  }
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let position = first.length;
    const end = value.length - last.length;
    for (const part of middle) {
      const at = value.indexOf(part, position);
      if (at < 0 || at + part.length > end) return false;
      position = at + part.length;
    }
    return true;
  };
}

/**
 * Compiles a glob once (cached, bounded): `*` matches any run of characters (also empty), `?`
 * exactly one character (one code point); everything else is literal; whole string; case-sensitive.
 */
export function compileGlob(pattern: string): Glob {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let glob: Glob;
  if (!hasGlob(pattern)) {
    glob = { pattern, literal: true, any: false, test: (value) => value === pattern };
  } else if (/^\*+$/.test(pattern)) {
    glob = { pattern, literal: false, any: true, test: () => true };
  } else if (!pattern.includes('?')) {
    glob = { pattern, literal: false, any: false, test: starMatcher(pattern) };
  } else {
    let source = '^';
    let previous = '';
    for (const ch of pattern) {
      if (ch === '*') {
        if (previous !== '*') source += '[\\s\\S]*';
      } else if (ch === '?') source += '.';
      else source += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
      previous = ch;
    }
    const re = new RegExp(`${source}$`, 'su');
    const prefix = literalPrefix(pattern);
    glob = {
      pattern,
      literal: false,
      any: false,
      // The literal prefix rules most values out without running the regular expression.
      test: prefix === '' ? (value) => re.test(value) : (value) => value.startsWith(prefix) && re.test(value),
    };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, glob);
  return glob;
}
