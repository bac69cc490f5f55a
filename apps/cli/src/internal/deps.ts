// Lazy access to the workspace packages the CLI composes. Loading them on demand keeps `--help`,
// `catalog` and `completion` fast and lets those verbs work without opening the native database.
import type { OpenedHome } from '@mcpmux/server';
import type { SecretScope, Vault } from '@mcpmux/vault';

export type { Explanation, Selector } from '@mcpmux/featuresets';
export type { OpenedHome } from '@mcpmux/server';
export type { SecretInfo, SecretScope } from '@mcpmux/vault';

/** The vault as an opened home provides it. */
export type VaultPort = Vault;

/** A secret scope (re-exported for command modules). */
export type Scope = SecretScope;

/** Loads `@mcpmux/server` (store + vault + gateway composition: `openHome`, `startServer`, `serveStdio`). */
export function loadServer(): Promise<typeof import('@mcpmux/server')> {
  return import('@mcpmux/server');
}

/** Loads `@mcpmux/gateway` (`probeServer`, `exposedName`). */
export function loadGateway(): Promise<typeof import('@mcpmux/gateway')> {
  return import('@mcpmux/gateway');
}

/** Loads `@mcpmux/featuresets` (`resolve`, `parseSelector`, `formatSelector`). */
export function loadFeaturesets(): Promise<typeof import('@mcpmux/featuresets')> {
  return import('@mcpmux/featuresets');
}

/** Loads `@mcpmux/vault` (`selectKeyProvider`). */
export function loadVault(): Promise<typeof import('@mcpmux/vault')> {
  return import('@mcpmux/vault');
}

/** The opened home type, for handlers. */
export type Home = OpenedHome;
