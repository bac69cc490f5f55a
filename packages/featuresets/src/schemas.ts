import { z } from 'zod';

/**
 * The three kinds of MCP feature a FeatureSet can grant: `'tool' | 'prompt' | 'resource'`.
 *
 * @example
 * ```ts
 * FeatureKindSchema.parse('tool'); // 'tool'
 * ```
 */
export const FeatureKindSchema = z.enum(['tool', 'prompt', 'resource']);

/** One of `'tool'`, `'prompt'`, `'resource'`. See {@link FeatureKindSchema}. */
export type FeatureKind = z.infer<typeof FeatureKindSchema>;

/**
 * A reference to one feature: its kind, the id of the server offering it and its name (for a
 * resource, the name is its URI). Unknown keys are stripped when parsing.
 *
 * @example
 * ```ts
 * FeatureRefSchema.parse({ kind: 'tool', server: 'github', name: 'create_issue' });
 * ```
 */
export const FeatureRefSchema = z.object({
  kind: FeatureKindSchema,
  server: z.string(),
  name: z.string(),
});

/** `{ kind, server, name }`; for a resource, `name` is the URI. See {@link FeatureRefSchema}. */
export type FeatureRef = z.infer<typeof FeatureRefSchema>;

/**
 * The MCP tool annotation hints the resolver reads (`readOnlyHint`, `destructiveHint`) and two it
 * carries along (`idempotentHint`, `openWorldHint`). Every field is optional; other keys are stripped.
 *
 * @example
 * ```ts
 * FeatureAnnotationsSchema.parse({ readOnlyHint: true }); // { readOnlyHint: true }
 * ```
 */
export const FeatureAnnotationsSchema = z.object({
  readOnlyHint: z.boolean().exactOptional(),
  destructiveHint: z.boolean().exactOptional(),
  idempotentHint: z.boolean().exactOptional(),
  openWorldHint: z.boolean().exactOptional(),
});

/** See {@link FeatureAnnotationsSchema}. */
export type FeatureAnnotations = z.infer<typeof FeatureAnnotationsSchema>;

/**
 * One feature of the catalog: a {@link FeatureRef} plus optional MCP annotations (tools only carry
 * meaningful hints; `annotation` selectors never match prompts or resources).
 *
 * @example
 * ```ts
 * FeatureSchema.parse({ kind: 'tool', server: 'github', name: 'get_issue', annotations: { readOnlyHint: true } });
 * ```
 */
export const FeatureSchema = FeatureRefSchema.extend({
  annotations: FeatureAnnotationsSchema.exactOptional(),
});

/** A {@link FeatureRef} with optional `annotations`. See {@link FeatureSchema}. */
export type Feature = z.infer<typeof FeatureSchema>;

/**
 * What a {@link Member} matches. Four shapes, told apart by `type`:
 *
 * - `{ type: 'feature', kind, server, name }`: one feature; `server` and `name` may hold `*` (any run,
 *   also empty) and `?` (exactly one character) globs, matched against the whole string, case-sensitively.
 *   `server` never contains `/` or `:`; `name` is non-empty.
 * - `{ type: 'server', server, kind? }`: every feature of the servers matching `server` (a glob),
 *   optionally of one kind only. Live: features a server gains later are covered.
 * - `{ type: 'featureSet', id }`: another FeatureSet.
 * - `{ type: 'annotation', readOnly?, destructive? }`: tools whose effective hints equal every given
 *   field (effective `readOnly` = `readOnlyHint ?? false`; effective `destructive` = `false` for
 *   read-only tools, else `destructiveHint ?? true`).
 *
 * @example
 * ```ts
 * SelectorSchema.parse({ type: 'feature', kind: 'tool', server: 'github', name: 'delete_*' });
 * ```
 */
export const SelectorSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('feature'),
    kind: FeatureKindSchema,
    server: z
      .string()
      .min(1, 'must not be empty')
      .regex(/^[^/:]*$/, 'must not contain "/" or ":"'),
    name: z.string().min(1, 'must not be empty'),
  }),
  z.object({
    type: z.literal('server'),
    server: z
      .string()
      .min(1, 'must not be empty')
      .regex(/^[^/:]*$/, 'must not contain "/" or ":"'),
    kind: FeatureKindSchema.exactOptional(),
  }),
  z.object({
    type: z.literal('featureSet'),
    id: z.string().min(1, 'must not be empty'),
  }),
  z.object({
    type: z.literal('annotation'),
    readOnly: z.boolean().exactOptional(),
    destructive: z.boolean().exactOptional(),
  }),
]);

