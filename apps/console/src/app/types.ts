// The shapes of the admin API (../../../../briefs contract: issue #16), as the console reads them.

export type FeatureKind = 'tool' | 'prompt' | 'resource';

export interface Annotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface Upstream {
  spaceId: string;
  serverId: string;
  state: string;
  protocolVersion?: string;
  restarts: number;
  lastError?: string;
  tools: number;
  prompts: number;
  resources: number;
}

export interface Status {
  version: string;
  activeSpaceId: string | null;
  upstreams: Upstream[];
  sessionsByClient: Record<string, number>;
  minutes: { minute: string; calls: number; errors: number }[];
}

export interface Space {
  id: string;
  name: string;
  icon?: string;
  active: boolean;
  servers: number;
  clients: number;
}

export interface SpaceDeletion {
  installations: string[];
  featureSets: string[];
  grants: { clientId: string; setId: string }[];
  secrets: { serverId: string; name: string }[];
  pinnedClients: string[];
}

export interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  transport: 'stdio' | 'http' | 'sse';
  secrets: string[];
  hint?: string;
}

/** Env/header values: `${secret:..}`/`${env:..}` references as written, literal values as null (hidden). */
export type TemplatedValues = Record<string, string | null>;

export interface ServerDefinition {
  id: string;
  name: string;
  description?: string;
  transport: {
    type: string;
    command?: string;
    args?: string[];
    url?: string;
    env?: TemplatedValues;
    headers?: TemplatedValues;
  };
  inputs?: { name: string; description?: string; secret: boolean }[];
  defaultEnabled: boolean;
}

export interface ServerAdded {
  id: string;
  spaceId: string | null;
  defaultEnabled: boolean;
  created: boolean;
  missingSecrets: { name: string; description?: string }[];
}

export interface InstalledServer {
  id: string;
  name?: string;
  alias: string;
  enabled: boolean;
  defaultEnabled: boolean;
  state: string;
  circuit: boolean;
  restarts: number;
  lastError?: string;
  tools: number;
  prompts: number;
  resources: number;
  protocolVersion?: string;
}

export interface ServerFeature {
  kind: FeatureKind;
  name: string;
  description?: string;
  available?: boolean;
  annotations?: Annotations;
}

export interface ServerDetail extends InstalledServer {
  overrides?: { args?: string[]; env?: TemplatedValues; headers?: TemplatedValues; timeoutSeconds?: number };
  features: ServerFeature[];
  /** Credentials stored for this server: in the Space, or global (`_default`). */
  secrets: ({ name: string; scope: string } | string)[];
  log: string[];
  transport: 'stdio' | 'http' | 'sse';
  /** HTTP servers: whether the Space holds an OAuth sign-in. */
  oauth?: OAuthStatus;
}

/** A server's OAuth sign-in in a Space (never a token). */
export interface OAuthStatus {
  signedIn: boolean;
  /** A sign-in was stored but its tokens were refused: sign in again. */
  expired: boolean;
  signedInAt?: number;
  expiresAt?: number;
  refreshable: boolean;
}

/** `GET /spaces/:space/servers/:server/sign-in`: the console's latest sign-in. */
export interface SignInState {
  state: 'idle' | 'waiting' | 'done' | 'failed';
  message?: string;
}

/** A FeatureSet member's selector (the store's `Member`). */
export type Selector =
  | { type: 'feature'; kind: FeatureKind; server: string; name: string }
  | { type: 'server'; server: string; kind?: FeatureKind }
  | { type: 'featureSet'; id: string }
  | { type: 'annotation'; readOnly?: boolean; destructive?: boolean };

export interface Member {
  mode: 'include' | 'exclude';
  selector: Selector;
}

export type FeatureSetKind = 'all' | 'default' | 'server-all' | 'custom';

export interface FeatureSet {
  id: string;
  name: string;
  description?: string;
  kind: FeatureSetKind;
  server?: string;
  serverId?: string;
  members: Member[];
}

export interface DiscoveredFeature {
  serverId: string;
  kind: FeatureKind;
  name: string;
  exposedName: string;
  description?: string;
  annotations?: Annotations;
}

/** One feature of a preview with its `explain` trails (set ids from a granted set down to the member). */
export interface PreviewEntry {
  server?: string;
  name: string;
  exposedName?: string;
  allowed: boolean;
  includedBy?: string[][];
  excludedBy?: string[][];
}

export interface Preview {
  tools: PreviewEntry[];
  prompts: PreviewEntry[];
  resources: PreviewEntry[];
}

export interface Client {
  id: string;
  name: string;
  mode: 'follow-active' | 'pinned';
  pinnedSpaceId?: string;
  /** Lean mode: the client lists tool search (three meta-tools) plus pinnedTools instead of every tool. */
  lean: boolean;
  /** Exposed tool names a lean client keeps listed. */
  pinnedTools: string[];
  keys: number;
  lastUsedAt?: string;
}

export interface ConnectSnippet {
  app: string;
  title: string;
  snippet: string;
}

export interface CreatedClient {
  client: Client;
  accessKey: string;
  connect: ConnectSnippet[];
}

export interface Grant {
  spaceId: string;
  setId: string;
}

export interface AuditEntry {
  at: string;
  action: string;
  clientId: string;
  spaceId?: string;
  feature?: { kind: string; server: string; name: string };
  decision: string;
  outcome: string;
  durationMs: number;
  detail?: string;
}
