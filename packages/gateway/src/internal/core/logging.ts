/**
 * Log-level fan-out (a 2025-era session feature): each Space's upstreams are set to the most verbose
 * level any of its sessions asked for, and upstream log messages go to the sessions that asked for
 * that level and can see the server.
 */
import type { LoggingLevel } from '@modelcontextprotocol/server';
import { LOG_LEVELS, severity } from '../session.js';
import type { UpstreamPoolHandle } from '../upstream/pool.js';
import type { RpcMessage, Upstream } from '../upstream/types.js';
import type { SpaceState } from './spaces.js';

/** Asks an upstream that can log to send messages of `level` (severity index) and above; never rejects. */
export function setUpstreamLogLevel(upstream: Upstream, level: number): void {
  if (upstream.catalog?.capabilities.logging === undefined) return;
  upstream
    .request({ method: 'logging/setLevel', params: { level: LOG_LEVELS[level] as LoggingLevel } })
    .catch(() => undefined);
}

/**
 * Recomputes a Space's level from its sessions and, when it moved to a level, sets it on every
 * ready upstream of the Space.
 */
export function updateSpaceLogLevel(
  pool: Pick<UpstreamPoolHandle, 'get'>,
  spaceId: string,
  state: SpaceState | undefined,
): void {
  if (state === undefined || spaceId === '') return;
  let level: number | undefined;
  for (const s of state.sessions) {
    if (s.logLevel !== undefined && (level === undefined || s.logLevel < level)) level = s.logLevel;
  }
  if (level === state.logLevel) return;
  state.logLevel = level;
  if (level === undefined) return;
  for (const server of state.servers ?? []) {
    const upstream = pool.get(spaceId, server.serverId);
    if (upstream?.state === 'ready') setUpstreamLogLevel(upstream, level);
  }
}

/**
 * Passes an upstream's `notifications/message` to the sessions of its Space that asked for its level
 * and whose current view shows the server.
 */
export function fanOutLogMessage(
  upstream: Upstream,
  message: RpcMessage,
  state: SpaceState | undefined,
): void {
  if (state === undefined) return;
  const params = message.params ?? {};
  const level = severity(params.level);
  for (const s of state.sessions) {
    if (s.logLevel !== undefined && level < s.logLevel) continue;
    if (s.cachedView === undefined || !s.cachedView.visibleServers.has(upstream.serverId)) continue;
    void s.notify({ method: message.method, params });
  }
}
