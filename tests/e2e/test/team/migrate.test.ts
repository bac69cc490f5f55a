import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migratePostgres, openPostgresDatabase } from '@mcpmux/space-store/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from '../../../postgres/src/server.js';
import { addClient, cliJson, runCli, setSecret } from '../helpers/cli.js';
import type { TempHome } from '../helpers/home.js';
import { fakeToken, initHome, installEnvEcho } from '../helpers/setup.js';

// `mcpmux migrate --to postgres://...`: a home copied into an empty PostgreSQL database, secrets
// re-encrypted under the team's key, checked; a non-empty target refused; a failure leaves it empty.
const reason = postgresUnavailableReason();
if (reason !== undefined) {
  if (process.env.CI)
    throw new Error(`${reason}; CI must run the migrate tests (.ci/run installs postgresql).`);
  console.warn(`skipping the mcpmux migrate tests: ${reason}`);
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const db = await openPostgresDatabase({ url });
  try {
    return await db.write((c) => c.all<T>(sql));
  } finally {
    await db.close();
  }
}

describe.skipIf(reason !== undefined)('mcpmux migrate', () => {
  let server: PostgresServer;
  let home: TempHome;
  const workToken = fakeToken('work');
  const globalToken = fakeToken('global');

  beforeAll(async () => {
    server = await startPostgresServer();
    home = await initHome();
    await runCli(home, ['space', 'create', 'work', '--name', 'Work']);
    await installEnvEcho(home, { space: 'work', token: workToken });
    await installEnvEcho(home, { space: 'default-enabled', server: 'shared', token: globalToken });
    await runCli(home, ['featureset', 'create', 'readers', '--space', 'work']);
    await runCli(home, ['featureset', 'include', 'readers', 'readonly', '--space', 'work']);
    await addClient(home, 'laptop');
    await runCli(home, ['client', 'grant', 'laptop', 'readers', '--space', 'work']);
    await addClient(home, 'ci', ['--pinned', 'work']);
    await setSecret(home, 'env-echo', 'EXTRA', 'extra-value', ['--space', 'personal']);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    home?.remove();
  });

  it('copies every table and secret into an empty database under the team key, and the CLI reads it there', async () => {
    const url = await server.createDatabase('migrate');
    const teamKey = randomBytes(32).toString('base64');
    const keyFile = join(home.scratch, 'team.key');
    chmodSync(home.scratch, 0o700);
    writeFileSync(keyFile, `${teamKey}\n`, { mode: 0o600 });
    // The home keeps its own key (MCPMUX_MASTER_KEY); the team's comes from the key file.
    const summary = await cliJson<{
      target: string;
      tables: { table: string; rows: number }[];
      secrets: number;
      audit: boolean;
    }>(home, ['migrate', '--to', url, '--master-key-file', keyFile]);
    expect(summary.secrets).toBe(3);
    const rows = Object.fromEntries(summary.tables.map((t) => [t.table, t.rows]));
    // The default-enabled server has no installation row.
    expect(rows).toMatchObject({ spaces: 2, servers: 2, installations: 1, clients: 2, grants: 1 });
    expect(rows.access_keys).toBe(2);
    expect(summary.tables.map((t) => t.table)).not.toContain('audit_events');
    // Read back through the CLI on PostgreSQL with the TEAM key only.
    const team = {
      ...home.env,
      MCPMUX_DATABASE_URL: url,
      MCPMUX_MASTER_KEY: '',
      MCPMUX_MASTER_KEY_FILE: keyFile,
    };
    const onTeam = { ...home, env: team };
    const spaces = await cliJson<{ id: string }[]>(onTeam, ['space', 'list']);
    expect(spaces.map((s) => s.id).sort()).toEqual(['personal', 'work']);
    const tools = await cliJson<unknown>(onTeam, [
      'explain',
      '--client',
      'laptop',
      'tool:env-echo/deploy',
      '--space',
      'work',
    ]);
    expect(tools).toMatchObject({ allowed: false });
    // status reads the team database too: Spaces, clients, the vault with the team key.
    const status = await cliJson<{ database: string; spaces: string[]; clients: string[]; vault: unknown }>(
      onTeam,
      ['status'],
    );
    expect(status.database).toBe(url);
    expect(status.spaces.sort()).toEqual(['personal', 'work']);
    expect(status.clients.sort()).toEqual(['ci', 'laptop']);
    expect(status.vault).toMatchObject({ unlocked: true });
    // Secrets are stored under the team key: the home's key does not open them.
    const withHomeKey = await runCli(
      { ...home, env: { ...home.env, MCPMUX_DATABASE_URL: url } },
      ['secret', 'list'],
      {
        allowFailure: true,
      },
    );
    expect(withHomeKey.code).not.toBe(0);
    expect(withHomeKey.stderr).toMatch(/key/i);
    // No plaintext secret in the target.
    const dump = JSON.stringify(await query(url, 'SELECT * FROM vault_secrets'));
    expect(dump).not.toContain(workToken);
    expect(dump).not.toContain(globalToken);
    // Deleting a Space on the team database takes its secrets with it, in the same transaction.
    const count = async () =>
      (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM vault_secrets'))[0]?.n;
    expect(await count()).toBe(3);
    await runCli(onTeam, ['client', 'remove', 'ci']);
    await runCli(onTeam, ['space', 'delete', 'work', '--yes']);
    expect(await count()).toBe(2);
  });

  it('starts a detached gateway on the team database with the URL in its environment, never its argv', async () => {
    const url = await server.createDatabase('daemon');
    await runCli(home, ['migrate', '--to', url]);
    const secret = url.replace('postgres://postgres@', 'postgres://postgres:hunter2secret@');
    const replica = { ...home, dir: join(home.scratch, 'replica'), env: { ...home.env } };
    const started = await cliJson<{ pid: number; url: string }>(replica, [
      '--database',
      secret,
      'start',
      '--port',
      '0',
    ]);
    try {
      const argv = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8');
      expect(argv).not.toContain('hunter2secret');
      expect(argv).not.toContain('postgres://');
      const health = (await (await fetch(started.url.replace(/\/mcp$/, '/health'))).json()) as {
        activeSpace: string;
      };
      expect(health.activeSpace).toBe('personal');
      const log = readFileSync(join(replica.dir, 'logs', 'gateway.log'), 'utf8');
      expect(log).toContain('postgres://postgres:***@');
      expect(log).not.toContain('hunter2secret');
    } finally {
      await runCli(replica, ['stop']);
    }
  });

  it('refuses a database that already holds mcpmux data, naming what it holds', async () => {
    const url = await server.createDatabase('taken');
    await runCli(home, ['migrate', '--to', url]);
    const again = await runCli(home, ['migrate', '--to', url], { allowFailure: true });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is not empty');
    expect(again.stderr).toContain('2 spaces');
    expect(again.stderr).toContain('EMPTY');
  });

  it('leaves the target empty when the copy fails half-way (one transaction)', async () => {
    const url = await server.createDatabase('fails');
    // The schema already there (a replica started on it), plus a trap: client "ci" is refused, after
    // Spaces, servers, sets and client "laptop" were copied.
    const db = await openPostgresDatabase({ url });
    try {
      await migratePostgres(db);
      await db.write((c) => c.run(`ALTER TABLE clients ADD CONSTRAINT trap CHECK (id <> 'ci')`));
    } finally {
      await db.close();
    }
    const failed = await runCli(home, ['migrate', '--to', url], { allowFailure: true });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).not.toMatch(/at .*\.js:\d+/);
    for (const table of ['spaces', 'servers', 'feature_sets', 'clients', 'access_keys']) {
      const [row] = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${table}`);
      expect(row?.n, table).toBe(0);
    }
    const vault = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'vault%'",
    );
    expect(vault).toEqual([]);
  });

  it('copies the audit log with --audit, and never writes the password of the URL anywhere it prints', async () => {
    const url = await server.createDatabase('audit');
    const withPassword = url.replace('postgres://postgres@', 'postgres://postgres:hunter2secret@');
    const summary = await cliJson<{ target: string; audit: boolean; tables: { table: string }[] }>(home, [
      'migrate',
      '--to',
      withPassword,
      '--audit',
    ]);
    expect(summary.audit).toBe(true);
    expect(summary.tables.map((t) => t.table)).toContain('audit_events');
    expect(summary.target).not.toContain('hunter2secret');
    expect(summary.target).toContain('***');
    const bad = await runCli(home, ['migrate', '--to', 'postgres://u:hunter2secret@127.0.0.1:1/none'], {
      allowFailure: true,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).not.toContain('hunter2secret');
  });
});
