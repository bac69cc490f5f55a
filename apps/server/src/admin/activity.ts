import type { GatewayObserver } from '@mcpmux/gateway';

/** Calls and errors in one minute. */
export interface MinuteCount {
  /** The minute's start, ISO 8601 (`2026-01-01T10:04:00.000Z`). */
  minute: string;
  calls: number;
  errors: number;
}

/** Counts audited calls per minute over the last hour (a ring of 60 slots). */
export interface ActivityCounter {
  /** Feeds it from the gateway (`call` events). */
  observer: GatewayObserver;
  /** The last 60 minutes, oldest first, the current minute last; minutes without calls are zeros. */
  minutes(): MinuteCount[];
}

const MINUTE = 60_000;
const SLOTS = 60;

/**
 * Creates the per-minute call counter of the dashboard: one slot per minute, reused after an hour.
 * A call whose outcome is not `ok` counts as an error.
 *
 * @param now - milliseconds clock; default `Date.now`.
 * @example
 * ```ts
 * const activity = createActivityCounter();
 * const gateway = createGateway({ store, vault, observer: activity.observer });
 * activity.minutes().at(-1); // { minute: '...', calls: 3, errors: 0 }
 * ```
 */
export function createActivityCounter(now: () => number = Date.now): ActivityCounter {
  const slots: { minute: number; calls: number; errors: number }[] = Array.from({ length: SLOTS }, () => ({
    minute: -1,
    calls: 0,
    errors: 0,
  }));
  const slotFor = (minute: number) => {
    const slot = slots[minute % SLOTS] as { minute: number; calls: number; errors: number };
    if (slot.minute !== minute) {
      slot.minute = minute;
      slot.calls = 0;
      slot.errors = 0;
    }
    return slot;
  };
  return {
    observer: {
      call(event) {
        const slot = slotFor(Math.floor(now() / MINUTE));
        slot.calls++;
        if (event.outcome !== 'ok') slot.errors++;
      },
    },
    minutes() {
      const current = Math.floor(now() / MINUTE);
      const out: MinuteCount[] = [];
      for (let m = current - SLOTS + 1; m <= current; m++) {
        const slot = slots[m % SLOTS];
        const counted = slot !== undefined && slot.minute === m;
        out.push({
          minute: new Date(m * MINUTE).toISOString(),
          calls: counted ? slot.calls : 0,
          errors: counted ? slot.errors : 0,
        });
      }
      return out;
    },
  };
}
