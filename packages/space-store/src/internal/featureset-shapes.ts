import { z } from 'zod';

// The `@mcpmux/featuresets` shapes of DESIGN.md §3.1, used to validate FeatureSets before they are
// persisted. Kept structurally identical to that package's types.

export const FeatureKindSchema = z.enum(['tool', 'prompt', 'resource']);

export const FeatureAnnotationsSchema = z.object({
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

export const FeatureRefSchema = z.object({
  kind: FeatureKindSchema,
  server: z.string().min(1, 'must not be empty'),
  name: z.string().min(1, 'must not be empty'),
});

export const FeatureSchema = FeatureRefSchema.extend({
  annotations: FeatureAnnotationsSchema.optional(),
});

export const SelectorSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('feature'),
    kind: FeatureKindSchema,
    server: z.string().min(1, 'must not be empty'),
    name: z.string().min(1, 'must not be empty'),
  }),
  z.object({
    type: z.literal('server'),
    server: z.string().min(1, 'must not be empty'),
    kind: FeatureKindSchema.optional(),
  }),
  z.object({ type: z.literal('featureSet'), id: z.string().min(1, 'must not be empty') }),
  z.object({
    type: z.literal('annotation'),
    readOnly: z.boolean().optional(),
    destructive: z.boolean().optional(),
  }),
]);

export const MemberSchema = z.object({
  mode: z.enum(['include', 'exclude']),
  selector: SelectorSchema,
});

export const FeatureSetKindSchema = z.enum(['all', 'default', 'server-all', 'custom']);

export const FeatureSetSchema = z.object({
  id: z.string().min(1, 'must not be empty'),
  name: z.string(),
  description: z.string().optional(),
  kind: FeatureSetKindSchema,
  server: z.string().optional(),
  members: z.array(MemberSchema),
});
