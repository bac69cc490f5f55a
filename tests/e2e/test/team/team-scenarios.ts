// The team-mode scenarios (issue #18): three replicas on one database behind the nginx
// configuration of docs/team.md, driven by real SDK clients, the CLI and console writes.
import { spawn } from 'node:child_process';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, fixturePath, runCli } from '../helpers/cli.js';
import { allToolNames } from '../helpers/client.js';
import type { TempHome } from '../helpers/home.js';
import { waitFor } from '../helpers/processes.js';
import { fakeToken, initHome, installEnvEcho } from '../helpers/setup.js';
import { adminSession, killReplica, startTeam, type Team, type TeamDatabase } from './team.js';

/** One HTTP exchange a client made through nginx: the session it named and who answered. */
interface Exchange {
  method: string;
  sessionId: string | undefined;
  status: number;
  replica: string | null;
}

/** A fetch that records every exchange in `log`. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const sent = new Headers(init?.headers);
    log.push({
      method: init?.method ?? 'GET',
      sessionId: sent.get('mcp-session-id') ?? undefined,
      status: res.status,
      replica: res.headers.get('mcpmux-replica'),
    });
    return res;
  };
}

/** A writer process (fixtures/team-writer.mjs) and what it reported so far. */
interface Writer {
  /** Ids whose writes the replica acknowledged, as they arrive. */
  acks: string[];
  /** The writer's final report. */
  done: Promise<{ acknowledged: string[]; failures: unknown[] }>;
}

