/** A per-key (per-IP) fixed-window request limiter. */
export interface RateLimiter {
  /** Counts one request of `key`; returns 0 when allowed, else the seconds until the window ends. */
  take(key: string): number;
}

/**
 * A limiter allowing `perMinute` requests per key in each one-minute window. Memory is bounded:
 * windows are dropped when they end, and at most 10,000 keys are tracked.
 *
 * @example
 * ```ts
 * const limit = createRateLimiter(60);
 * if (limit.take(req.socket.remoteAddress ?? '') > 0) { // answer 429 }
 * ```
 */
export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key) {
      const t = now();
      let w = windows.get(key);
      if (w === undefined || t - w.start >= 60_000) {
        if (windows.size >= 10_000) {
          for (const [k, v] of windows) if (t - v.start >= 60_000) windows.delete(k);
          if (windows.size >= 10_000) windows.clear();
        }
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count > perMinute ? Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000)) : 0;
    },
  };
}
