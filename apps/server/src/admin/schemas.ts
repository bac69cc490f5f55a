// The admin API's wire shapes: what the routes accept (input) and answer (output). Inputs reuse the
// store's own field schemas; outputs have ISO strings where the store has dates.
import { AliasSchema, SlugSchema } from '@mcpmux/core/schemas';
import { MemberSchema } from '@mcpmux/featuresets';
import { ClientModeSchema } from '@mcpmux/space-store';
import { z } from 'zod';

const iso = z.string().describe('ISO 8601 date-time');
const name200 = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const TemplatedMap = z.record(
  z.string().min(1, 'names must not be empty'),
  z.string().max(8192, 'must be at most 8192 characters'),
);

/** The error body of every failed admin request. */
export const ApiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
  }),
});

// -- path parameters ------------------------------------------------------------------------------

/** `:space`. */
export const SpaceParams = z.object({ space: SlugSchema });
/** `:server`. */
export const ServerParams = z.object({ server: SlugSchema });
/** `:space/:server`. */
export const SpaceServerParams = z.object({ space: SlugSchema, server: SlugSchema });
/** `:client`. */
export const ClientParams = z.object({ client: SlugSchema });
/** `:space/:set` (set ids: `all`, `default`, `server-all:<server>`, custom slugs). */
export const SpaceSetParams = z.object({ space: SlugSchema, set: z.string().min(1).max(200) });

// -- session -------------------------------------------------------------------------------------

/** `GET /session`. */
export const SessionInfoSchema = z.object({ csrfToken: z.string(), expiresAt: iso });
/** `POST /session/login`. */
export const LoginBodySchema = z.strictObject({ token: z.string().min(1, 'must not be empty').max(200) });

// -- status --------------------------------------------------------------------------------------

const UpstreamRow = z.object({
  spaceId: z.string(),
  serverId: z.string(),
  state: z.string(),
  protocolVersion: z.string().optional(),
  restarts: z.number(),
  lastError: z.string().optional(),
  tools: z.number(),
  prompts: z.number(),
  resources: z.number(),
});

/** `GET /status`. */
export const StatusSchema = z.object({
  version: z.string(),
  activeSpaceId: z.string().nullable(),
  upstreams: z.array(UpstreamRow),
  sessionsByClient: z.record(z.string(), z.number()),
  minutes: z.array(z.object({ minute: iso, calls: z.number(), errors: z.number() })),
});

// -- spaces --------------------------------------------------------------------------------------

/** One Space in lists. */
export const SpaceRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  icon: z.string().optional(),
  description: z.string().optional(),
  active: z.boolean(),
  servers: z.number().describe('servers the Space runs'),
  clients: z
    .number()
    .describe('clients that see this Space now (pinned to it, or following it while active)'),
});

/** `POST /spaces`. */
export const SpaceCreateBody = z.strictObject({
  id: SlugSchema,
  name: name200.optional(),
  icon: z.string().max(64, 'must be at most 64 characters').optional(),
  description: z.string().max(2000, 'must be at most 2000 characters').optional(),
});
/** `PATCH /spaces/:space`. */
export const SpacePatchBody = SpaceCreateBody.omit({ id: true });

/** `GET /spaces/:space/deletion`. */
export const DeletionPreviewSchema = z.object({
  installations: z.array(z.string()),
  featureSets: z.array(z.string()),
  grants: z.array(z.object({ clientId: z.string(), setId: z.string() })),
  secrets: z.array(z.object({ serverId: z.string(), name: z.string() })),
  pinnedClients: z.array(z.string()),
});
/** `DELETE /spaces/:space?confirm=`. */
export const DeleteSpaceQuery = z.object({
  confirm: z.string().optional().describe('must repeat the Space id'),
});

// -- servers -------------------------------------------------------------------------------------

/** `GET /catalog`. */
export const CatalogRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  transport: z.enum(['stdio', 'http', 'sse']),
  secrets: z.array(z.string()),
  hint: z.string().optional(),
});

/** A server definition as the API shows it: env/header NAMES and reference values, never literals. */
export const ServerRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  transport: z.object({
    type: z.enum(['stdio', 'http', 'sse']),
    command: z.string().optional(),
    args: z.array(z.string()).optional(),
    url: z.string().optional(),
    env: z.record(z.string(), z.string().nullable()).optional(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
  }),
  inputs: z.array(z.object({ name: z.string(), description: z.string().optional(), secret: z.boolean() })),
  defaultEnabled: z.boolean(),
  timeoutSeconds: z.number().optional(),
});

const TransportBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('stdio'),
    command: z.string().min(1, 'must not be empty').max(4096),
    args: z.array(z.string().max(8192)).optional(),
    env: TemplatedMap.optional(),
  }),
  z.strictObject({
    type: z.enum(['http', 'sse']),
    url: z.string().min(1, 'must not be empty').max(4096),
    headers: TemplatedMap.optional(),
  }),
]);

/** `POST /servers`: a catalog entry or a transport; same validation as `mcpmux server add`. */
export const ServerAddBody = z.strictObject({
  id: SlugSchema,
  catalogId: SlugSchema.optional(),
  transport: TransportBody.optional(),
  name: name200.optional(),
  alias: AliasSchema.optional(),
  prefix: z.boolean().optional(),
  timeoutSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .positive('must be positive')
    .max(86_400)
    .optional(),
  spaceId: SlugSchema.optional(),
  defaultEnabled: z.boolean().optional(),
});
/** The answer of `POST /servers`. */
export const ServerAddedSchema = z.object({
  id: z.string(),
  spaceId: z.string().nullable(),
  defaultEnabled: z.boolean(),
  created: z.boolean(),
  missingSecrets: z.array(z.object({ name: z.string(), description: z.string().optional() })),
});

/** One server of a Space with its live state. */
export const SpaceServerRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  alias: z.string(),
  prefix: z.boolean(),
  enabled: z.boolean(),
  defaultEnabled: z.boolean(),
  transport: z.enum(['stdio', 'http', 'sse']),
  state: z.string().describe('the upstream state, or `idle` when not connected'),
  circuit: z.boolean().describe('true while the circuit is open (restart to close it)'),
  restarts: z.number(),
  lastError: z.string().optional(),
  protocolVersion: z.string().optional(),
  tools: z.number(),
  prompts: z.number(),
  resources: z.number(),
});