/** Starts a process writing `count` clients (each granted `personal/all`) through a replica's admin API. */
function spawnWriter(
  base: string,
  admin: { cookie: string; csrf: string },
  prefix: string,
  count: number,
): Writer {
  const acks: string[] = [];
  const child = spawn(
    process.execPath,
    [fixturePath('team-writer.mjs'), base, prefix, String(count), 'personal', 'all'],
    {
      env: { ...process.env, TEAM_COOKIE: admin.cookie, TEAM_CSRF: admin.csrf },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const m of d.matchAll(/^ack (\S+)$/gm)) acks.push(m[1] ?? '');
  });
  const done = new Promise<{ acknowledged: string[]; failures: unknown[] }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`writer ${prefix} exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
    });
  });
  return { acks, done };
}

/** A 2025-11-25 session of the v1 SDK client, with what it saw. */
interface LegacySession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  log: Exchange[];
  toolsChanged(): number;
  /** When the last tools/list_changed arrived (ms since the epoch), 0 before any. */
  toolsChangedAt(): number;
  /** The replica whose id prefixes the session id. */
  replica(): string;
  whoami(): Promise<string>;
  close(): Promise<void>;
}

async function connectLegacy(url: string, key: string): Promise<LegacySession> {
  const log: Exchange[] = [];
  const client = new Client({ name: 'team-e2e', version: '1.0.0' }, { capabilities: {} });
  let changed = 0;
  let changedAt = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changed++;
    changedAt = Date.now();
  });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    fetch: recordingFetch(log),
  });
  await client.connect(transport);
  return {
    client,
    transport,
    log,
    toolsChanged: () => changed,
    toolsChangedAt: () => changedAt,
    replica: () => (transport.sessionId ?? '').split('.')[0] ?? '',
    async whoami() {
      const result = (await client.callTool({ name: 'env-echo_whoami', arguments: {} })) as CallToolResult;
      return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    },
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/**
 * Registers the team-mode scenarios on `database` (made once for the file, after the home is set
 * up). `setUp` gets the home whose CLI administers the shared data.
 */
export function describeTeamScenarios(
  name: string,
  skip: boolean,
  makeDatabase: (home: TempHome) => Promise<TeamDatabase>,
): void {
  describe.skipIf(skip)(name, () => {
    let home: TempHome;
    let team: Team;
    const keys: Record<string, string> = {};
    const workToken = fakeToken('work');
    const personalToken = fakeToken('personal');
    const sessions: LegacySession[] = [];

    beforeAll(async () => {
      home = await initHome();
      await runCli(home, ['space', 'create', 'work', '--name', 'Work']);
      await installEnvEcho(home, { space: 'work', token: workToken });
      await installEnvEcho(home, { space: 'personal', token: personalToken });
      // Only Work has this one, so the two Spaces' tool lists differ (a switch is a list change).
      await installEnvEcho(home, { space: 'work', server: 'work-only', token: fakeToken('work-only') });
      keys.laptop = await addClient(home, 'laptop');
      await runCli(home, ['client', 'grant', 'laptop', 'all', '--space', 'work']);
      await runCli(home, ['client', 'grant', 'laptop', 'all', '--space', 'personal']);
      keys['work-ide'] = await addClient(home, 'work-ide', ['--pinned', 'work']);
      await runCli(home, ['client', 'grant', 'work-ide', 'all', '--space', 'work']);
      keys.newbie = await addClient(home, 'newbie', ['--pinned', 'work']);
      await runCli(home, ['space', 'use', 'work']);
      team = await startTeam(await makeDatabase(home));
    }, 120_000);

    afterAll(async () => {
      for (const s of sessions) await s.close();
      await team?.stop();
      home?.remove();
    });

    async function open(client: string): Promise<LegacySession> {
      const session = await connectLegacy(team.url, keys[client] ?? '');
      sessions.push(session);
      return session;
    }

    it('routes every 2025-11-25 session to the replica that created it, and spreads new sessions', async () => {
      const opened: LegacySession[] = [];
      for (let i = 0; i < 6; i++) opened.push(await open('laptop'));
      for (const s of opened) {
        expect(await s.whoami()).toBe(`token=${workToken}`);
        expect(await allToolNames(s.client)).toContain('env-echo_whoami');
      }
      expect(new Set(opened.map((s) => s.replica()))).toEqual(new Set(['r1', 'r2', 'r3']));
      for (const s of opened) {
        const named = s.log.filter((e) => e.sessionId !== undefined);
        expect(named.length).toBeGreaterThan(2);
        for (const e of named) {
          expect(e.replica, `${e.method} for session ${e.sessionId}`).toBe(e.sessionId?.split('.')[0]);
          expect(e.status).toBeLessThan(300);
        }
      }
    });

    it('names the public URL in OAuth metadata through nginx, and keeps /metrics inside', async () => {
      const base = team.nginx.base;
      const res = await fetch(`${base}/.well-known/oauth-authorization-server`);
      expect(res.headers.get('mcpmux-replica')).toBe('r1');
      expect(await res.json()).toMatchObject({ issuer: base, token_endpoint: `${base}/oauth/token` });
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(404);
      expect(metrics.headers.get('mcpmux-replica')).toBeNull();
    });

    it('serves Work vs Personal through the load balancer: a CLI space switch reaches follow-active sessions on every replica; the pinned client stays', async () => {
      const laptops = sessions.filter((s) => s.transport.sessionId !== undefined).slice(0, 6);
      const workIde = await open('work-ide');
      const before = laptops.map((s) => s.toolsChanged());
      expect(await allToolNames(laptops[0]?.client as Client)).toContain('work-only_whoami');
      await runCli(home, ['space', 'use', 'personal']);
      try {
        await waitFor(() => laptops.every((s, i) => s.toolsChanged() > (before[i] ?? 0)), {
          what: 'tools/list_changed on the laptop sessions of all three replicas',
        });
        for (const s of laptops) {
          expect(await s.whoami()).toBe(`token=${personalToken}`);
          expect(await allToolNames(s.client)).not.toContain('work-only_whoami');
        }
        expect(await workIde.whoami()).toBe(`token=${workToken}`);
        expect(await allToolNames(workIde.client)).toContain('work-only_whoami');
      } finally {
        await runCli(home, ['space', 'use', 'work']);
      }
      await waitFor(
        async () => {
          for (const s of laptops) if ((await s.whoami()) !== `token=${workToken}`) return false;
          return true;
        },
        { what: 'the Work credential on every replica after switching back' },
      );
    });

    it('spreads MCP 2026-07-28 requests over the replicas in turn (no session, no affinity)', async () => {
      const log: Exchange[] = [];
      const client = new ModernClient(
        { name: 'team-e2e-2026', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(
        new ModernHttpTransport(new URL(team.url), {
          requestInit: { headers: { Authorization: `Bearer ${keys.laptop}` } },
          fetch: recordingFetch(log),
        }),
      );
      try {
        const start = log.length;
        for (let i = 0; i < 6; i++) {
          const result = (await client.callTool({ name: 'env-echo_whoami', arguments: {} })) as {
            content: { type: string; text?: string }[];
          };
          expect(result.content[0]?.text).toBe(`token=${workToken}`);
        }
        const answered = log.slice(start).map((e) => e.replica);
        expect(answered.every((r) => r !== null)).toBe(true);
        expect(new Set(answered)).toEqual(new Set(['r1', 'r2', 'r3']));
        for (let i = 1; i < answered.length; i++) expect(answered[i]).not.toBe(answered[i - 1]);
        expect(log.every((e) => e.sessionId === undefined)).toBe(true);
      } finally {
        await client.close();
      }
    });

    it('delivers grants made through the other replicas to a session held by one (latency printed)', async () => {
      const session = await open('newbie');
      expect(await allToolNames(session.client)).toEqual([]);
      const holder = session.replica();
      const writers = team.replicas.filter((r) => r.id !== holder);
      const admins = await Promise.all(writers.map((w) => adminSession(w)));
      // Grant, revoke, grant...: each through another replica than the session's, each a list change.
      const latencies: number[] = [];
      for (let i = 0; i < 7; i++) {
        const writer = writers[i % writers.length];
        const admin = admins[i % writers.length];
        if (writer === undefined || admin === undefined) throw new Error('no writer');
        const before = session.toolsChanged();
        const res = await fetch(`${writer.base}/api/v1/clients/newbie/grants/work/all`, {
          method: i % 2 === 0 ? 'PUT' : 'DELETE',
          headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf },
        });
        expect(res.status).toBe(204);
        const acknowledged = Date.now();
        await waitFor(() => session.toolsChanged() > before, {
          intervalMs: 5,
          what: `tools/list_changed on ${holder} after a grant change through ${writer.id}`,
        });
        latencies.push(Math.max(0, session.toolsChangedAt() - acknowledged));
      }
      const sorted = [...latencies].sort((x, y) => x - y);
      console.log(
        `[team] grant change through another replica -> tools/list_changed on ${holder}, ms after the 204: median ${sorted[3]}, max ${sorted[6]} (${latencies.join(', ')})`,
      );
      expect(await allToolNames(session.client)).toContain('env-echo_whoami');
    });

    it('takes 4 processes writing at once through two replicas with no lost write and no constraint violation', async () => {
      const [a, b] = team.replicas;
      if (a === undefined || b === undefined) throw new Error('two replicas needed');
      const admins = [await adminSession(a), await adminSession(b)];
      const perWriter = 12;
      const started = Date.now();
      const runs = [0, 1, 2, 3].map((w) => {
        const admin = admins[w % 2];
        if (admin === undefined) throw new Error('no admin session');
        return spawnWriter((w % 2 === 0 ? a : b).base, admin, `w${w}`, perWriter).done;
      });
      const results = await Promise.all(runs);
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[team] 4 writers through ${a.id} and ${b.id}: ${8 * perWriter} acknowledged writes in ${seconds.toFixed(1)} s`,
      );
      expect(results.flatMap((r) => r.failures)).toEqual([]);
      const acknowledged = results.flatMap((r) => r.acknowledged);
      expect(acknowledged).toHaveLength(4 * perWriter);
      const { stdout } = await runCli(home, ['--json', 'client', 'list']);
      const ids = new Set((JSON.parse(stdout) as { id: string }[]).map((c) => c.id));
      const lost = acknowledged.filter((id) => !ids.has(id));
      expect(lost).toEqual([]);
      for (const id of ['w0-0', `w3-${perWriter - 1}`]) {
        const show = JSON.parse((await runCli(home, ['--json', 'client', 'show', id])).stdout) as unknown;
        expect(JSON.stringify(show)).toContain('personal');
      }
    });

    it('survives kill -9 of a replica: its sessions get 404 through another replica and re-initialize; the others are unaffected', async () => {
      const live = sessions.filter((s) => s.transport.sessionId !== undefined && s.replica() !== '');
      const victim = team.replica(live[0]?.replica() ?? 'r1');
      const orphaned = live.filter((s) => s.replica() === victim.id);
      const others = live.filter((s) => s.replica() !== victim.id);
      expect(orphaned.length).toBeGreaterThan(0);
      expect(others.length).toBeGreaterThan(0);
      // A writer is busy on the victim when it dies: whatever it acknowledged must be there after.
      const writer = spawnWriter(victim.base, await adminSession(victim), 'k', 1000);
      await waitFor(() => writer.acks.length >= 5, { what: 'the writer on the victim to get going' });
      killReplica(victim);
      await waitFor(
        async () => {
          try {
            await fetch(`${victim.base}/health`);
            return false;
          } catch {
            return true;
          }
        },
        { what: `${victim.id} to be gone` },
      );
      for (const s of orphaned) {
        const start = s.log.length;
        await expect(s.whoami()).rejects.toMatchObject({ code: 404 });
        const answer = s.log.slice(start).find((e) => e.status === 404);
        expect(answer?.replica).toBeTruthy();
        expect(answer?.replica).not.toBe(victim.id);
        // The app starts over: a new session through nginx lands on a live replica.
        const again = await connectLegacy(team.url, keys.laptop ?? '');
        sessions.push(again);
        expect(again.replica()).not.toBe(victim.id);
        expect(await again.whoami()).toMatch(/^token=/);
      }
      for (const s of others) expect(await s.whoami()).toMatch(/^token=/);
      const report = await writer.done;
      expect(report.acknowledged.length).toBeLessThan(1000);
      const { stdout } = await runCli(home, ['--json', 'client', 'list']);
      const ids = new Set((JSON.parse(stdout) as { id: string }[]).map((c) => c.id));
      expect(report.acknowledged.filter((id) => !ids.has(id))).toEqual([]);
      console.log(
        `[team] kill -9 of ${victim.id}: ${report.acknowledged.length} writes acknowledged before it died, all present afterwards`,
      );
    });
  });
}
