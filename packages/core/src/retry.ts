/** Options of {@link retrySync}. */
export interface RetrySyncOptions {
  /** Give up (rethrow the last error) after this many milliseconds. */
  timeoutMs: number;
  /** Which errors are worth another try; any other error is rethrown at once. */
  retryIf: (error: unknown) => boolean;
}

/**
 * Runs `fn`, retrying with a short synchronous back-off (2 ms doubling to 50 ms) while it throws an
 * error that `retryIf` accepts, until `timeoutMs` has passed. For synchronous drivers such as
 * better-sqlite3, where a lock can be refused without the driver's own busy handler being consulted.
 *
 * @returns what `fn` returns
 * @throws the last error of `fn` once the time is up, or at once for an error `retryIf` rejects
 * @example
 * ```ts
 * retrySync(() => db.pragma('journal_mode = WAL'), {
 *   timeoutMs: 5000,
 *   retryIf: (e) => (e as { code?: string }).code === 'SQLITE_BUSY',
 * });
 * ```
 */
export function retrySync<T>(fn: () => T, options: RetrySyncOptions): T {
  const deadline = Date.now() + options.timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      return fn();
    } catch (e) {
      if (!options.retryIf(e) || Date.now() >= deadline) throw e;
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

/** True for a SQLite "database is locked" error (`code: 'SQLITE_BUSY'`), as better-sqlite3 throws it. */
export function isSqliteBusy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_BUSY';
}
