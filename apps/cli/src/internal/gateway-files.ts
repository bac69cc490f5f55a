// What a home's background gateway leaves in the home (its lock, its stop marker, its log) and how
// to find the one that runs. Kept apart from the launcher (`gateway-process.ts`, which spawns and
// signals processes) so that `status` loads only this and the home's light entry.
import { join, resolve } from 'node:path';
import type { GatewayInfo } from '@mcpmux/server';

/** The detached gateway's output, inside `<home>/logs`. */
const GATEWAY_LOG_FILE = 'gateway.log';
/** The start lock inside the home: created exclusively, holding the starter's pid. */
const GATEWAY_LOCK_FILE = 'gateway.lock';
/** The marker `mcpmux stop` leaves in the home: the gateway was stopped on purpose. */
const GATEWAY_STOPPED_FILE = 'gateway.stopped';

/** Paths of a home's gateway files. */
export function gatewayPaths(home: string): {
  home: string;
  lock: string;
  stopped: string;
  logDir: string;
  log: string;
} {
  const abs = resolve(home);
  return {
    home: abs,
    lock: join(abs, GATEWAY_LOCK_FILE),
    stopped: join(abs, GATEWAY_STOPPED_FILE),
    logDir: join(abs, 'logs'),
    log: join(abs, 'logs', GATEWAY_LOG_FILE),
  };
}

/**
 * The home's running gateway: its `gateway.json` names a live process and its socket answers.
 * Without `gateway.json` nothing is probed.
 *
 * @param home - the mcpmux home.
 * @returns the gateway's info, or `undefined` when none runs.
 */
export async function runningGateway(home: string): Promise<GatewayInfo | undefined> {
  const { readGatewayInfo, probeGatewaySocket } = await import('@mcpmux/server/home');
  const info = await readGatewayInfo(home);
  if (info === undefined) return undefined;
  return (await probeGatewaySocket(info.socket)) === 'live' ? info : undefined;
}