/** One of the four selector shapes. See {@link SelectorSchema}. */
export type Selector = z.infer<typeof SelectorSchema>;

/**
 * Whether a {@link Member} adds to the include pool or the exclude pool.
 *
 * @example
 * ```ts
 * MemberModeSchema.parse('exclude');
 * ```
 */
export const MemberModeSchema = z.enum(['include', 'exclude']);

/** `'include' | 'exclude'`. See {@link MemberModeSchema}. */
export type MemberMode = z.infer<typeof MemberModeSchema>;

/**
 * One member of a FeatureSet: a mode and a selector.
 *
 * @example
 * ```ts
 * MemberSchema.parse({ mode: 'exclude', selector: { type: 'annotation', destructive: true } });
 * ```
 */
export const MemberSchema = z.object({
  mode: MemberModeSchema,
  selector: SelectorSchema,
});

/** `{ mode, selector }`. See {@link MemberSchema}. */
export type Member = z.infer<typeof MemberSchema>;

/**
 * The kinds of FeatureSet: `all` (the whole catalog), `default` (granted automatically to every
 * client of the Space), `server-all` (every feature of `server`) and `custom`.
 *
 * @example
 * ```ts
 * FeatureSetKindSchema.parse('server-all');
 * ```
 */
export const FeatureSetKindSchema = z.enum(['all', 'default', 'server-all', 'custom']);

/** See {@link FeatureSetKindSchema}. */
export type FeatureSetKind = z.infer<typeof FeatureSetKindSchema>;

/**
 * A FeatureSet: a named permission bundle. `members` are read for kinds `default` and `custom` and
 * ignored for `all` and `server-all`; `server` is required for `server-all` (checked by
 * {@link validateFeatureSets}, not by this schema, so a stored set can always be read back).
 *
 * @example
 * ```ts
 * FeatureSetSchema.parse({
 *   id: 'read-only', name: 'Read Only', kind: 'custom',
 *   members: [{ mode: 'include', selector: { type: 'annotation', readOnly: true } }],
 * });
 * ```
 */
export const FeatureSetSchema = z.object({
  id: z.string().min(1, 'must not be empty'),
  name: z.string(),
  description: z.string().exactOptional(),
  kind: FeatureSetKindSchema,
  server: z.string().min(1, 'must not be empty').exactOptional(),
  members: z.array(MemberSchema),
});

/** See {@link FeatureSetSchema}. */
export type FeatureSet = z.infer<typeof FeatureSetSchema>;

/**
 * Why a feature is or is not allowed, as printed by `mcpmux explain --json`.
 * `includedBy`/`excludedBy` hold trails of set ids from a granted (or auto-granted `default`) set down
 * to the set holding the matching member.
 *
 * @example
 * ```ts
 * ExplanationSchema.parse({ allowed: true, inCatalog: true, includedBy: [['dev', 'read-only']], excludedBy: [] });
 * ```
 */
export const ExplanationSchema = z.object({
  allowed: z.boolean(),
  inCatalog: z.boolean(),
  includedBy: z.array(z.array(z.string())),
  excludedBy: z.array(z.array(z.string())),
});

/** See {@link ExplanationSchema}. */
export type Explanation = z.infer<typeof ExplanationSchema>;

/**
 * The input of {@link resolve}: the Space's catalog, its FeatureSets and the ids granted to a client.
 *
 * @example
 * ```ts
 * const input = ResolveInputSchema.parse({ catalog: [], featureSets: [], grants: ['dev'] });
 * ```
 */
export const ResolveInputSchema = z.object({
  catalog: z.array(FeatureSchema),
  featureSets: z.array(FeatureSetSchema),
  grants: z.array(z.string()),
});

/** `{ catalog, featureSets, grants }`. See {@link ResolveInputSchema}. */
export type ResolveInput = z.infer<typeof ResolveInputSchema>;
