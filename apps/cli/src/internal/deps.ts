// Lazy access to the workspace packages the CLI composes. Loading them on demand keeps `--help`,
// `catalog` and `completion` fast and lets those verbs work without the native database module.
//
// The types below are the slices of each package's public API the CLI uses (DESIGN.md contracts).
import type {
  DiscoveredFeature,
  EffectiveServer,
  Feature,
  FeatureRef,
  FeatureSet,
  SpaceStore,
} from '@mcpmux/space-store';

/** A secret's scope in the vault: one (Space, server), or the global scope of default-enabled servers. */
export type SecretScope = { spaceId: string; serverId: string } | { global: true; serverId: string };

/** What the vault says about a stored secret: never its value. */
export interface SecretInfo {
  scope: SecretScope;
  name: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The vault operations the CLI uses. */
export interface VaultPort {
  set(scope: SecretScope, name: string, value: string): Promise<void>;
  has(scope: SecretScope, name: string): Promise<boolean>;
  list(filter?: { spaceId?: string; serverId?: string; global?: boolean }): Promise<SecretInfo[]>;
  delete(scope: SecretScope, name: string): Promise<boolean>;
}

/** An opened mcpmux home: the store and the vault on one database connection. */
export interface OpenedHome {
  home: string;
  dbPath: string;
  store: SpaceStore;
  vault: VaultPort;
  close(): Promise<void>;
}

/** A running HTTP gateway. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface ServerModule {
  openHome(options: {
    home: string;
    env: Record<string, string | undefined>;
    create?: boolean;
  }): Promise<OpenedHome>;
  startServer(options: {
    home: string;
    env: Record<string, string | undefined>;
    host?: string;
    port?: number;
    anonymousClientId?: string;
  }): Promise<RunningServer>;
  serveStdio(options: {
    home: string;
    env: Record<string, string | undefined>;
    clientId: string;
    stdin: NodeJS.ReadableStream;
    stdout: NodeJS.WritableStream;
  }): Promise<{ closed: Promise<void> }>;
}

interface GatewayModule {
  probeServer(
    server: EffectiveServer,
    ctx: { vault: VaultPort; spaceId: string; env: Record<string, string | undefined>; timeoutMs?: number },
  ): Promise<DiscoveredFeature[]>;
  exposedName(alias: string, name: string, prefix: boolean): string;
}

/** A FeatureSet member selector (DESIGN.md §3.1). */
export type Selector = FeatureSet['members'][number]['selector'];

/** Why a feature is allowed or denied (DESIGN.md §3.1). */
export interface Explanation {
  allowed: boolean;
  inCatalog: boolean;
  includedBy: string[][];
  excludedBy: string[][];
}

interface FeaturesetsModule {
  resolve(input: { catalog: Feature[]; featureSets: FeatureSet[]; grants: string[] }): {
    allowed: Feature[];
    allows(ref: FeatureRef): boolean;
    explain(ref: FeatureRef): Explanation;
  };
  parseSelector(text: string): Selector;
  formatSelector(selector: Selector): string;
}

interface KeyProviderInfo {
  kind: string;
  describe(): string;
}

interface VaultModule {
  selectKeyProvider(options: {
    env: Record<string, string | undefined>;
    home: string;
  }): Promise<KeyProviderInfo> | KeyProviderInfo;
}

/** Loads `@mcpmux/server` (store + vault + gateway composition). */
export async function loadServer(): Promise<ServerModule> {
  return (await import('@mcpmux/server')) as unknown as ServerModule;
}

/** Loads `@mcpmux/gateway` (`probeServer`, `exposedName`). */
export async function loadGateway(): Promise<GatewayModule> {
  return (await import('@mcpmux/gateway')) as unknown as GatewayModule;
}

/** Loads `@mcpmux/featuresets` (`resolve`, `parseSelector`, `formatSelector`). */
export async function loadFeaturesets(): Promise<FeaturesetsModule> {
  return (await import('@mcpmux/featuresets')) as unknown as FeaturesetsModule;
}

/** Loads `@mcpmux/vault` (`selectKeyProvider`). */
export async function loadVault(): Promise<VaultModule> {
  return (await import('@mcpmux/vault')) as unknown as VaultModule;
}
