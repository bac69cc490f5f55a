import { CHANGE_KINDS } from '../../change-kinds.js';
import type { ChangeKind, StoreChange } from '../../types.js';
import type { ChangeRow } from '../repo.js';
import { opt } from '../util.js';

/** How many change rows are kept for watchers to catch up; older ones are pruned. */
export const CHANGE_ROWS_KEPT = 2_000;
/** Pruning runs once per this many recorded changes of one store. */
export const PRUNE_EVERY = 256;

/** The change kinds that invalidate the parsed sets / catalog of a Space (with Space deletion). */
export const SETS_KEY_KINDS: readonly ChangeKind[] = ['featureset', 'space'];
/** See {@link SETS_KEY_KINDS}. */
export const CATALOG_KEY_KINDS: readonly ChangeKind[] = ['discovered', 'space'];

/**
 * What a watcher is told about the change rows past its `cursor` (`rows` non-empty, ordered by id).
 * When the first row is not `cursor + 1`, rows were pruned before the watcher read them: every
 * kind and every Space may have changed. Pure.
 */
export function summarizeChanges(rows: readonly ChangeRow[], cursor: number): StoreChange {
  const behind = rows[0]!.id > cursor + 1;
  const revision = rows[rows.length - 1]!.id;
  const kinds = new Set<ChangeKind>(behind ? CHANGE_KINDS : rows.map((r) => r.kind));
  const spaceIds =
    !behind && rows.every((r) => r.spaceId !== null) ? [...new Set(rows.map((r) => r.spaceId!))] : undefined;
  return { revision, kinds, ...opt('spaceIds', spaceIds) };
}
