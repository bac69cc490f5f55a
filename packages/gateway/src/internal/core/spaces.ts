/**
 * The Space registry: per Space its servers (read from the store, cached until a change), its
 * sessions and their combined log level, naming reports; connecting ("warming") a Space's upstreams,
 * the upstream for a route, failure reports, and syncing a Space's upstreams after a change.
 */
import type { EffectiveServer, SpaceStore } from '@mcpmux/space-store';
import { messageOf } from '../errors.js';
import { parseUpstreamKey, type UpstreamKey, upstreamKey } from '../keys.js';
import type { GatewayLogger } from '../logger.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import type { Upstream, UpstreamCatalog, UpstreamServerConfig } from '../upstream/types.js';
import type { Route, SpaceReport } from '../view.js';
import type { SessionCaller, ViewHolder } from './caller.js';
import { SerialRuns } from './serial-runs.js';

/** A session as its Space sees it. */
export type SpaceMember = SessionCaller & ViewHolder;

/** What the gateway keeps per Space. */
export interface SpaceState {
  servers: EffectiveServer[] | undefined;
  loading: Promise<EffectiveServer[]> | undefined;
  sessions: Set<SpaceMember>;
  /** Most verbose level any session of the Space asked for (undefined: none asked). */
  logLevel: number | undefined;
  reports: SpaceReport[];
}

/** A server the gateway could not connect, as `status()` reports it. */
export interface UpstreamFailure {
  spaceId: string;
  kind: 'upstream-failed';
  message: string;
}

/** Upstream states in which a catalog is not served. */
export const NOT_DISCOVERABLE: ReadonlySet<string> = new Set(['circuit-open', 'closed']);
/** Upstream states in which a request must connect first. */
export const NEEDS_CONNECT: ReadonlySet<string> = new Set(['idle', 'connecting', 'closed']);

/** What {@link SpaceRegistry} needs. */
export interface SpaceRegistryDeps {
  store: Pick<SpaceStore, 'effectiveServers'>;
  /** The pool (created after the registry, hence a getter). */
  pool: () => Pick<UpstreamPoolHandle, 'get' | 'acquire' | 'sync'>;
  logger: GatewayLogger;
  connectTimeoutMs: number;
  /** Resolves when the gateway starts closing: no warm waits past it. */
  closing: Promise<void>;
  isClosed: () => boolean;
}

/** Spaces, their servers and upstream readiness. */
export class SpaceRegistry {
  /** The active Space as last read from the store. */
  activeSpaceId: string | undefined;
  private readonly spaces = new Map<string, SpaceState>();
  private readonly failures = new Map<UpstreamKey, UpstreamFailure>();
  /** Upstream syncs, one running per Space. */
  private readonly syncs: SerialRuns<string>;

  constructor(private readonly deps: SpaceRegistryDeps) {
    this.syncs = new SerialRuns({
      work: (spaceId) => this.syncSpace(spaceId),
      onError: (spaceId, err) =>
        deps.logger.warn(
          { spaceId, error: messageOf(err) },
          'gateway: could not sync the upstreams of a Space',
        ),
      stopped: deps.isClosed,
    });
  }

  /** The state of a Space, created empty on first use. */
  state(spaceId: string): SpaceState {
    let state = this.spaces.get(spaceId);
    if (state === undefined) {
      state = {
        servers: undefined,
        loading: undefined,
        sessions: new Set(),
        logLevel: undefined,
        reports: [],
      };
      this.spaces.set(spaceId, state);
    }
    return state;
  }

  /** The state of a Space the gateway has seen (undefined: none yet). */
  get(spaceId: string): SpaceState | undefined {
    return this.spaces.get(spaceId);
  }

  /** The Spaces the gateway holds state for. */
  ids(): string[] {
    return [...this.spaces.keys()];
  }

  /** Naming reports of every Space and upstream failures, for `status()`. */
  reports(): (SpaceReport | UpstreamFailure)[] {
    const out: (SpaceReport | UpstreamFailure)[] = [];
    for (const state of this.spaces.values()) out.push(...state.reports);
    out.push(...this.failures.values());
    return out;
  }

  /** The servers of a Space, read once and cached until {@link forgetServers}. */
  serversOf(spaceId: string): Promise<EffectiveServer[]> {
    const state = this.state(spaceId);
    if (state.servers !== undefined) return Promise.resolve(state.servers);
    if (state.loading === undefined) {
      const loading = this.deps.store.effectiveServers(spaceId).then(
        (servers) => {
          if (state.loading === loading) {
            state.servers = servers;
            state.loading = undefined;
          }
          return servers;
        },
        (err: unknown) => {
          if (state.loading === loading) state.loading = undefined;
          throw err;
        },
      );
      state.loading = loading;
    }
    return state.loading;
  }

