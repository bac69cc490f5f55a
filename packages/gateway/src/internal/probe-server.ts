import type { DiscoveredFeature } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import { resolveServerConfig } from '@mcpmux/vault';
import { probeServer as probeCatalog } from '../probe.js';
import { catalogToDiscovered } from './discovered.js';
import type { GatewayLogger } from './logger.js';
import type { UpstreamServerConfig } from './upstream/types.js';

/** Context of {@link probeServer}. */
export interface ProbeServerContext {
  /** Where `${secret:NAME}` values come from. */
  vault: Vault;
  /** The Space whose credentials are used. */
  spaceId: string;
  /** Values for `${env:NAME}`, and the allow-listed variables (PATH, HOME...) of a stdio child. Default `{}`. */
  env?: Record<string, string | undefined>;
  /** Limit for connecting and discovering everything, in ms. Default 30,000. */
  timeoutMs?: number;
  /** Directory for the child's stderr log (secrets redacted). Default: discarded. */
  logDir?: string;
  /** Default: silent. */
  logger?: GatewayLogger;
}

/**
 * Connects to a server once with the Space's credentials, discovers every tool, prompt, resource
 * and resource template, disconnects (no child process is left) and returns the features in the
 * store's `replaceDiscovered` shape. For `mcpmux server add` validation and discovery.
 *
 * @param server - the server (an `EffectiveServer` from the store fits).
 * @param ctx - see {@link ProbeServerContext}.
 * @returns the discovered features (templates are resources named by their URI template).
 * @throws `UPSTREAM_UNAVAILABLE` when it cannot start, connect or initialize in time (the message
 *   says why); `SECRET_MISSING`, `VAULT_LOCKED`, `INVALID_INPUT` from resolving the config.
 * @example
 * ```ts
 * const [server] = await store.effectiveServers('work');
 * const features = await probeServer(server, { vault, spaceId: 'work', env: process.env });
 * await store.replaceDiscovered('work', server.serverId, features);
 * ```
 */
export async function probeServer(
  server: UpstreamServerConfig,
  ctx: ProbeServerContext,
): Promise<DiscoveredFeature[]> {
  const env = ctx.env ?? {};
  const catalog = await probeCatalog(server, {
    spaceId: ctx.spaceId,
    baseEnv: env,
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
    ...(ctx.logDir === undefined ? {} : { logDir: ctx.logDir }),
    ...(ctx.logger === undefined ? {} : { logger: ctx.logger }),
    resolveConfig: async (spaceId, s) => {
      const { config, secretValues } = await resolveServerConfig(s.transport, {
        vault: ctx.vault,
        spaceId,
        serverId: s.serverId,
        defaultEnabled: s.defaultEnabled,
        env,
      });
      return { config: { ...s, transport: config }, secretValues };
    },
  });
  return catalogToDiscovered(server.serverId, catalog);
}
