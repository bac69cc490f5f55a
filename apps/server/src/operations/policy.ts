import { McpmuxError } from '@mcpmux/core';
import type { Explanation, Resolution } from '@mcpmux/featuresets/resolver';
import { exposedName } from '@mcpmux/gateway/naming';
import type { FeatureKind, PolicyContext, SpaceStore } from '@mcpmux/space-store';
import { requireClient, requireSpace } from './lookup.js';

/**
 * A client's policy in a Space (given, else its pinned Space, else the active one), resolved: what
 * `mcpmux tools` and `mcpmux explain` start from.
 * @throws `NOT_FOUND` for an unknown client or Space, or when no Space exists.
 */
export async function resolveClientPolicy(
  store: SpaceStore,
  clientId: string,
  spaceId: string | undefined,
): Promise<{ context: PolicyContext; resolution: Resolution }> {
  await requireClient(store, clientId);
  if (spaceId !== undefined) await requireSpace(store, spaceId);
  const context = await store.loadPolicyContext(clientId, spaceId);
  if (!context) {
    throw new McpmuxError('NOT_FOUND', 'There is no Space to resolve in. Run `mcpmux init`.', {
      data: { entity: 'space' },
    });
  }
  // Loaded on use: the light home entry that exports this serves commands that never resolve.
  const { resolve } = await import('@mcpmux/featuresets/resolver');
  const resolution = resolve({
    catalog: context.catalog,
    featureSets: context.featureSets,
    grants: context.grants,
  });
  return { context, resolution };
}

/** The name a client sees for a feature of `server` (resources keep their URI). */
export function exposedFeatureName(
  context: PolicyContext,
  kind: FeatureKind,
  server: string,
  name: string,
): string {
  const s = context.servers.find((x) => x.serverId === server);
  return kind === 'resource' || !s ? name : exposedName(s.alias, name, s.prefix);
}

/** One allowed feature as `mcpmux tools` lists it. */
export interface EffectiveFeature {
  kind: FeatureKind;
  server: string;
  name: string;
  exposedName: string;
}

/** The features a resolved policy allows, with their exposed names. */
export function effectiveFeatures(context: PolicyContext, resolution: Resolution): EffectiveFeature[] {
  return resolution.allowed.map((f) => ({
    kind: f.kind,
    server: f.server,
    name: f.name,
    exposedName: exposedFeatureName(context, f.kind, f.server, f.name),
  }));
}

/** Servers of the Space with no cached features at all (never connected), and with none available. */
export async function discoveryGaps(
  store: SpaceStore,
  context: PolicyContext,
): Promise<{ never: string[]; unavailable: string[] }> {
  const all = await store.listDiscovered(context.space.id);
  const never: string[] = [];
  const unavailable: string[] = [];
  for (const s of context.servers) {
    const mine = all.filter((f) => f.server === s.serverId);
    if (mine.length === 0) never.push(s.serverId);
    else if (!mine.some((f) => f.available)) unavailable.push(s.serverId);
  }
  return { never, unavailable };
}

/** One feature of the catalog with the verdict for a client and its `explain` trails. */
export interface PreviewEntry {
  server: string;
  name: string;
  exposedName: string;
  allowed: boolean;
  /** Trails of set ids from a granted set down to the set that includes it. */
  includedBy: string[][];
  /** Trails down to the set that excludes it (an exclude always wins). */
  excludedBy: string[][];
}

/** What a client gets in a Space, feature by feature, with the reasons. */
export interface ClientPreview {
  clientId: string;
  spaceId: string;
  grants: string[];
  tools: PreviewEntry[];
  prompts: PreviewEntry[];
  resources: PreviewEntry[];
}

/**
 * Every feature of the Space's catalog with whether the client gets it and why (the trails
 * `mcpmux explain` prints): the live preview of the console's FeatureSets page.
 * @throws as {@link resolveClientPolicy}.
 */
export async function previewClient(
  store: SpaceStore,
  clientId: string,
  spaceId: string | undefined,
): Promise<ClientPreview> {
  const { context, resolution } = await resolveClientPolicy(store, clientId, spaceId);
  const entries = (kind: FeatureKind): PreviewEntry[] =>
    context.catalog
      .filter((f) => f.kind === kind)
      .map((f) => {
        const e: Explanation = resolution.explain({ kind: f.kind, server: f.server, name: f.name });
        return {
          server: f.server,
          name: f.name,
          exposedName: exposedFeatureName(context, f.kind, f.server, f.name),
          allowed: e.allowed,
          includedBy: e.includedBy,
          excludedBy: e.excludedBy,
        };
      });
  return {
    clientId: context.client.id,
    spaceId: context.space.id,
    grants: context.grants,
    tools: entries('tool'),
    prompts: entries('prompt'),
    resources: entries('resource'),
  };
}

/** What is known of the home's gateway when a server has no discovered features in a Space. */
export interface GatewayPresence {
  /** The gateway's `http://HOST:PORT/mcp`. */
  url: string;
  /** Its process id. */
  pid: number;
  /** The state `/health` reports for this Space's copy of the server (`starting`, `failed`...), if it has one. */
  upstreamState?: string;
}

/** Why a server has no discovered features in a Space: {@link describeNotConnected}. */
export interface NotConnectedNote {
  /** `never connected in SPACE` (no gateway runs) or `not connected yet in SPACE` (one runs). */
  summary: string;
  /** What is true and what to do, e.g. `the gateway at URL (pid N) is running and connects to it when a client uses Space work`. */
  detail: string;
}

/**
 * Why a server has no discovered features in a Space, in words that are true whether or not a
 * gateway runs: with none, it never connected and the gateway (or a connecting `server add`) is the
 * fix; with one that has not visited the Space yet, it connects when a client uses that Space; with
 * one that has, the state that gateway reports.
 *
 * @param serverId - the server.
 * @param spaceId - the Space whose cache is empty for it.
 * @param gateway - the running gateway, or `undefined` when none runs.
 * @example
 * ```ts
 * const note = describeNotConnected('memory', 'work', { url: 'http://127.0.0.1:45818/mcp', pid: 4242 });
 * `${note.summary}: ${note.detail}`;
 * // 'not connected yet in work: the gateway at http://127.0.0.1:45818/mcp (pid 4242) is running and connects to it when a client uses Space work'
 * ```
 */
export function describeNotConnected(
  serverId: string,
  spaceId: string,
  gateway: GatewayPresence | undefined,
): NotConnectedNote {
  if (gateway === undefined) {
    return {
      summary: `never connected in ${spaceId}`,
      detail: `the gateway is not running (\`mcpmux start\`), or run \`mcpmux server add ${serverId} --space ${spaceId}\` without --no-connect`,
    };
  }
  const running = `the gateway at ${gateway.url} (pid ${gateway.pid})`;
  return {
    summary: `not connected yet in ${spaceId}`,
    detail:
      gateway.upstreamState === undefined
        ? `${running} is running and connects to it when a client uses Space ${spaceId}`
        : `${running} reports it ${gateway.upstreamState} (\`mcpmux logs ${serverId}\` shows why)`,
  };
}