/** `GET /spaces/:space/servers/:server`. */
export const SpaceServerDetailSchema = SpaceServerRowSchema.extend({
  overrides: z.object({
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string().nullable()).optional(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
    timeoutSeconds: z.number().optional(),
  }),
  features: z.array(
    z.object({
      kind: z.enum(['tool', 'prompt', 'resource']),
      name: z.string(),
      description: z.string().optional(),
      available: z.boolean(),
      annotations: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  secrets: z.array(z.object({ name: z.string(), scope: z.string() })),
  log: z.array(z.string()),
  /** HTTP servers: whether the Space holds an OAuth sign-in (never a token). */
  oauth: z
    .object({
      signedIn: z.boolean(),
      expired: z.boolean(),
      signedInAt: z.number().optional(),
      expiresAt: z.number().optional(),
      refreshable: z.boolean(),
    })
    .optional(),
});

/** `POST /spaces/:space/servers/:server/sign-in`: the authorization URL to open. */
export const SignInStartedSchema = z.object({ url: z.string() });
/** `GET /spaces/:space/servers/:server/sign-in`. */
export const SignInStateSchema = z.object({
  state: z.enum(['idle', 'waiting', 'done', 'failed']),
  message: z.string().optional(),
});

/** `PUT /spaces/:space/servers/:server`: install an existing definition. */
export const InstallBody = z
  .strictObject({
    alias: AliasSchema.optional(),
    prefix: z.boolean().optional(),
  })
  .optional();

/** Overrides in a patch: a value sets the key, `null` removes it (the definition's value applies again). */
const TemplatedMapPatch = z.record(
  z.string().min(1, 'names must not be empty'),
  z.string().max(8192, 'must be at most 8192 characters').nullable(),
);

/**
 * `PATCH /spaces/:space/servers/:server`: enable/disable, and the per-Space `env` (stdio) or
 * `headers` (HTTP/SSE) overrides, merged into the current ones (`null` removes a key). Values may
 * hold `${secret:NAME}` / `${env:NAME}` references, never credentials.
 */
export const SpaceServerPatchBody = z.strictObject({
  enabled: z.boolean().optional(),
  env: TemplatedMapPatch.optional(),
  headers: TemplatedMapPatch.optional(),
});

/** `:space/:server/secrets/:name`. */
export const SecretParams = z.object({
  space: z.union([SlugSchema, z.literal('_default')]),
  server: SlugSchema,
  name: z.string().min(1).max(128),
});
/** `PUT .../secrets/:name`. */
export const SecretBody = z.strictObject({
  value: z.string().min(1, 'must not be empty').max(65_536, 'must be at most 65536 characters'),
});

// -- featuresets ---------------------------------------------------------------------------------

/** A FeatureSet (members are the store's `Member`: `{ mode, selector }`). */
export const FeatureSetRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  kind: z.enum(['all', 'default', 'server-all', 'custom']),
  server: z.string().optional(),
  members: z.array(MemberSchema),
});
/** `POST /spaces/:space/featuresets`. */
export const FeatureSetCreateBody = z.strictObject({
  id: SlugSchema,
  name: name200.optional(),
  description: z.string().max(2000).optional(),
  members: z.array(MemberSchema).max(1000).optional(),
});
/** `PATCH /spaces/:space/featuresets/:set`. */
export const FeatureSetPatchBody = z.strictObject({
  name: name200.optional(),
  description: z.string().max(2000).optional(),
  members: z.array(MemberSchema).max(1000).optional(),
});
/** One discovered feature of a Space. */
export const FeatureRowSchema = z.object({
  serverId: z.string(),
  kind: z.enum(['tool', 'prompt', 'resource']),
  name: z.string(),
  exposedName: z.string(),
  description: z.string().optional(),
  available: z.boolean(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

const PreviewEntry = z.object({
  server: z.string(),
  name: z.string(),
  exposedName: z.string(),
  allowed: z.boolean(),
  includedBy: z.array(z.array(z.string())),
  excludedBy: z.array(z.array(z.string())),
});
/** `GET /spaces/:space/clients/:client/preview`. */
export const PreviewSchema = z.object({
  clientId: z.string(),
  spaceId: z.string(),
  grants: z.array(z.string()),
  tools: z.array(PreviewEntry),
  prompts: z.array(PreviewEntry),
  resources: z.array(PreviewEntry),
});

// -- clients -------------------------------------------------------------------------------------

/** A client in lists. */
export const ClientRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  mode: ClientModeSchema,
  pinnedSpaceId: z.string().optional(),
  lean: z
    .boolean()
    .describe('lean mode: its tools/list shows the search, describe and call meta-tools plus pinnedTools'),
  pinnedTools: z.array(z.string()).describe('exposed tool names a lean client keeps listed'),
  keys: z.number().describe('active (not revoked) keys'),
  lastUsedAt: iso.optional(),
});
/** `POST /clients`. */
export const ClientCreateBody = z.strictObject({
  id: SlugSchema,
  name: name200.optional(),
  mode: ClientModeSchema.optional(),
  pinnedSpaceId: SlugSchema.optional(),
  lean: z.boolean().optional().describe('lean mode (docs/lean-mode.md); default false'),
  pinnedTools: z
    .array(z.string().min(1).max(128))
    .max(100)
    .optional()
    .describe('exposed tool names a lean client keeps listed (replaces the list), at most 100'),
});
/** `PATCH /clients/:client`. */
export const ClientPatchBody = ClientCreateBody.omit({ id: true });
/** The answer of `POST /clients`: the key, shown once, and per-app connect snippets. */
export const ClientCreatedSchema = z.object({
  client: ClientRowSchema,
  accessKey: z.string(),
  connect: z.array(
    z.object({
      app: z.string(),
      title: z.string(),
      transport: z.enum(['http', 'stdio']),
      snippet: z.string(),
    }),
  ),
});
/** `GET /clients/:client/grants`. */
export const GrantRowSchema = z.object({ spaceId: z.string(), setId: z.string() });
/** `:client/grants/:space/:set`. */
export const GrantParams = z.object({
  client: SlugSchema,
  space: SlugSchema,
  set: z.string().min(1).max(200),
});

// -- audit ---------------------------------------------------------------------------------------

/** `GET /audit` filters. */
export const AuditQuery = z.strictObject({
  client: z.string().max(64).optional(),
  space: z.string().max(64).optional(),
  server: z.string().max(64).optional(),
  action: z.string().max(128).optional(),
  decision: z.enum(['allow', 'deny']).optional(),
  outcome: z.enum(['ok', 'error', 'timeout', 'cancelled']).optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .positive('must be positive')
    .max(1000, 'must be at most 1000')
    .optional(),
  before: z.iso.datetime({ message: 'must be an ISO 8601 date-time' }).optional(),
  since: z.iso.datetime({ message: 'must be an ISO 8601 date-time' }).optional(),
});
/** One audit event. */
export const AuditRowSchema = z.object({
  id: z.number(),
  at: iso,
  action: z.string(),
  clientId: z.string().optional(),
  spaceId: z.string().optional(),
  feature: z.object({ kind: z.string(), server: z.string(), name: z.string() }).optional(),
  decision: z.enum(['allow', 'deny']).optional(),
  outcome: z.enum(['ok', 'error', 'timeout', 'cancelled']).optional(),
  durationMs: z.number().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
