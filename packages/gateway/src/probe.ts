import { isMcpmuxError, McpmuxError } from '@mcpmux/core';
import type { Implementation } from '@modelcontextprotocol/server';
import type { UpstreamLogger } from './internal/upstream/connection.js';
import { createUpstreamPool, type ResolveUpstreamConfig } from './internal/upstream/pool.js';
import type { UpstreamCatalog, UpstreamServerConfig } from './internal/upstream/types.js';

/** Options of {@link probeServer}. */
export interface ProbeOptions {
  /** Resolves secrets of the server's config (the vault's `resolveServerConfig`). Default: the config as is, no secrets. */
  resolveConfig?: ResolveUpstreamConfig;
  /** The Space passed to `resolveConfig`. Default `'default'`. */
  spaceId?: string;
  /** Limit for connecting and discovering everything. Default 30 000 ms. */
  timeoutMs?: number;
  /** The client name and version sent in `initialize`. Default `{ name: 'mcpmux-probe', version: '0.0.0' }`. */
  clientInfo?: Implementation;
  /** Where the child's stderr goes (`<logDir>/<spaceId>/<serverId>.log`, secrets redacted). Default: discarded. */
  logDir?: string;
  /** The environment allow-listed variables of a stdio child come from. Default `process.env`. */
  baseEnv?: Record<string, string | undefined>;
  /** Pino-like logger. Default: silent. */
  logger?: UpstreamLogger;
}

/**
 * Connects to a server once, discovers all its tools, prompts, resources and resource templates
 * (every page), disconnects (no child process is left running) and returns what it found.
 *
 * @param server - the server to probe (stdio, Streamable HTTP or SSE).
 * @param options - see {@link ProbeOptions}.
 * @returns the server's catalog, with `version` 1.
 * @throws `McpmuxError('UPSTREAM_UNAVAILABLE')` when it cannot start, connect or initialize within
 *   `timeoutMs` (the message says why); `SECRET_MISSING`/`VAULT_LOCKED` from `resolveConfig`.
 * @example
 * ```ts
 * const catalog = await probeServer({
 *   serverId: 'everything',
 *   defaultEnabled: false,
 *   transport: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
 * });
 * console.log(catalog.tools.map((t) => t.name));
 * ```
 */
export async function probeServer(
  server: UpstreamServerConfig,
  options: ProbeOptions = {},
): Promise<UpstreamCatalog> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = createUpstreamPool({
    resolveConfig: options.resolveConfig ?? (async (_spaceId, s) => ({ config: s, secretValues: [] })),
    connectTimeoutMs: timeoutMs,
    callTimeoutMs: timeoutMs,
    idleMs: Number.POSITIVE_INFINITY,
    backoff: { maxCrashes: 1 },
    clientInfo: options.clientInfo ?? { name: 'mcpmux-probe', version: '0.0.0' },
    ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
    ...(options.baseEnv === undefined ? {} : { baseEnv: options.baseEnv }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    const upstream = await pool.acquire(options.spaceId ?? 'default', server);
    const catalog = upstream.catalog;
    if (catalog === undefined) throw new McpmuxError('INTERNAL', 'Discovery did not complete.');
    return catalog;
  } catch (error) {
    if (isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE') && typeof error.data?.reason === 'string') {
      throw new McpmuxError(
        'UPSTREAM_UNAVAILABLE',
        `Server "${server.serverId}" could not be probed: ${error.data.reason}`,
        {
          data: { serverId: server.serverId, reason: error.data.reason },
        },
      );
    }
    throw error;
  } finally {
    await pool.close();
  }
}
