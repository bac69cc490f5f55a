import { SlugSchema } from '@mcpmux/core';
import { z } from 'zod';
import { AuditEventInputSchema, DiscoveredFeatureSchema } from '../../types.js';

// Input schemas of the store's method arguments that are not entities of types.ts.

/** A Space, server or client id. */
export const IdSchema = SlugSchema;

/** A FeatureSet id: `all`, `default`, `server-all:<server>` or a custom slug. */
export const SetIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(
    /^(all|default|server-all:[a-z0-9][a-z0-9-]*|[a-z0-9][a-z0-9-]*)$/,
    'use `all`, `default`, `server-all:<server>` or a slug',
  );

/** A boolean argument (`setEnabled`). */
export const BoolSchema = z.boolean();

/** The features of one `replaceDiscovered` call. */
export const FeaturesSchema = z.array(DiscoveredFeatureSchema).max(100_000, 'at most 100000 features');

/** The events of one `appendAudit` call. */
export const AuditEventsSchema = z.array(AuditEventInputSchema);

/** The id of the `server-all` set of a server. */
export function serverAllSetId(serverId: string): string {
  return `server-all:${serverId}`;
}
