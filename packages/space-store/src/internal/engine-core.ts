import { McpmuxError, type SqlConnection } from '@mcpmux/core';
import { CHANGE_KINDS } from '../change-kinds.js';
import type { ChangeKind, Feature, PolicyContext, Space, StoreChange, WatchOptions } from '../types.js';
import { invalid, notFound } from './errors.js';
import { nodeCrypto } from './node-crypto.js';
import type { Repo, StoreTx } from './repo.js';
import {
  CATALOG_KEY_KINDS,
  CHANGE_ROWS_KEPT,
  PRUNE_EVERY,
  SETS_KEY_KINDS,
  summarizeChanges,
} from './rules/changes.js';
import { ConfigHashMemo, toEffectiveServer } from './rules/effective.js';
import { checkId } from './rules/input.js';

/** Options of a store engine (and of `openSqliteSpaceStore`). */
export interface StoreEngineOptions {
  /** The clock for every timestamp and for key expiry. Default `() => new Date()`. */
  clock?: () => Date;
  /** Random bytes for access keys and tokens. Default `crypto.randomBytes`. */
  random?: (n: number) => Uint8Array;
  /** Reuse the result of `loadPolicyContext` until the next change. Default true. */
  policyCache?: boolean;
}

/**
 * A hook run inside the `deleteSpace` transaction, after the store's checks and before its rows go:
 * `tx` is the transaction's SQL connection (`undefined` on a store without SQL). A hook that throws
 * (or rejects) aborts the deletion.
 */
export type SpaceDeletionHook = (spaceId: string, tx: SqlConnection | undefined) => void | Promise<void>;

/** The transaction of one engine write: the repo's operations and the change log. */
export class WriteScope {
  /** Changes recorded in this transaction. */
  changes = 0;

  constructor(
    readonly tx: StoreTx,
    private readonly core: EngineCore,
  ) {}

  /** Records a change (watchers in every process hear of it once the transaction commits). */
  async change(kind: ChangeKind, spaceId: string | null = null): Promise<void> {
    await this.tx.appendChange(kind, spaceId, this.core.now());
    this.changes++;
    await this.core.maybePruneChanges(this.tx);
  }
}

/** Parsed sets and catalog rows of one Space, each valid while its change key stays the same. */
interface SpacePartsCache {
  setsKey: number | null;
  featureSets: PolicyContext['featureSets'];
  featuresKey: number | null;
  features: Feature[];
}

interface CachedContext {
  stamp: string;
  value: PolicyContext | undefined;
}

interface Listener {
  stop: () => void;
}

/**
 * The plumbing of the store engine, backend-neutral: transactions with the change log, watchers,
 * the policy cache and the per-Space memo, deletion hooks. `StoreEngine` adds the entity methods.
 */
export class EngineCore {
  protected readonly clock: () => Date;
  protected readonly random: (n: number) => Uint8Array;
  protected readonly deletionHooks = new Set<SpaceDeletionHook>();
  private readonly policyCacheEnabled: boolean;
  private readonly policyCache = new Map<string, CachedContext>();
  private readonly spaceCache = new Map<string, SpacePartsCache>();
  private readonly hashes = new ConfigHashMemo();
  private readonly listeners = new Map<(change: StoreChange) => void, Listener>();
  private cursor = 0;
  private cursorReady: Promise<void> | undefined;
  private polling: Promise<void> = Promise.resolve();
  private localRevision = 0;
  private writesSincePrune = 0;
  private closed = false;

  constructor(
    protected readonly repo: Repo,
    options: StoreEngineOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? ((n) => nodeCrypto().randomBytes(n));
    this.policyCacheEnabled = options.policyCache ?? true;
  }

  /**
   * Registers a hook that runs INSIDE the `deleteSpace` transaction, after the store's checks and
   * before its rows go, with the transaction's SQL connection. A hook that throws aborts the
   * deletion (nothing is removed). Returns a function that unregisters the hook.
   *
   * @example
   * ```ts
   * store.addSpaceDeletionHook((spaceId, tx) => vault.deleteSpaceSync(spaceId));
   * ```
   */
  addSpaceDeletionHook(hook: SpaceDeletionHook): () => void {
    this.deletionHooks.add(hook);
    return () => {
      this.deletionHooks.delete(hook);
    };
  }

