import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedGroupWatchdog } from '../../src/internal/upstream/group-watchdog.js';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import type { UpstreamServerConfig } from '../../src/internal/upstream/types.js';
import {
  descendants,
  everythingServer,
  fixtureServer,
  groupMembers,
  isAlive,
  plainResolver,
  textOf,
  waitFor,
} from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('process lifecycle', { timeout: 30_000 }, () => {
  it('spawns each stdio child in its own process group and close() leaves no process of any group, nor the watchdog', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const before = descendants();
    const a = await pool.acquire('work', fixtureServer('grand', 'crash.mjs', { FIXTURE_GRANDCHILD: '1' }));
    await pool.acquire('work', everythingServer());
    await pool.acquire('home', fixtureServer('lists', 'list-changing.mjs'));
    const pids = pool.pids();
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(groupMembers(pid)).toContain(pid); // pid is its own group leader
    expect(groupMembers(process.pid)).not.toContain(pids[0]);
    const grandchild = Number(
      textOf(await a.request({ method: 'tools/call', params: { name: 'grandchild_pid' } })),
    );
    expect(isAlive(grandchild)).toBe(true);
    expect(groupMembers(pids[0] as number)).toContain(grandchild);
    const watchdog = sharedGroupWatchdog().pid;
    expect(watchdog).toBeDefined();
    expect(groupMembers(watchdog as number)).toEqual([watchdog]); // its own group, none of the children's

    await pool.close();
    for (const pid of [...pids, grandchild, watchdog as number]) expect(isAlive(pid)).toBe(false);
    for (const pid of pids) expect(groupMembers(pid)).toEqual([]);
    expect(descendants()).toEqual(before);
    expect(pool.status()).toEqual([]);
    expect(a.state).toBe('closed');
    const error = await pool
      .acquire('work', fixtureServer('lists', 'list-changing.mjs'))
      .catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
  });

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'mcpmux-logs-'));
    pool = createUpstreamPool({ resolveConfig: plainResolver(), killGraceMs: 300, logDir });
    await pool.acquire('work', fixtureServer('stubborn', 'crash.mjs', { FIXTURE_IGNORE_SIGTERM: '1' }));
    const [pid] = pool.pids();
    await pool.close();
    expect(isAlive(pid as number)).toBe(false);
    // It did receive (and ignore) SIGTERM first.
    expect(readFileSync(join(logDir, 'work', 'stubborn.log'), 'utf8')).toContain('ignoring SIGTERM');
  });

  it('closes an idle upstream and reconnects it on the next acquire', async () => {
    const states: string[] = [];
    pool = createUpstreamPool({
      resolveConfig: plainResolver(),
      idleMs: 200,
      events: { stateChanged: (u) => states.push(u.state) },
    });
    const server = fixtureServer('lists', 'list-changing.mjs');
    const upstream = await pool.acquire('work', server);
    const [pid] = pool.pids();
    await waitFor(() => upstream.state === 'idle', 5000, 'idle close');
    // The state changes first (new calls fail at once); the child then gets SIGTERM and exits.
    await waitFor(() => !isAlive(pid as number), 5000, 'the idle child to exit');
    expect(pool.pids()).toEqual([]);
    const error = await upstream
      .request({ method: 'tools/call', params: { name: 'tool_000' } })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('is unavailable (idle)');
    const again = await pool.acquire('work', server);
    expect(again).toBe(upstream);
    expect(textOf(await again.request({ method: 'tools/call', params: { name: 'tool_000' } }))).toBe(
      'tool_000',
    );
    expect(states).toEqual(['connecting', 'ready', 'idle', 'connecting', 'ready']);
  });

  it('sync closes upstreams whose server left the Space or whose resolved config changed', async () => {
    let token = 'token-1';
    pool = createUpstreamPool({
      resolveConfig: async (_space, server) => ({
        config:
          server.transport.type === 'stdio'
            ? {
                ...server,
                transport: { ...server.transport, env: { ...server.transport.env, TOKEN: token } },
              }
            : server,
        secretValues: [token],
      }),
    });
    const echo = fixtureServer('echo', 'env-echo.mjs');
    const lists = fixtureServer('lists', 'list-changing.mjs');
    const first = await pool.acquire('work', echo);
    await pool.acquire('work', lists);
    await pool.acquire('home', lists);
    expect(pool.pids()).toHaveLength(3);

    await pool.sync('work', [echo, lists]);
    expect(pool.pids()).toHaveLength(3);

    token = 'token-2';
    await pool.sync('work', [echo]);
    expect(first.state).toBe('closed');
    expect(pool.get('work', 'echo')).toBeUndefined();
    expect(pool.get('work', 'lists')).toBeUndefined();
    expect(pool.get('home', 'lists')?.state).toBe('ready');
    const second = await pool.acquire('work', echo);
    expect(second).not.toBe(first);
    expect(second.key).not.toBe(first.key);
    expect(
      textOf(
        await second.request({
          method: 'tools/call',
          params: { name: 'echo_env', arguments: { name: 'TOKEN' } },
        }),
      ),
    ).toBe('token-2');
    await pool.closeSpace('home');
    expect(pool.status().map((s) => `${s.spaceId}/${s.serverId}`)).toEqual(['work/echo']);
  });

  it('1,000 session-like cycles with syncs and Space closes leave no extra process and no in-flight entry', async () => {
    pool = createUpstreamPool({ resolveConfig: plainResolver() });
    const before = descendants();
    const servers: UpstreamServerConfig[] = [
      fixtureServer('lists', 'list-changing.mjs'),
      fixtureServer('echo', 'env-echo.mjs'),
    ];
    let spawned = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const space = i % 2 === 0 ? 'even' : 'odd';
      const server = servers[i % servers.length] as UpstreamServerConfig;
      const upstream = await pool.acquire(space, server);
      const controller = new AbortController();
      const name = server.serverId === 'lists' ? 'tool_001' : 'whoami';
      if (i % 10 === 0) {
        // An abandoned call: aborted by its session.
        const call = upstream.request(
          { method: 'tools/call', params: { name } },
          { signal: controller.signal },
        );
        controller.abort();
        await call.catch(() => undefined);
      } else {
        await upstream.request(
          { method: 'tools/call', params: { name } },
          { origin: { sessionId: `s${i}` } },
        );
      }
      for (const pid of pool.pids()) spawned.add(pid);
      if (i % 100 === 99) await pool.closeSpace(space);
      if (i % 50 === 49) await pool.sync(space === 'even' ? 'odd' : 'even', servers.slice(0, 1));
      expect(pool.pids().length).toBeLessThanOrEqual(4);
    }
    expect(pool.inFlightCount()).toBe(0);
    // The SDK client's own per-request maps are empty too (private fields, read for the leak check).
    type SdkMaps = {
      client?: Record<'_responseHandlers' | '_progressHandlers' | '_timeoutInfo', Map<unknown, unknown>>;
    };
    const clients = ['even', 'odd'].flatMap((space) =>
      servers.map((s) => (pool?.get(space, s.serverId) as unknown as SdkMaps | undefined)?.client),
    );
    expect(clients.filter(Boolean).length).toBeGreaterThan(0);
    for (const client of clients) {
      if (client === undefined) continue;
      expect([
        client._responseHandlers.size,
        client._progressHandlers.size,
        client._timeoutInfo.size,
      ]).toEqual([0, 0, 0]);
    }
    // The live children and the process-group watchdog that came with them.
    const live = new Set([...pool.pids(), sharedGroupWatchdog().pid]);
    const extra = descendants().filter((pid) => !before.includes(pid) && !live.has(pid));
    expect(extra).toEqual([]);
    await pool.close();
    expect(descendants()).toEqual(before);
    spawned = new Set([...spawned].filter(isAlive));
    expect([...spawned]).toEqual([]);
  });
});
