import { AliasSchema, SlugSchema } from '@mcpmux/core/schemas';
import { z } from 'zod';
import { CHANGE_KINDS } from './change-kinds.js';
import {
  type FeatureKindSchema,
  FeatureRefSchema,
  FeatureSchema,
  type FeatureSetSchema,
  MemberSchema,
} from './internal/featureset-shapes.js';

/** The kind of a feature an MCP server offers: `tool`, `prompt` or `resource`. */
export type FeatureKind = z.infer<typeof FeatureKindSchema>;
/** A reference to one feature: its kind, the SERVER ID (not the alias) and its name (a URI for resources). */
export type FeatureRef = z.infer<typeof FeatureRefSchema>;
/** A feature in a Space's catalog: a {@link FeatureRef} plus the tool annotations the server declared. */
export type Feature = z.infer<typeof FeatureSchema>;
/** A FeatureSet member (include or exclude a selector), as in `@mcpmux/featuresets`. */
export type Member = z.infer<typeof MemberSchema>;
/** A FeatureSet of one Space, as in `@mcpmux/featuresets` (ids: `all`, `default`, `server-all:<server>`, custom slugs). */
export type FeatureSet = z.infer<typeof FeatureSetSchema>;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const TemplatedMapSchema = z.record(
  z.string().min(1, 'names must not be empty'),
  z.string().max(8192, 'must be at most 8192 characters'),
);
/** A templated map in a patch: a `null` value removes the key. */
const NullableTemplatedMapSchema = z.record(
  z.string().min(1, 'names must not be empty'),
  z.string().max(8192, 'must be at most 8192 characters').nullable(),
);
const TimeoutSchema = z
  .number()
  .int('must be a whole number of seconds')
  .positive('must be positive')
  .max(86_400, 'must be at most 86400 seconds');

// ---------------------------------------------------------------------------------------------
// Spaces

/**
 * A Space: an isolated workspace with its own installations, FeatureSets and grants. Exactly one
 * Space is active at any time (once at least one exists).
 *
 * @example
 * ```ts
 * SpaceSchema.parse({ id: 'work', name: 'Work', active: true, createdAt: new Date(), updatedAt: new Date() });
 * ```
 */