  /** The clock's time in ms. @internal */
  now(): Date {
    return new Date(this.clock().getTime());
  }

  protected assertOpen(): void {
    if (this.closed) throw new McpmuxError('INTERNAL', 'The space store is closed.');
  }

  /** Prunes old change rows once per {@link PRUNE_EVERY} changes. @internal */
  async maybePruneChanges(tx: StoreTx): Promise<void> {
    if (++this.writesSincePrune < PRUNE_EVERY) return;
    this.writesSincePrune = 0;
    await tx.pruneChanges(CHANGE_ROWS_KEPT);
  }

  /** Runs `fn` in one write transaction; after a commit that recorded changes, tells watchers at once. */
  protected async write<T>(fn: (w: WriteScope) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.cursorReady !== undefined) await this.cursorReady;
    let scope: WriteScope | undefined;
    const result = await this.repo.write((tx) => {
      scope = new WriteScope(tx, this);
      return fn(scope);
    });
    if (scope !== undefined && scope.changes > 0) {
      this.localRevision++;
      this.policyCache.clear();
      if (this.listeners.size > 0) await this.poll();
    }
    return result;
  }

  /** Runs `fn` in one read snapshot. */
  protected read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.repo.read(fn);
  }

  protected async requireSpace(tx: StoreTx, id: string): Promise<Space> {
    const space = await tx.getSpace(id);
    if (space === undefined) throw notFound('space', id);
    return space;
  }

  // -- The per-request query ---------------------------------------------------------------------

  /** See `SpaceStore.loadPolicyContext`: the hot path, answered from the cache while nothing changed. */
  async loadPolicyContext(client: string, space?: string): Promise<PolicyContext | undefined> {
    const clientId = checkId(client, 'client id');
    const spaceId = space === undefined ? undefined : checkId(space, 'space id');
    this.assertOpen();
    if (!this.policyCacheEnabled)
      return this.repo.read((tx) => this.readPolicyContext(tx, clientId, spaceId, false));
    // The stamp is read before the snapshot: a write racing in only makes the next call recompute.
    const stamp = `${this.repo.commitStamp()}:${this.localRevision}`;
    const key = `${clientId}\0${spaceId ?? ''}`;
    const hit = this.policyCache.get(key);
    if (hit !== undefined && hit.stamp === stamp) return hit.value;
    const value = await this.repo.read((tx) => this.readPolicyContext(tx, clientId, spaceId, true));
    if (this.policyCache.size >= 1024) this.policyCache.clear();
    this.policyCache.set(key, { stamp, value });
    return value;
  }

  private async readPolicyContext(
    tx: StoreTx,
    clientId: string,
    spaceId: string | undefined,
    useCache: boolean,
  ): Promise<PolicyContext | undefined> {
    const client = await tx.getClient(clientId);
    if (client === undefined) return undefined;
    let space: Space | undefined;
    if (spaceId !== undefined) space = await this.requireSpace(tx, spaceId);
    else if (client.mode === 'pinned' && client.pinnedSpaceId !== undefined)
      space = await tx.getSpace(client.pinnedSpaceId);
    else space = await tx.getActiveSpace();
    if (space === undefined) return undefined;
    const grants = (await tx.listGrants(clientId, space.id)).map((g) => g.setId);
    const parts = await this.readSpaceParts(tx, space.id, useCache);
    return { client, space, ...parts, grants, revision: await tx.revision() };
  }

  /** The effective servers of a Space. */
  protected async readEffective(tx: StoreTx, spaceId: string) {
    return (await tx.listEffective(spaceId)).map((row) => toEffectiveServer(row, this.hashes));
  }

  /** The client-independent part of a policy context, shared by every client of the Space. */
  private async readSpaceParts(
    tx: StoreTx,
    spaceId: string,
    useCache: boolean,
  ): Promise<Pick<PolicyContext, 'servers' | 'featureSets' | 'catalog'>> {
    const servers = await this.readEffective(tx, spaceId);
    const cached = useCache ? this.spaceCache.get(spaceId) : undefined;
    // The newest change of a kind touching the Space: parsed rows stay valid while it does not move.
    const setsKey = await tx.latestChange(SETS_KEY_KINDS, spaceId);
    const featuresKey = await tx.latestChange(CATALOG_KEY_KINDS, spaceId);
    const featureSets =
      cached !== undefined && cached.setsKey === setsKey
        ? cached.featureSets
        : (await tx.listFeatureSets({ spaceId })).map(({ spaceId: _, ...set }) => set);
    const features =
      cached !== undefined && cached.featuresKey === featuresKey
        ? cached.features
        : await tx.listCatalog(spaceId);
    if (useCache) {
      if (this.spaceCache.size >= 64) this.spaceCache.clear();
      this.spaceCache.set(spaceId, { setsKey, featureSets, featuresKey, features });
    }
    const effective = new Set(servers.map((s) => s.serverId));
    const catalog = features.every((f) => effective.has(f.server))
      ? features
      : features.filter((f) => effective.has(f.server));
    return { servers, featureSets, catalog };
  }

  // -- Watching ------------------------------------------------------------------------------------

  /** Reads change rows past the cursor and tells the listeners; serialized. */
  private poll(): Promise<void> {
    this.polling = this.polling.then(
      () => this.pollOnce(),
      () => this.pollOnce(),
    );
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (this.closed || this.listeners.size === 0) return;
    if (this.cursorReady !== undefined) await this.cursorReady;
    let rows: Awaited<ReturnType<StoreTx['changesSince']>>;
    try {
      rows = await this.repo.read((tx) => tx.changesSince(this.cursor));
    } catch {
      return; // busy or closed: the next commit notice tries again
    }
    if (rows.length === 0 || this.listeners.size === 0) return;
    const change = summarizeChanges(rows, this.cursor);
    this.cursor = change.revision;
    this.tell(change);
  }

  private tell(change: StoreChange): void {
    this.policyCache.clear();
    for (const listener of [...this.listeners.keys()]) {
      try {
        listener(change);
      } catch {
        // A failing listener must not stop the others or the writer.
      }
    }
  }

  /** See `SpaceStore.watch`. */
  watch(listener: (change: StoreChange) => void, opts: WatchOptions = {}): () => void {
    this.assertOpen();
    const interval = opts.intervalMs ?? 50;
    if (!Number.isFinite(interval) || interval < 1)
      throw invalid('intervalMs', 'must be a positive number of ms');
    if (this.listeners.size === 0) {
      // The cursor is read asynchronously: a commit by another writer in between cannot be told
      // apart from older ones, so it is reported as "anything may have changed".
      const stamp = this.repo.commitStamp();
      this.cursorReady = this.repo
        .read(async (tx) => ({ revision: await tx.revision(), moved: this.repo.commitStamp() !== stamp }))
        .then(
          ({ revision, moved }) => {
            this.cursor = revision;
            if (moved && revision > 0) this.tell({ revision, kinds: new Set(CHANGE_KINDS) });
          },
          () => {},
        );
    }
    const stop = this.repo.watchCommits(
      () => {
        void this.poll();
      },
      { intervalMs: interval },
    );
    this.listeners.get(listener)?.stop();
    this.listeners.set(listener, { stop });
    return () => {
      if (this.listeners.get(listener)?.stop !== stop) return;
      stop();
      this.listeners.delete(listener);
    };
  }

  /** Stops watchers and closes the repo. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { stop } of this.listeners.values()) stop();
    this.listeners.clear();
    this.policyCache.clear();
    this.spaceCache.clear();
    await this.polling.catch(() => {});
    await this.repo.close();
  }
}
