// tools/list at scale: many upstreams with many tools and many FeatureSets, through mcpmux, with a
// direct sweep over the same upstreams (one stdio session each) for reference.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuMicros, freePort, rssKiB, startProcess, waitFor } from './proc.mjs';
import { openSession } from './sessions.mjs';

const node = process.execPath;

async function pool(items, size, work) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (queue.length > 0) await work(queue.shift());
    }),
  );
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)], p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] };
}

// Every page of tools/list (the gateway pages at 500 items): one "list" is the full walk.
async function listAll(session) {
  let count = 0;
  let pages = 0;
  let cursor;
  do {
    const page = await session.client.listTools(cursor === undefined ? {} : { cursor });
    count += page.tools.length;
    pages++;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { count, pages };
}

async function timeLists(session, iters) {
  const lat = [];
  let last;
  for (let i = 0; i < iters + 5; i++) {
    const t = performance.now();
    last = await listAll(session);
    if (i >= 5) lat.push(performance.now() - t);
  }
  return { ...last, ...stats(lat) };
}

/**
 * Sets up a fresh mcpmux home through the CLI with `servers` × `tools` upstream tools and `sets`
 * FeatureSets, serves it, and times tools/list for a client granted `all` and one granted ten
 * custom sets (globs, nested sets, excludes). Returns a markdown table.
 */
export async function measureScale(baseCtx, scale, runCli) {
  const ctx = { ...baseCtx, mcpmuxHome: join(baseCtx.tmp, 'scale-home') };
  const cli = (args) => runCli(ctx, args);
  const setupStart = performance.now();
  await cli(['init']);
  const servers = Array.from({ length: scale.servers }, (_, i) => `s${String(i).padStart(2, '0')}`);
  await pool(servers, 2, (id) =>
    cli([
      'server',
      'add',
      id,
      '--command',
      node,
      '--arg',
      ctx.manyTools,
      '--arg',
      id,
      '--arg',
      String(scale.tools),
      '--no-connect',
    ]),
  );
  // The 200 FeatureSets go straight into the home's store (one transaction each, same rules as the
  // CLI verbs): a CLI process per member edit would make the setup, not the gateway, the slow part.
  const sets = Array.from({ length: scale.sets }, (_, i) => `fs-${String(i).padStart(3, '0')}`);
  const { openHome } = await import('@mcpmux/server');
  const opened = await openHome({ home: ctx.mcpmuxHome, env: ctx.mcpmuxEnv });
  try {
    const spaceId = (await opened.store.listSpaces()).find((s) => s.active).id;
    for (const [i, id] of sets.entries()) {
      const server = servers[i % servers.length];
      const members = [
        {
          mode: 'include',
          selector: { type: 'feature', kind: 'tool', server, name: `${server}_tool_0${i % 10}*` },
        },
      ];
      if (i % 4 === 0) members.push({ mode: 'exclude', selector: { type: 'annotation', destructive: true } });
      if (i % 10 === 0 && i > 0)
        members.push({ mode: 'include', selector: { type: 'featureSet', id: sets[i - 1] } });
      await opened.store.createFeatureSet(spaceId, { id, members });
    }
  } finally {
    await opened.close();
  }
  const key = async (id) => (await cli(['client', 'add', id])).trim().split('\n').at(-1).trim();
  const adminKey = await key('admin');
  await cli(['client', 'grant', 'admin', 'all']);
  const listerKey = await key('lister');
  const granted = sets.filter((_, i) => i % Math.max(1, Math.floor(sets.length / 10)) === 0).slice(0, 10);
  for (const set of granted) await cli(['client', 'grant', 'lister', set]);
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const port = await freePort();
  const started = performance.now();
  const proc = startProcess(node, [ctx.cliBin, '--home', ctx.mcpmuxHome, 'serve', '--port', String(port)], {
    env: ctx.mcpmuxEnv,
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  const expected = scale.servers * scale.tools;
  let admin;
  let lister;
  try {
    admin = await waitFor(
      async () => {
        if (proc.exited) throw new Error(`mcpmux exited: ${proc.stderr().slice(-500)}`);
        return await openSession({ kind: 'http', url, headers: { Authorization: `Bearer ${adminKey}` } });
      },
      { timeoutMs: 60_000, what: 'mcpmux to accept a session' },
    );
    await waitFor(async () => (await listAll(admin)).count >= expected, {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: `all ${expected} tools to be discovered`,
    });
    const fullCatalogMs = performance.now() - started;
    lister = await openSession({ kind: 'http', url, headers: { Authorization: `Bearer ${listerKey}` } });
    const cpu0 = cpuMicros(proc.pid);
    const all = await timeLists(admin, scale.iters);
    const some = await timeLists(lister, scale.iters);
    const cpuPerList = (cpuMicros(proc.pid) - cpu0) / (2 * (scale.iters + 5));
    const rss = rssKiB(proc.pid) / 1024;

    const direct = await Promise.all(
      servers.map((id) =>
        openSession({ kind: 'stdio', command: node, args: [ctx.manyTools, id, String(scale.tools)] }),
      ),
    );
    const sweep = [];
    const parallel = [];
    let directCount = 0;
    try {
      for (let i = 0; i < scale.iters; i++) {
        let t = performance.now();
        directCount = 0;
        for (const s of direct) directCount += (await s.client.listTools()).tools.length;
        sweep.push(performance.now() - t);
        t = performance.now();
        await Promise.all(direct.map((s) => s.client.listTools()));
        parallel.push(performance.now() - t);
      }
    } finally {
      await Promise.all(direct.map((s) => s.close()));
    }
    const sw = stats(sweep);
    const pa = stats(parallel);
    const f = (v) => v.toFixed(2);
    return {
      table: [
        `Setup: ${scale.servers} \`mcpmux server add\` and 2 \`mcpmux client add\` through the CLI, ${scale.sets} FeatureSets (tool globs, exclude-destructive guards, nested sets) through the home's store: ${setupSeconds.toFixed(1)} s. The client with custom sets is granted ${granted.length} of them.`,
        `\`mcpmux serve\` start to a full ${expected}-tool catalog (lazy discovery of ${scale.servers} upstreams): ${Math.round(fullCatalogMs)} ms. Gateway RSS afterwards: ${rss.toFixed(1)} MiB; gateway CPU per full tools/list (all pages): ${Math.round(cpuPerList)} µs. A full list walks every page (the gateway pages at 500 items).`,
        '',
        '| measurement | tools returned | pages | p50 ms | p99 ms |',
        '|---|---:|---:|---:|---:|',
        `| mcpmux tools/list, client granted \`all\` | ${all.count} | ${all.pages} | ${f(all.p50)} | ${f(all.p99)} |`,
        `| mcpmux tools/list, client granted ${granted.length} of ${scale.sets} custom sets | ${some.count} | ${some.pages} | ${f(some.p50)} | ${f(some.p99)} |`,
        `| direct: tools/list on each of ${scale.servers} stdio servers, one after another | ${directCount} | ${scale.servers} | ${f(sw.p50)} | ${f(sw.p99)} |`,
        `| direct: the same ${scale.servers} tools/list in parallel | ${directCount} | ${scale.servers} | ${f(pa.p50)} | ${f(pa.p99)} |`,
      ].join('\n'),
    };
  } finally {
    await admin?.close();
    await lister?.close();
    await proc.stop();
  }
}