export const SpaceSchema = z.object({
  /** Slug id, e.g. `work`. */
  id: SlugSchema,
  /** Display name; defaults to the id. */
  name: text(200),
  /** An optional icon (an emoji or a short name). */
  icon: text(64).optional(),
  description: text(2000).optional(),
  /** True for the one active Space. */
  active: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
/** See {@link SpaceSchema}. */
export type Space = z.infer<typeof SpaceSchema>;

/**
 * Input of `SpaceStore.createSpace`.
 *
 * @example
 * ```ts
 * SpaceInputSchema.parse({ id: 'work', name: 'Work', icon: '💼' });
 * ```
 */
export const SpaceInputSchema = z.object({
  id: SlugSchema,
  name: text(200).min(1, 'must not be empty').optional(),
  icon: text(64).optional(),
  description: text(2000).optional(),
});
/** See {@link SpaceInputSchema}. */
export type SpaceInput = z.input<typeof SpaceInputSchema>;

/**
 * Patch of `SpaceStore.updateSpace`: the fields to change.
 *
 * @example
 * ```ts
 * SpacePatchSchema.parse({ description: 'Client projects' });
 * ```
 */
export const SpacePatchSchema = SpaceInputSchema.omit({ id: true });
/** See {@link SpacePatchSchema}. */
export type SpacePatch = z.input<typeof SpacePatchSchema>;

// ---------------------------------------------------------------------------------------------
// Server definitions and installations

/**
 * How to reach a server over stdio: a child process. `args`, `env` and `cwd` may hold `${secret:NAME}` / `${env:NAME}`.
 *
 * @example
 * ```ts
 * StdioTransportSchema.parse({ type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] });
 * ```
 */
export const StdioTransportSchema = z.object({
  type: z.literal('stdio'),
  command: z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'),
  args: z.array(z.string().max(8192, 'must be at most 8192 characters')).default([]),
  env: TemplatedMapSchema.default({}),
  cwd: z.string().min(1, 'must not be empty').optional(),
});

const urlSchema = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .refine((u) => /^https?:\/\/[^\s]+$/i.test(u), 'must be an http:// or https:// URL');

/**
 * How to reach a server over Streamable HTTP. Header values may hold `${secret:NAME}` / `${env:NAME}`.
 *
 * @example
 * ```ts
 * HttpTransportSchema.parse({ type: 'http', url: 'https://mcp.example.com/mcp' });
 * ```
 */
export const HttpTransportSchema = z.object({
  type: z.literal('http'),
  url: urlSchema,
  headers: TemplatedMapSchema.default({}),
});

/**
 * How to reach a server over the legacy HTTP+SSE transport.
 *
 * @example
 * ```ts
 * SseTransportSchema.parse({ type: 'sse', url: 'http://127.0.0.1:3001/sse' });
 * ```
 */
export const SseTransportSchema = z.object({
  type: z.literal('sse'),
  url: urlSchema,
  headers: TemplatedMapSchema.default({}),
});

/**
 * A server's transport: `stdio`, `http` (Streamable HTTP) or `sse`.
 *
 * @example
 * ```ts
 * ServerTransportSchema.parse({ type: 'stdio', command: 'node', args: ['server.js'] }); // env: {} added
 * ```
 */
export const ServerTransportSchema = z.discriminatedUnion('type', [
  StdioTransportSchema,
  HttpTransportSchema,
  SseTransportSchema,
]);
/** See {@link ServerTransportSchema} (parsed: `args`, `env`, `headers` always present). */
export type ServerTransport = z.infer<typeof ServerTransportSchema>;
/** A transport as callers write it (`args`, `env`, `headers` optional). */
export type ServerTransportInput = z.input<typeof ServerTransportSchema>;

/**
 * An input a server declares (usually a credential the user must provide, e.g. `API_KEY`).
 *
 * @example
 * ```ts
 * ServerInputSchema.parse({ name: 'API_KEY', secret: true, required: true });
 * ```
 */
export const ServerInputSchema = z.object({
  name: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  description: text(2000).optional(),
  /** True when the value is a credential: it may only be given as a `${secret:...}`/`${env:...}` reference. */
  secret: z.boolean().default(false),
  required: z.boolean().default(false),
});
/** See {@link ServerInputSchema}. */
export type ServerInput = z.infer<typeof ServerInputSchema>;

/**
 * A registry entry: how to start or reach an MCP server. Survives the deletion of any Space.
 *
 * @example
 * ```ts
 * const def: ServerDefinition = await store.createServer({ id: 'memory', transport: { type: 'stdio', command: 'mcp-memory' } });
 * ```
 */
export const ServerDefinitionSchema = z.object({
  id: SlugSchema,
  name: text(200),
  description: text(2000).optional(),
  transport: ServerTransportSchema,
  inputs: z.array(ServerInputSchema),
  /** Available in every Space, present and future, unless a Space disables it locally. */
  defaultEnabled: z.boolean(),
  /** Per-call timeout for this server, in seconds. */
  timeoutSeconds: TimeoutSchema.optional(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
/** See {@link ServerDefinitionSchema}. */
export type ServerDefinition = z.infer<typeof ServerDefinitionSchema>;

/**
 * Input of `SpaceStore.createServer`.
 *
 * @example
 * ```ts
 * ServerDefinitionInputSchema.parse({ id: 'search', transport: { type: 'http', url: 'https://s.example/mcp' }, defaultEnabled: true });
 * ```
 */
export const ServerDefinitionInputSchema = z.object({
  id: SlugSchema,
  name: text(200).min(1, 'must not be empty').optional(),
  description: text(2000).optional(),
  transport: ServerTransportSchema,
  inputs: z.array(ServerInputSchema).default([]),
  defaultEnabled: z.boolean().default(false),
  timeoutSeconds: TimeoutSchema.optional(),
});
/** See {@link ServerDefinitionInputSchema}. */
export type ServerDefinitionInput = z.input<typeof ServerDefinitionInputSchema>;

/**
 * Patch of `SpaceStore.updateServer`.
 *
 * @example
 * ```ts
 * ServerDefinitionPatchSchema.parse({ defaultEnabled: false, timeoutSeconds: 60 });
 * ```
 */
export const ServerDefinitionPatchSchema = z.object({
  name: text(200).min(1, 'must not be empty').optional(),
  description: text(2000).optional(),
  transport: ServerTransportSchema.optional(),
  inputs: z.array(ServerInputSchema).optional(),
  defaultEnabled: z.boolean().optional(),
  timeoutSeconds: TimeoutSchema.optional(),
});
/** See {@link ServerDefinitionPatchSchema}. */
export type ServerDefinitionPatch = z.input<typeof ServerDefinitionPatchSchema>;

/**
 * Per-Space overrides of a server's config. `args` replaces the definition's args; `env` and
 * `headers` are merged over the definition's (override wins). Values may hold `${secret:NAME}` and
 * `${env:NAME}` references, never secret values themselves.
 *
 * @example
 * ```ts
 * InstallationOverridesSchema.parse({ env: { API_KEY: '${secret:API_KEY}' }, timeoutSeconds: 30 });
 * ```
 */
export const InstallationOverridesSchema = z.object({
  args: z.array(z.string().max(8192, 'must be at most 8192 characters')).optional(),
  env: TemplatedMapSchema.optional(),
  headers: TemplatedMapSchema.optional(),
  timeoutSeconds: TimeoutSchema.optional(),
});
/** See {@link InstallationOverridesSchema}. */
export type InstallationOverrides = z.infer<typeof InstallationOverridesSchema>;

/**
 * A server installed in (or customised for) one Space. A default-enabled server needs no
 * installation to be available; a row for it records a local disable or override.
 *
 * @example
 * ```ts
 * const inst: Installation = await store.install('work', 'github', { alias: 'gh' });
 * ```
 */
export const InstallationSchema = z.object({
  spaceId: SlugSchema,
  serverId: SlugSchema,
  /** Tool-name prefix, unique per Space (default: the server id truncated to 24 characters). */
  alias: AliasSchema,
  /** False to expose names without the `<alias>_` prefix (only sensible when alone in the Space). */
  prefix: z.boolean(),
  enabled: z.boolean(),
  overrides: InstallationOverridesSchema,
  installedAt: z.date(),
});
/** See {@link InstallationSchema}. */
export type Installation = z.infer<typeof InstallationSchema>;

/**
 * Options of `SpaceStore.install`.
 *
 * @example
 * ```ts
 * InstallOptionsSchema.parse({ alias: 'gh', prefix: true, overrides: { headers: { Authorization: 'Bearer ${secret:TOKEN}' } } });
 * ```
 */
export const InstallOptionsSchema = z.object({
  alias: AliasSchema.optional(),
  prefix: z.boolean().optional(),
  enabled: z.boolean().optional(),
  overrides: InstallationOverridesSchema.optional(),
});
/** See {@link InstallOptionsSchema}. */
export type InstallOptions = z.input<typeof InstallOptionsSchema>;

/**
 * Patch of an installation's {@link InstallationOverrides} (`SpaceStore.updateInstallation`).
 * Fields left out keep their value. `env` and `headers` are merged key by key into the current
 * overrides: a string sets a key, `null` removes it (the definition's value applies again), and
 * `null` for the whole map removes every override of that map. `args` replaces the current override
 * (`null`: back to the definition's args); `timeoutSeconds` likewise (`null`: back to the
 * definition's timeout). Values follow the rules of {@link InstallationOverridesSchema}.
 *
 * @example
 * ```ts
 * InstallationOverridesPatchSchema.parse({ env: { API_KEY: '${secret:API_KEY}', DEBUG: null }, timeoutSeconds: null });
 * ```
 */
export const InstallationOverridesPatchSchema = z.object({
  args: z.array(z.string().max(8192, 'must be at most 8192 characters')).nullable().optional(),
  env: NullableTemplatedMapSchema.nullable().optional(),
  headers: NullableTemplatedMapSchema.nullable().optional(),
  timeoutSeconds: TimeoutSchema.nullable().optional(),
});
/** See {@link InstallationOverridesPatchSchema}. */
export type InstallationOverridesPatch = z.input<typeof InstallationOverridesPatchSchema>;

/**
 * Patch of `SpaceStore.updateInstallation`: what to change in one Space's installation of a server.
 *
 * @example
 * ```ts
 * InstallationPatchSchema.parse({ overrides: { headers: { Authorization: 'Bearer ${secret:TOKEN}' } } });
 * ```
 */
export const InstallationPatchSchema = z.object({
  overrides: InstallationOverridesPatchSchema.optional(),
});
/** See {@link InstallationPatchSchema}. */
export type InstallationPatch = z.input<typeof InstallationPatchSchema>;

/**
 * A server as one Space runs it: the definition merged with the Space's overrides. Config values
 * still hold `${secret:...}` / `${env:...}` templates (the vault resolves them at connect time).
 *
 * @example
 * ```ts
 * for (const s of await store.effectiveServers('work')) console.log(s.alias, s.transport.type, s.definitionHash);
 * ```
 */
export const EffectiveServerSchema = z.object({
  serverId: SlugSchema,
  name: z.string(),
  alias: AliasSchema,
  prefix: z.boolean(),
  defaultEnabled: z.boolean(),
  /** When it was installed in the Space (for a default-enabled server without a local row: when it was defined). Orders resource clashes. */
  installedAt: z.date(),
  transport: ServerTransportSchema,
  inputs: z.array(ServerInputSchema),
  timeoutSeconds: TimeoutSchema.optional(),
  /** SHA-256 (hex) of the merged, unresolved transport and timeout: equal hashes mean equal config. */
  definitionHash: z.string(),
});
/** See {@link EffectiveServerSchema}. */
export type EffectiveServer = z.infer<typeof EffectiveServerSchema>;

// ---------------------------------------------------------------------------------------------
// FeatureSets

/**
 * Input of `SpaceStore.createFeatureSet` (a custom set; id is a slug).
 *
 * @example
 * ```ts
 * FeatureSetInputSchema.parse({ id: 'read-only', members: [{ mode: 'include', selector: { type: 'annotation', readOnly: true } }] });
 * ```
 */
export const FeatureSetInputSchema = z.object({
  id: SlugSchema,
  name: text(200).min(1, 'must not be empty').optional(),
  description: text(2000).optional(),
  members: z.array(MemberSchema).default([]),
});
/** See {@link FeatureSetInputSchema}. */
export type FeatureSetInput = z.input<typeof FeatureSetInputSchema>;

/**
 * Patch of `SpaceStore.updateFeatureSet`; `members` replaces the whole list.
 *
 * @example
 * ```ts
 * FeatureSetPatchSchema.parse({ name: 'Read only', members: [] });
 * ```
 */
export const FeatureSetPatchSchema = z.object({
  name: text(200).min(1, 'must not be empty').optional(),
  description: text(2000).optional(),
  members: z.array(MemberSchema).optional(),
});
/** See {@link FeatureSetPatchSchema}. */
export type FeatureSetPatch = z.input<typeof FeatureSetPatchSchema>;

// ---------------------------------------------------------------------------------------------
// Clients, access keys, grants

/**
 * How a client picks its Space: the active one, or one pinned Space.
 *
 * @example
 * ```ts
 * ClientModeSchema.parse('pinned');
 * ```
 */
export const ClientModeSchema = z.enum(['follow-active', 'pinned']);
/** See {@link ClientModeSchema}. */
export type ClientMode = z.infer<typeof ClientModeSchema>;

/**
 * An AI app with an identity (access keys), a mode and grants per Space.
 *
 * @example
 * ```ts
 * const client: Client | undefined = await store.getClient('cursor');
 * ```
 */
export const ClientSchema = z.object({
  id: SlugSchema,
  name: z.string(),
  mode: ClientModeSchema,
  /** Set exactly when `mode` is `pinned`. */
  pinnedSpaceId: SlugSchema.optional(),
  /**
   * Lean mode (DESIGN §14): the client's `tools/list` shows the gateway's search, describe and call
   * meta-tools plus {@link pinnedTools} instead of every tool it may use. Default `false`.
   */
  lean: z.boolean(),
  /** Exposed tool names (`<alias>_<tool>`) a lean client still sees listed directly; at most 100. */
  pinnedTools: z.array(z.string()),
  createdAt: z.date(),
  updatedAt: z.date(),
});
/** See {@link ClientSchema}. */
export type Client = z.infer<typeof ClientSchema>;

/**
 * Input of `SpaceStore.createClient`. `mode` defaults to `pinned` when `pinnedSpaceId` is given, else `follow-active`.
 *
 * @example
 * ```ts
 * ClientInputSchema.parse({ id: 'claude', pinnedSpaceId: 'work' });
 * ```
 */
export const ClientInputSchema = z.object({
  id: SlugSchema,
  name: text(200).min(1, 'must not be empty').optional(),
  mode: ClientModeSchema.optional(),
  pinnedSpaceId: SlugSchema.optional(),
  /** Lean mode (see {@link ClientSchema}). */
  lean: z.boolean().optional(),
  /** Tools a lean client still sees listed (exposed names, at most 100, each 1-128 characters). */
  pinnedTools: z.array(text(128).min(1, 'must not be empty')).max(100, 'at most 100 pinned tools').optional(),
  keyExpiresAt: z.date().optional(),
});
/** See {@link ClientInputSchema}. */
export type ClientInput = z.input<typeof ClientInputSchema>;

/**
 * Patch of `SpaceStore.updateClient`. Switching to `follow-active` clears the pinned Space.
 *
 * @example
 * ```ts
 * ClientPatchSchema.parse({ mode: 'follow-active' });
 * ```
 */
export const ClientPatchSchema = z.object({
  name: text(200).min(1, 'must not be empty').optional(),
  mode: ClientModeSchema.optional(),
  pinnedSpaceId: SlugSchema.optional(),
  /** Lean mode (see {@link ClientSchema}). */
  lean: z.boolean().optional(),
  /** Tools a lean client still sees listed (exposed names, at most 100, each 1-128 characters). */
  pinnedTools: z.array(text(128).min(1, 'must not be empty')).max(100, 'at most 100 pinned tools').optional(),
});
/** See {@link ClientPatchSchema}. */
export type ClientPatch = z.input<typeof ClientPatchSchema>;

/**
 * What the store keeps about an access key: never the key, only a display prefix and dates.
 *
 * @example
 * ```ts
 * for (const k of await store.listAccessKeys('cursor')) console.log(k.prefix, k.revokedAt ?? 'active');
 * ```
 */
export const AccessKeyInfoSchema = z.object({
  clientId: SlugSchema,
  /** The first 12 characters of the key, e.g. `mcpmux_AbCd`, for display. */
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().optional(),
  revokedAt: z.date().optional(),
  expiresAt: z.date().optional(),
});
/** See {@link AccessKeyInfoSchema}. */
export type AccessKeyInfo = z.infer<typeof AccessKeyInfoSchema>;

/**
 * Options of `SpaceStore.rotateAccessKey`.
 *
 * @example
 * ```ts
 * RotateKeyOptionsSchema.parse({ expiresAt: new Date('2027-01-01') });
 * ```
 */
export const RotateKeyOptionsSchema = z.object({ expiresAt: z.date().optional() });
/** See {@link RotateKeyOptionsSchema}. */
export type RotateKeyOptions = z.input<typeof RotateKeyOptionsSchema>;

/**
 * A client's grant of one FeatureSet in one Space.
 *
 * @example
 * ```ts
 * const grants: Grant[] = await store.listGrants('cursor', 'work');
 * ```
 */
export const GrantSchema = z.object({
  clientId: SlugSchema,
  spaceId: SlugSchema,
  setId: z.string(),
  createdAt: z.date(),
});
/** See {@link GrantSchema}. */
export type Grant = z.infer<typeof GrantSchema>;

// ---------------------------------------------------------------------------------------------
// Discovered-feature cache

/**
 * A feature as discovery reports it: a {@link Feature} plus its description and a hash of its full definition.
 *
 * @example
 * ```ts
 * DiscoveredFeatureSchema.parse({ kind: 'tool', server: 'github', name: 'list_issues', definitionHash: 'sha256:ab12' });
 * ```
 */
export const DiscoveredFeatureSchema = FeatureSchema.extend({
  description: z.string().optional(),
  /** A hash of the feature's full definition (schema, annotations...): a change means "changed". */
  definitionHash: z.string().min(1, 'must not be empty'),
  /** The raw MCP definition (tool/prompt/resource object), kept for listing without a connection. */
  definition: z.record(z.string(), z.unknown()).optional(),
});
/** See {@link DiscoveredFeatureSchema}. */
export type DiscoveredFeature = z.input<typeof DiscoveredFeatureSchema>;

/**
 * A cached feature of one (Space, server) with its stable identity and availability.
 *
 * @example
 * ```ts
 * const cached: StoredFeature[] = await store.listDiscovered('work', { availableOnly: true });
 * ```
 */
export const StoredFeatureSchema = DiscoveredFeatureSchema.extend({
  /** Stable numeric identity; kept across reconnects while the (kind, name) stays. */
  id: z.number().int(),
  spaceId: SlugSchema,
  /** False when the server stopped offering it or is unavailable. */
  available: z.boolean(),
  firstSeenAt: z.date(),
  lastSeenAt: z.date(),
});
/** See {@link StoredFeatureSchema}. */
export type StoredFeature = z.infer<typeof StoredFeatureSchema>;

/**
 * Options of `SpaceStore.listDiscovered`.
 *
 * @example
 * ```ts
 * ListDiscoveredOptionsSchema.parse({ serverId: 'github', availableOnly: true });
 * ```
 */
export const ListDiscoveredOptionsSchema = z.object({
  serverId: SlugSchema.optional(),
  availableOnly: z.boolean().optional(),
});
/** See {@link ListDiscoveredOptionsSchema}. */
export type ListDiscoveredOptions = z.input<typeof ListDiscoveredOptionsSchema>;

/** What `replaceDiscovered` did: features added, marked unavailable, and changed (hash or description). */
export interface DiscoveryDiff {
  added: number;
  removed: number;
  changed: number;
}

/**
 * Input of `SpaceStore.installServer`: a new server definition, the Space to install it in with the
 * installation's options, and optionally the features a validating connection discovered. The
 * features' `server` must be the definition's id.
 *
 * @example
 * ```ts
 * InstallServerInputSchema.parse({
 *   definition: { id: 'memory', transport: { type: 'stdio', command: 'mcp-memory' } },
 *   spaceId: 'work',
 *   installation: { alias: 'mem' },
 * });
 * ```
 */
export const InstallServerInputSchema = z.object({
  definition: ServerDefinitionInputSchema,
  spaceId: SlugSchema,
  installation: InstallOptionsSchema.optional(),
  discovered: z.array(DiscoveredFeatureSchema).max(100_000, 'at most 100000 features').optional(),
});
/** See {@link InstallServerInputSchema}. */
export type InstallServerInput = z.input<typeof InstallServerInputSchema>;

/** What `SpaceStore.installServer` wrote: the definition and its installation. */
export interface InstalledServer {
  server: ServerDefinition;
  installation: Installation;
}

// ---------------------------------------------------------------------------------------------
// The per-request context

/** Everything needed to resolve one client in one Space, read in one consistent snapshot. */
export interface PolicyContext {
  client: Client;
  /** The given Space, else the client's pinned Space, else the active Space. */
  space: Space;
  /** The Space's effective servers (see `SpaceStore.effectiveServers`). */
  servers: EffectiveServer[];
  /** Every FeatureSet of the Space (built-in and custom). */
  featureSets: FeatureSet[];
  /** Ids of the sets granted to the client in the Space (the `default` set applies on top, per §3.2). */
  grants: string[];
  /** Available cached features of the effective servers: the resolver's catalog. */
  catalog: Feature[];
  /** The store revision this snapshot reflects. */
  revision: number;
}

// ---------------------------------------------------------------------------------------------
// Audit

/**
 * One audited event to append. Arguments must already be redacted by the caller.
 *
 * @example
 * ```ts
 * AuditEventInputSchema.parse({ action: 'tools/call', clientId: 'cursor', spaceId: 'work', decision: 'allow', outcome: 'ok', durationMs: 12 });
 * ```
 */
export const AuditEventInputSchema = z.object({
  /** When it happened; defaults to the store clock. */
  at: z.date().optional(),
  /** What happened, e.g. `tools/call`, `prompts/get`, `space.delete`. */
  action: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  clientId: z.string().max(64, 'must be at most 64 characters').optional(),
  spaceId: z.string().max(64, 'must be at most 64 characters').optional(),
  feature: FeatureRefSchema.optional(),
  decision: z.enum(['allow', 'deny']).optional(),
  outcome: z.enum(['ok', 'error', 'timeout', 'cancelled']).optional(),
  durationMs: z.number().nonnegative('must not be negative').optional(),
  /** Extra non-secret details (redacted arguments, error code). */
  detail: z.record(z.string(), z.unknown()).optional(),
});
/** See {@link AuditEventInputSchema}. */
export type AuditEventInput = z.input<typeof AuditEventInputSchema>;

/**
 * A stored audit event.
 *
 * @example
 * ```ts
 * const events: AuditEvent[] = await store.listAudit({ clientId: 'cursor', limit: 20 });
 * ```
 */
export const AuditEventSchema = AuditEventInputSchema.extend({ id: z.number().int(), at: z.date() });
/** See {@link AuditEventSchema}. */
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/**
 * Filter of `SpaceStore.listAudit`; newest first.
 *
 * @example
 * ```ts
 * AuditFilterSchema.parse({ spaceId: 'work', since: new Date(Date.now() - 86_400_000) });
 * ```
 */
export const AuditFilterSchema = z.object({
  clientId: z.string().optional(),
  spaceId: z.string().optional(),
  action: z.string().optional(),
  since: z.date().optional(),
  until: z.date().optional(),
  /** At most this many events (default 100, at most 10,000). */
  limit: z.number().int().positive().max(10_000, 'must be at most 10000').optional(),
});
/** See {@link AuditFilterSchema}. */
export type AuditFilter = z.input<typeof AuditFilterSchema>;

/**
 * Retention of `SpaceStore.pruneAudit`: drop events older than a date, or keep only the newest N.
 *
 * @example
 * ```ts
 * await store.pruneAudit({ before: new Date(Date.now() - 30 * 86_400_000) });
 * ```
 */
export const AuditRetentionSchema = z.union([
  z.object({ before: z.date() }),
  z.object({ keep: z.number().int().nonnegative('must not be negative') }),
]);
/** See {@link AuditRetentionSchema}. */
export type AuditRetention = z.input<typeof AuditRetentionSchema>;

// ---------------------------------------------------------------------------------------------
// Changes

/**
 * What a write changed. `active-space` is a Space switch; `discovered` a cache update; `secret` a
 * credential stored beside the store (the vault) was set or removed (see `recordSecretChange`).
 *
 * @example
 * ```ts
 * ChangeKindSchema.parse('active-space');
 * ```
 */
export const ChangeKindSchema = z.enum(CHANGE_KINDS);
/** See {@link ChangeKindSchema}. */
export type ChangeKind = z.infer<typeof ChangeKindSchema>;

export { CHANGE_KINDS };

/** A batch of changes seen by a watcher. */
export interface StoreChange {
  /** The store revision after these changes. */
  revision: number;
  /** What changed. All kinds when the watcher fell too far behind to know. */
  kinds: Set<ChangeKind>;
  /** The Spaces concerned, when every change named one (absent: possibly all Spaces). */
  spaceIds?: string[];
}

/** Options of `SpaceStore.watch`. */
export interface WatchOptions {
  /** How often to look for other processes' writes, in ms. Default 50. */
  intervalMs?: number;
}
