// Team mode (DESIGN §12): what one replica of several needs to tell the load balancer and clients.
import { randomBytes } from 'node:crypto';
import { McpmuxError } from '@mcpmux/core';

/** What a replica id may be: 1 to 16 lower-case letters and digits (a session id prefix, a header). */
export const REPLICA_ID_PATTERN = /^[a-z0-9]{1,16}$/;

/** The response header that names the replica which answered (only when it has an id). */
export const REPLICA_HEADER = 'mcpmux-replica';

/**
 * Checks a replica id: `[a-z0-9]{1,16}`.
 *
 * @throws `INVALID_INPUT` naming `--replica-id` when it does not match.
 */
export function parseReplicaId(value: string): string {
  if (!REPLICA_ID_PATTERN.test(value)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `Replica id "${value.slice(0, 40)}" is not valid: use 1 to 16 lower-case letters and digits (--replica-id or MCPMUX_REPLICA_ID), e.g. r1.`,
      { data: { field: 'replicaId' } },
    );
  }
  return value;
}

/**
 * The session id generator of a replica: `<replicaId>.<16 random bytes, base64url>`, or the random
 * part alone without a replica id. The load balancer routes on the prefix (docs/team.md), so the
 * replica that created a session receives its later requests.
 */
export function replicaSessionIds(
  replicaId: string | undefined,
  random: () => string = () => randomBytes(16).toString('base64url'),
): () => string {
  return replicaId === undefined ? random : () => `${replicaId}.${random()}`;
}

/**
 * The replica a session id names (its prefix before the first `.`), or undefined for an id without
 * one. Pure; the nginx `map` of docs/team.md does the same match.
 */
export function replicaOfSession(sessionId: string): string | undefined {
  const dot = sessionId.indexOf('.');
  if (dot <= 0) return undefined;
  const prefix = sessionId.slice(0, dot);
  return REPLICA_ID_PATTERN.test(prefix) ? prefix : undefined;
}
