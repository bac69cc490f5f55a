import { isLoopbackHost } from './http-util.js';

/** Whether a `GET /metrics` may be answered, and why not when it may not. */
export type MetricsAccess = { allowed: true } | { allowed: false; message: string };

/** The message of a refused `GET /metrics`. */
export const METRICS_ADMIN_ONLY =
  'Forbidden: /metrics is open only to requests from this machine on a loopback bind; beyond loopback it is admin-only (scrape it from this host, or bind 127.0.0.1).';

/** True for a loopback peer address, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  return isLoopbackHost(a.startsWith('::ffff:') ? a.slice(7) : a) && a !== 'localhost';
}

/**
 * Decides whether a `GET /metrics` is answered: only when the server is bound to a loopback
 * address and the peer is a loopback address too. Pure: the HTTP layer passes what it knows.
 *
 * @param request - `bindLoopback`: the server's bind address is a loopback one; `remoteAddress`:
 *   the peer's address (`socket.remoteAddress`).
 * @example
 * ```ts
 * metricsAccess({ bindLoopback: true, remoteAddress: '127.0.0.1' }); // { allowed: true }
 * ```
 */
export function metricsAccess(request: {
  bindLoopback: boolean;
  remoteAddress: string | undefined;
}): MetricsAccess {
  if (request.bindLoopback && isLoopbackAddress(request.remoteAddress)) return { allowed: true };
  return { allowed: false, message: METRICS_ADMIN_ONLY };
}
