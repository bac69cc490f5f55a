import { compareFeatures, featureKey } from './feature-key.js';
import { Fnv1a64 } from './internal/fnv.js';
import type { Resolution } from './resolve.js';
import type { Feature } from './schemas.js';

/** What changed between two resolutions. Both lists are sorted like `Resolution.allowed`. */
export interface ResolutionDiff {
  /** In `b`, not in `a`. */
  added: Feature[];
  /** In `a`, not in `b`. */
  removed: Feature[];
}

function sortedFeatures(value: Resolution | readonly Feature[]): readonly Feature[] {
  if (!Array.isArray(value)) return (value as Resolution).allowed;
  const sorted = [...(value as readonly Feature[])].sort(compareFeatures);
  return sorted.filter((f, i) => i === 0 || compareFeatures(sorted[i - 1]!, f) !== 0);
}

/**
 * Compares two resolutions (or two feature lists) by ref (kind, server, name); annotations are
 * ignored. Runs in linear time over two sorted lists (plain lists are sorted and de-duplicated first).
 *
 * @param a - the before state
 * @param b - the after state
 * @returns `{ added, removed }`, each sorted like `allowed`; features are taken from `b` (added) and
 *   `a` (removed)
 * @example
 * ```ts
 * const { added, removed } = diffResolutions(before, after);
 * if (added.length + removed.length > 0) notifyListChanged();
 * ```
 */
export function diffResolutions(
  a: Resolution | readonly Feature[],
  b: Resolution | readonly Feature[],
): ResolutionDiff {
  const left = sortedFeatures(a);
  const right = sortedFeatures(b);
  const added: Feature[] = [];
  const removed: Feature[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const c = compareFeatures(left[i]!, right[j]!);
    if (c === 0) {
      i++;
      j++;
    } else if (c < 0) {
      removed.push(left[i++]!);
    } else {
      added.push(right[j++]!);
    }
  }
  while (i < left.length) removed.push(left[i++]!);
  while (j < right.length) added.push(right[j++]!);
  return { added, removed };
}

/**
 * A cheap, stable fingerprint of a set of features: FNV-1a 64 (16 hex digits) over the sorted,
 * de-duplicated {@link featureKey}s, each followed by a NUL. Equal sets of refs give equal strings
 * whatever their order or annotations, in any process; use it to skip `list_changed` notifications
 * when nothing changed. Not a cryptographic hash.
 *
 * @param value - a {@link Resolution} (its `allowed`) or a feature list
 * @returns 16 lowercase hex digits
 * @example
 * ```ts
 * if (fingerprint(next) !== lastFingerprint) sendListChanged();
 * ```
 */
export function fingerprint(value: Resolution | readonly Feature[]): string {
  const hash = new Fnv1a64();
  for (const feature of sortedFeatures(value)) hash.update(featureKey(feature)).update('\0');
  return hash.digest();
}
