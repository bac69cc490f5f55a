import { KIND_ORDER } from './internal/kinds.js';
import type { FeatureRef } from './schemas.js';

/**
 * The sort order of {@link Resolution.allowed}: kind (`tool`, `prompt`, `resource`), then server,
 * then name, comparing strings with `<` (UTF-16 code units; never `localeCompare`). Annotations are
 * ignored, so two refs that compare equal name the same feature.
 *
 * @param a - first feature
 * @param b - second feature
 * @returns a negative number, zero or a positive number, as `Array.prototype.sort` expects
 * @example
 * ```ts
 * features.sort(compareFeatures);
 * ```
 */
export function compareFeatures(a: FeatureRef, b: FeatureRef): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (a.server !== b.server) return a.server < b.server ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

/**
 * The string key that identifies a feature: `KIND:SERVER/NAME` (the CLI selector syntax). Any `%`
 * or `/` inside `server` is percent-encoded (`%25`, `%2F`) so that different refs never share a key;
 * server ids in practice are slugs and stay readable. Annotations are not part of the key.
 *
 * @param ref - the feature (extra fields are ignored)
 * @returns the key, e.g. `tool:github/create_issue`
 * @example
 * ```ts
 * featureKey({ kind: 'resource', server: 'fs', name: 'file:///tmp/a.txt' }); // 'resource:fs/file:///tmp/a.txt'
 * ```
 */
export function featureKey(ref: FeatureRef): string {
  const server =
    ref.server.includes('/') || ref.server.includes('%')
      ? ref.server.replaceAll('%', '%25').replaceAll('/', '%2F')
      : ref.server;
  return `${ref.kind}:${server}/${ref.name}`;
}
