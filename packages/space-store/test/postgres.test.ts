import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usePostgres } from '@mcpmux/test-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreChange } from '../src/index.js';
import { migratePostgres, openPostgresDatabase, openPostgresSpaceStore } from '../src/postgres.js';
import { describeSpaceStoreContract, waitFor } from './contract.js';

const postgres = usePostgres();

/** Runs one statement as the server's superuser. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: await postgres.adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// Each store gets its own database, copied from one migrated template (faster than migrating each).
let template: Promise<string> | undefined;
let copies = 0;
async function freshUrl(): Promise<string> {
  template ??= (async () => {
    const url = await postgres.createDatabase('store_template');
    const db = await openPostgresDatabase({ url }, { poolSize: 1 });
    await migratePostgres(db);
    await db.close();
    return url;
  })();
  const from = new URL(await template);
  const name = `${from.pathname.slice(1)}_${++copies}`;
  await admin(`CREATE DATABASE ${name} TEMPLATE ${from.pathname.slice(1)}`);
  const url = new URL(from);
  url.pathname = `/${name}`;
  return url.toString();
}

if (postgres.skip) {
  describe.skip('PostgreSQL store (skipped: PostgreSQL is not available)', () => {
    it('contract', () => {});
  });
} else {
  describeSpaceStoreContract('PostgreSQL', {
    async open({ clock }) {
      return openPostgresSpaceStore({ url: await freshUrl() }, { clock, poolSize: 2 });
    },
  });
}

// The child processes run the BUILT package (`pnpm --filter @mcpmux/space-store build`) from a
// private copy, so another engineer's rebuild emptying dist meanwhile cannot break them.
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const copy = fileURLToPath(new URL(`../node_modules/.pgproc-${process.pid}`, import.meta.url));

/** One process with its own store: adds a member, a client and a grant `count` times. */
const WRITER = `
const { openPostgresSpaceStore } = await import(process.env.STORE_MODULE);
const [url, name, count] = process.argv.slice(1);
const store = await openPostgresSpaceStore({ url });
try {
  for (let i = 0; i < Number(count); i++) {
    await store.addMember('team', 'shared', { mode: 'include', selector: { type: 'server', server: name + '-' + i } });
    await store.createClient({ id: name + '-c' + i });
    await store.grant(name + '-c' + i, 'team', 'shared');
    await store.appendAudit([{ action: 'write', spaceId: 'team', detail: { i } }]);
  }
  process.stdout.write('done\\n');
} catch (e) {
  process.stderr.write((e?.code ?? '') + ' ' + (e?.message ?? e) + '\\n');
  process.exitCode = 1;
} finally {
  await store.close();
}
`;

function runWriter(
  url: string,
  name: string,
  count: number,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, url, name, String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STORE_MODULE: join(copy, 'dist', 'postgres.js') },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe.skipIf(postgres.skip)('PostgreSQL store replicas', () => {
  beforeAll(() => {
    expect(
      existsSync(join(dist, 'postgres.js')),
      'build the package first: pnpm --filter @mcpmux/space-store build',
    ).toBe(true);
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    cpSync(fileURLToPath(new URL('../drizzle-pg', import.meta.url)), join(copy, 'drizzle-pg'), {
      recursive: true,
    });
    for (const dep of ['@mcpmux/core', '@mcpmux/featuresets']) {
      const from = fileURLToPath(new URL(`../node_modules/${dep}/`, import.meta.url));
      const to = join(copy, 'node_modules', dep);
      cpSync(join(from, 'package.json'), join(to, 'package.json'));
      cpSync(join(from, 'dist'), join(to, 'dist'), { recursive: true });
    }
  });
  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  it("tells a store about another replica's writes, and its policy follows them", async () => {
    const url = await freshUrl();
    const a = await openPostgresSpaceStore({ url });
    const b = await openPostgresSpaceStore({ url });
    try {
      await a.createSpace({ id: 'work' });
      const { client } = await a.createClient({ id: 'app' });
      await waitFor(async () => (await b.getClient(client.id)) !== undefined);
      expect((await b.loadPolicyContext('app', 'work'))?.grants ?? []).toEqual([]);
      const seen: StoreChange[] = [];
      const stop = b.watch((c) => seen.push(c));
      try {
        await a.createFeatureSet('work', { id: 'readers' });
        await a.grant('app', 'work', 'readers');
        await waitFor(() => seen.some((c) => c.kinds.has('grant')));
        expect(new Set(seen.flatMap((c) => [...c.kinds]))).toContain('featureset');
        expect((await b.loadPolicyContext('app', 'work'))?.grants).toEqual(['readers']);
      } finally {
        stop();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('opens on a database the caller owns and leaves it open on close', async () => {
    const database = await openPostgresDatabase({ url: await freshUrl() });
    try {
      const store = await openPostgresSpaceStore({ database });
      expect(store.sql).toBe(database);
      await store.createSpace({ id: 'work' });
      await store.close();
      const row = await database.read((c) => c.get<{ n: number }>('SELECT count(*) AS n FROM spaces'));
      expect(row).toEqual({ n: 1 });
    } finally {
      await database.close();
    }
  });

  it('4 processes writing at once: no lost write, no constraint violation', async () => {
    const url = await freshUrl();
    const store = await openPostgresSpaceStore({ url });
    try {
      await store.createSpace({ id: 'team' });
      await store.createFeatureSet('team', { id: 'shared' });
      const before = await store.revision();
      const count = 10;
      const names = ['p1', 'p2', 'p3', 'p4'];
      const results = await Promise.all(names.map((n) => runWriter(url, n, count)));
      for (const r of results)
        expect({ code: r.code, err: r.err, out: r.out }).toEqual({ code: 0, err: '', out: 'done\n' });
      const members = (await store.getFeatureSet('team', 'shared'))?.members ?? [];
      expect(members).toHaveLength(names.length * count);
      const clients = await store.listClients();
      expect(clients).toHaveLength(names.length * count);
      for (const c of clients) expect(await store.listGrants(c.id)).toHaveLength(1);
      expect(await store.listAudit({ limit: 1000 })).toHaveLength(names.length * count);
      expect(await store.revision()).toBeGreaterThan(before);
    } finally {
      await store.close();
    }
  });
});
