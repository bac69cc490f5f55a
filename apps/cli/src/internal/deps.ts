// Lazy access to the workspace packages the CLI composes. Loading them on demand keeps `--help`,
// `catalog` and `completion` fast and lets those verbs work without opening the native database;
// read verbs use `loadHome` (the server's light entry), never `loadServer` (the whole gateway).
import type { OpenedHome } from '@mcpmux/server/home';
import type { SecretScope, Vault } from '@mcpmux/vault';

export type { Explanation, Selector } from '@mcpmux/featuresets';
export type { OpenedHome, OpenedHomeStore } from '@mcpmux/server/home';
export type { SecretInfo, SecretScope } from '@mcpmux/vault';

/** The vault as an opened home provides it. */
export type VaultPort = Vault;

/** A secret scope (re-exported for command modules). */
export type Scope = SecretScope;

/** Loads `@mcpmux/server` (store + vault + gateway composition: `openHome`, `startServer`, `serveStdio`). */
export function loadServer(): Promise<typeof import('@mcpmux/server')> {
  return import('@mcpmux/server');
}

/**
 * Loads `@mcpmux/server/home`, the light entry: opening the home (store only, or with the vault),
 * the running gateway's info, lookups and policy previews, without the gateway, the SDK or the logger.
 */
export function loadHome(): Promise<typeof import('@mcpmux/server/home')> {
  return import('@mcpmux/server/home');
}

/** Loads `@mcpmux/gateway` (`probeServer`, `exposedName`). */
export function loadGateway(): Promise<typeof import('@mcpmux/gateway')> {
  return import('@mcpmux/gateway');
}

/** Loads `@mcpmux/featuresets/resolver` (`resolve`, `parseSelector`, `formatSelector`; no zod). */
export function loadFeaturesets(): Promise<typeof import('@mcpmux/featuresets/resolver')> {
  return import('@mcpmux/featuresets/resolver');
}

/** Loads `@mcpmux/vault` (`selectKeyProvider`). */
export function loadVault(): Promise<typeof import('@mcpmux/vault')> {
  return import('@mcpmux/vault');
}

/** The opened home type, for handlers. */
export type Home = OpenedHome;
