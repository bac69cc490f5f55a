/** Keyed background work that runs at most once at a time per key, and again while asked meanwhile. */

/** Options of {@link SerialRuns}. */
export interface SerialRunsOptions<K> {
  /** The work for one key. */
  work: (key: K) => Promise<void>;
  /** Called when `work` throws; the run goes on with the next round. */
  onError: (key: K, err: unknown) => void;
  /** True once no new round may start (the gateway closed). */
  stopped: () => boolean;
}

/**
 * Runs `work(key)` in the background, at most one run per key at a time; a key asked for while its
 * run is under way gets one more round. Used for per-Space upstream syncs and per-session
 * list_changed checks.
 */
export class SerialRuns<K> {
  private readonly running = new Map<K, Promise<void>>();
  private readonly wanted = new Set<K>();

  constructor(private readonly options: SerialRunsOptions<K>) {}

  /** Marks `key` as wanting a round, without starting one. */
  want(key: K): void {
    this.wanted.add(key);
  }

  /** Forgets that `key` wants a round (a round under way finishes). */
  forget(key: K): void {
    this.wanted.delete(key);
  }

  /** The keys that want a round. */
  wantedKeys(): K[] {
    return [...this.wanted];
  }

  /** Starts rounds for `key` when it wants one and none is under way. */
  start(key: K): void {
    if (this.running.has(key) || !this.wanted.has(key) || this.options.stopped()) return;
    const run = async (): Promise<void> => {
      for (;;) {
        // Checked and cleared in one step, so a key asked for meanwhile is never lost.
        if (!this.wanted.delete(key) || this.options.stopped()) {
          this.running.delete(key);
          return;
        }
        try {
          await this.options.work(key);
        } catch (err) {
          this.options.onError(key, err);
        }
      }
    };
    this.running.set(key, run());
  }

  /** {@link want}, then {@link start}. */
  request(key: K): void {
    this.want(key);
    this.start(key);
  }

  /** Resolves once the rounds under way ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }
}
