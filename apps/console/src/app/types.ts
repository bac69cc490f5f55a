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
  transport: 'stdio' | 'http';
  secrets: string[];
}

export interface ServerDefinition {
  id: string;
  name?: string;
  alias: string;
  transport: {
    type: string;
    command?: string;
    args?: string[];
    url?: string;
    env?: Record<string, string> | string[];
    headers?: Record<string, string> | string[];
  };
  defaultEnabled: boolean;
}

export interface InstalledServer {
  id: string;
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
  annotations?: Annotations;
}

export interface ServerDetail extends InstalledServer {
  features: ServerFeature[];
  secrets: string[];
  log: string[];
  env?: Record<string, string>;
  headers?: Record<string, string>;
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

export interface Trail {
  allowed?: boolean;
  inCatalog?: boolean;
  includedBy?: string[][];
  excludedBy?: string[][];
}

export interface PreviewEntry {
  name: string;
  allowed: boolean;
  trail?: Trail | string[] | string;
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
