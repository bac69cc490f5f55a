import type { z } from 'zod';
import type { DiscoveredFeature, DiscoveredFeatureSchema, DiscoveryDiff } from '../../types.js';
import { invalid } from '../errors.js';
import type { DiscoveredState, DiscoveredWrites } from '../repo.js';
import { parseInput } from '../validation.js';

/** A discovered feature after parsing. */
export type ParsedFeature = z.infer<typeof DiscoveredFeatureSchema>;

/**
 * Parses the features discovered on server `serverId`, keyed by kind and name (a later duplicate
 * wins).
 * @throws `INVALID_INPUT` for a bad feature or one of another server (`<field>.<i>.server`).
 */
export async function parseDiscovered(
  serverId: string,
  features: DiscoveredFeature[],
  field: string,
): Promise<Map<string, ParsedFeature>> {
  const list = await parseInput('FeaturesSchema', features, field);
  list.forEach((f, i) => {
    if (f.server !== serverId)
      throw invalid(`${field}.${i}.server`, `must be "${serverId}" (the server being discovered)`);
  });
  return new Map(list.map((f) => [`${f.kind}\0${f.name}`, f]));
}

/**
 * Plans how the cached features of one (Space, server) follow a discovery: stored rows keep their
 * identity and are updated, new ones are inserted, missing ones become unavailable. Pure.
 *
 * The diff counts a feature `added` when new or available again, `removed` when it became
 * unavailable, `changed` when its hash, description or annotations differ.
 */
export function planDiscovery(
  current: readonly DiscoveredState[],
  incoming: ReadonlyMap<string, ParsedFeature>,
): { writes: DiscoveredWrites; diff: DiscoveryDiff } {
  const diff = { added: 0, removed: 0, changed: 0 };
  const writes: DiscoveredWrites = { markUnavailable: [], update: [], insert: [] };
  const seen = new Set<string>();
  for (const row of current) {
    const key = `${row.kind}\0${row.name}`;
    const f = incoming.get(key);
    if (f === undefined) {
      if (row.available) {
        writes.markUnavailable.push(row.id);
        diff.removed++;
      }
      continue;
    }
    seen.add(key);
    const annotations = f.annotations === undefined ? null : JSON.stringify(f.annotations);
    if (!row.available) diff.added++;
    else if (
      row.definitionHash !== f.definitionHash ||
      row.description !== (f.description ?? null) ||
      row.annotations !== annotations
    ) {
      diff.changed++;
    }
    writes.update.push({ id: row.id, feature: f });
  }
  for (const [key, f] of incoming) {
    if (seen.has(key)) continue;
    writes.insert.push(f);
    diff.added++;
  }
  return { writes, diff };
}
