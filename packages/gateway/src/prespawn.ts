/**
 * `@mcpmux/gateway/prespawn`: starts the active Space's stdio upstreams before the gateway itself is
 * loaded, so that their own start-up (often most of a gateway's time to its first answer) overlaps
 * the loading of the gateway, the MCP SDK and the server around them. The gateway's connect later
 * adopts each child that it would have spawned with exactly the same command, arguments, working
 * directory and environment; any other is killed unused after `ttlMs`.
 *
 * Only literal configurations are started ahead: a server whose command, arguments, environment or
 * working directory holds a `${secret:NAME}` or `${env:NAME}` reference waits for the gateway (no
 * credential is read here, and no environment variable reaches a child this way that the gateway
 * would withhold). This entry loads neither the MCP SDK nor the gateway.
 */
import type { SpaceStore } from '@mcpmux/space-store';
import { resolveServerConfig, type Vault } from '@mcpmux/vault';
import { pickInheritedEnv } from './internal/upstream/inherited-env.js';
import { prespawn } from './internal/upstream/prespawned.js';

/** Options of {@link prespawnUpstreams}. */
export interface PrespawnOptions {
  /** The store the gateway will run on (read: the active Space and its servers). */
  store: Pick<SpaceStore, 'getActiveSpace' | 'effectiveServers'>;
  /** The environment the gateway will get as `env` (the children inherit `PATH`, `HOME`... from it). */
  env: Record<string, string | undefined>;
  /** How long a started child waits to be adopted before it is killed, in ms. Default 30,000. */
  ttlMs?: number;
}

/** A vault that is never read: literal configurations have no `${secret:}` reference. */
const NO_VAULT = {
  get: () => Promise.reject(new Error('no vault before the gateway starts')),
} as unknown as Vault;

/**
 * Starts the literal stdio servers of the store's active Space now, for the gateway to adopt.
 * Never throws: it is an optimisation, and the gateway reports every real problem itself.
 *
 * @returns the servers started, with the pid of each.
 * @example
 * ```ts
 * const { prespawnUpstreams } = await import('@mcpmux/gateway/prespawn');
 * await prespawnUpstreams({ store, env: process.env }); // then load and start the gateway
 * ```
 */
export async function prespawnUpstreams(
  options: PrespawnOptions,
): Promise<{ serverId: string; pid: number }[]> {
  const started: { serverId: string; pid: number }[] = [];
  try {
    const space = await options.store.getActiveSpace();
    if (space === undefined) return started;
    const inherited = pickInheritedEnv(options.env);
    for (const server of await options.store.effectiveServers(space.id)) {
      const transport = server.transport;
      if (transport.type !== 'stdio' || JSON.stringify(transport).includes('${')) continue;
      try {
        const { config } = await resolveServerConfig(transport, {
          vault: NO_VAULT,
          spaceId: space.id,
          serverId: server.serverId,
          defaultEnabled: server.defaultEnabled,
          env: {},
        });
        const spec = {
          command: config.command,
          args: config.args ?? [],
          env: { ...inherited, ...(config.env ?? {}) },
          cwd: config.cwd,
        };
        const pid = prespawn(spec, options.ttlMs ?? 30_000);
        if (pid !== undefined) started.push({ serverId: server.serverId, pid });
      } catch {
        // left to the gateway
      }
    }
  } catch {
    // left to the gateway
  }
  return started;
}
