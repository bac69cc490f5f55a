import { createHash } from 'node:crypto';
import type { DiscoveredFeature } from '@mcpmux/space-store';
import type { UpstreamCatalog } from './upstream/types.js';
import { catalogFeatures } from './view.js';

function hashOf(definition: unknown): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
}

/**
 * The store's discovered-feature records for one upstream catalog (tools, prompts, resources and
 * resource templates, the latter named by their URI template), each with a hash of its definition.
 */
export function catalogToDiscovered(serverId: string, catalog: UpstreamCatalog): DiscoveredFeature[] {
  const features = catalogFeatures(serverId, catalog);
  const definitions: Record<string, unknown>[] = [
    ...catalog.tools,
    ...catalog.prompts,
    ...catalog.resources,
    ...catalog.resourceTemplates,
  ];
  return features.map((feature, i) => {
    const definition = definitions[i] as Record<string, unknown>;
    const description = typeof definition.description === 'string' ? definition.description : undefined;
    const out: DiscoveredFeature = { ...feature, definitionHash: hashOf(definition), definition };
    if (description !== undefined) out.description = description;
    return out;
  });
}