  /** Drops the cached server list of a Space (an effective-servers load under way is ignored). */
  forgetServers(spaceId: string): void {
    const state = this.spaces.get(spaceId);
    if (state === undefined) return;
    state.servers = undefined;
    state.loading = undefined;
  }

  /** Keeps the naming reports of a Space, logging those that are new. */
  noteReports(spaceId: string, reports: SpaceReport[]): void {
    const state = this.state(spaceId);
    const before = new Set(state.reports.map((r) => r.message));
    for (const r of reports) if (!before.has(r.message)) this.deps.logger.warn({}, `gateway: ${r.message}`);
    state.reports = reports;
  }

  /**
   * Starts connecting every server of the Space that is not connected yet (those `only` accepts, when
   * given); resolves once all of them are ready or failed.
   */
  async connectSpace(spaceId: string, only?: (server: EffectiveServer) => boolean): Promise<void> {
    if (this.deps.isClosed()) return;
    let servers: EffectiveServer[];
    try {
      servers = await this.serversOf(spaceId);
    } catch (err) {
      this.deps.logger.warn(
        { spaceId, error: messageOf(err) },
        'gateway: could not load the servers of a Space',
      );
      return;
    }
    const pending: Promise<unknown>[] = [];
    for (const server of servers) {
      if (only !== undefined && !only(server)) continue;
      const upstream = this.deps.pool().get(spaceId, server.serverId);
      if (upstream !== undefined && !NEEDS_CONNECT.has(upstream.state)) continue;
      pending.push(this.acquire(spaceId, server).catch(() => undefined));
    }
    await Promise.all(pending);
  }

  /** {@link connectSpace}, waiting at most the connect timeout (and not past `close`). */
  async warm(spaceId: string, only?: (server: EffectiveServer) => boolean): Promise<void> {
    if (this.deps.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.connectTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.connectSpace(spaceId, only), timeout, this.deps.closing]);
    clearTimeout(timer);
  }

  /** The connected upstream for a route; connects lazily, fails with the server's state otherwise. */
  async upstreamFor(spaceId: string, route: Route): Promise<Upstream> {
    const upstream = this.deps.pool().get(spaceId, route.serverId);
    if (upstream !== undefined && !NEEDS_CONNECT.has(upstream.state)) return upstream;
    return this.acquire(spaceId, route.server);
  }

  /** The catalogs of the Space's servers that are connected and discoverable now. */
  catalogsOf(spaceId: string, servers: readonly EffectiveServer[]): Map<string, UpstreamCatalog> {
    const catalogs = new Map<string, UpstreamCatalog>();
    for (const server of servers) {
      const upstream = this.deps.pool().get(spaceId, server.serverId);
      if (upstream === undefined || upstream.catalog === undefined || NOT_DISCOVERABLE.has(upstream.state))
        continue;
      catalogs.set(server.serverId, upstream.catalog);
    }
    return catalogs;
  }

  /**
   * Syncs a Space's upstreams with its servers (closes removed or reconfigured ones, reconnects)
   * in the background; at most one sync per Space runs, and one more follows when asked meanwhile.
   */
  requestSync(spaceId: string): void {
    this.syncs.request(spaceId);
  }

  /** Resolves once the running syncs ended. */
  async close(): Promise<void> {
    await this.syncs.settled();
  }

  private async acquire(spaceId: string, server: EffectiveServer): Promise<Upstream> {
    const key = upstreamKey(spaceId, server.serverId);
    try {
      const upstream = await this.deps.pool().acquire(spaceId, server as UpstreamServerConfig);
      this.failures.delete(key);
      return upstream;
    } catch (err) {
      const message = `Server "${server.serverId}" in Space "${spaceId}" is unavailable: ${messageOf(err)}`;
      if (this.failures.get(key)?.message !== message) this.deps.logger.warn({}, `gateway: ${message}`);
      this.failures.set(key, { spaceId, kind: 'upstream-failed', message });
      throw err;
    }
  }

  private async syncSpace(spaceId: string): Promise<void> {
    const state = this.spaces.get(spaceId);
    if (state === undefined) return;
    let servers: EffectiveServer[];
    try {
      servers = await this.serversOf(spaceId);
    } catch {
      servers = [];
    }
    await this.deps.pool().sync(spaceId, servers as UpstreamServerConfig[]);
    for (const key of this.failures.keys()) {
      if (parseUpstreamKey(key).spaceId === spaceId) this.failures.delete(key);
    }
    if (state.sessions.size > 0 || spaceId === this.activeSpaceId) void this.warm(spaceId);
  }
}
