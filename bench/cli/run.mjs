#!/usr/bin/env node
// CLI start-up benchmark (issue #20): how long `mcpmux` takes to answer short commands, beside
// Node's own start-up. Builds a home in a temp dir (`init`, `server add memory`, `client add
// cursor`, `client grant cursor all`), then runs every command N times, interleaved (rep 1 of each,
// then rep 2...), so machine load falls on every column alike. Prints min/median/max wall ms, peak
// RSS (via /usr/bin/time where present) and the median's ratio to `node -e 0`, as a markdown table.
// Not run in CI; compare ratios within one run, never absolute figures across runs.
//
// Usage: node bench/cli/run.mjs [--reps N] [--before DIR] [--bin FILE] [--gateway]
//   --reps N      repetitions per command (default 15)
//   --gateway     run the home's gateway (`mcpmux start --port 0`) while measuring, so `status`
//                 also asks it for /health
//   --before DIR  also run DIR/apps/cli/dist/bin.js (a built checkout, e.g.
//                 `git worktree add /tmp/before 41c3452` built like main), interleaved, same home
//   --bin FILE    the CLI to measure (default apps/cli/dist/bin.js of this checkout)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const reps = Number(flag('--reps') ?? 15);
const bin = resolve(flag('--bin') ?? join(repo, 'apps/cli/dist/bin.js'));
const beforeDir = flag('--before');
const beforeBin = beforeDir === undefined ? undefined : resolve(beforeDir, 'apps/cli/dist/bin.js');
for (const b of [bin, beforeBin]) {
  if (b !== undefined && !existsSync(b)) {
    console.error(`${b} is missing: build it first (npx -y pnpm@10.34.9 --filter mcpmux... build).`);
    process.exit(1);
  }
}
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const work = mkdtempSync(join(tmpdir(), 'mcpmux-bench-cli-'));
const home = join(work, 'home');
const env = {
  ...process.env,
  MCPMUX_HOME: home,
  HOME: join(work, 'user'),
  NO_COLOR: '1',
  MCPMUX_MASTER_KEY: undefined,
  MCPMUX_DATABASE_URL: undefined,
};
delete env.MCPMUX_MASTER_KEY;
delete env.MCPMUX_DATABASE_URL;

function cli(args, { allowFail = false } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`mcpmux ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return r;
}

// The home: what a new user has after the quick start (the server's tools discovered when npx can
// start it; else installed with --no-connect, and `tools` lists nothing).
cli(['init']);
const added = cli(['server', 'add', 'memory'], { allowFail: true });
if (added.status !== 0) cli(['server', 'add', 'memory', '--no-connect']);
cli(['client', 'add', 'cursor']);
cli(['client', 'grant', 'cursor', 'all']);
const withGateway = argv.includes('--gateway');
if (withGateway) cli(['start', '--port', '0']);

/** One timed run: wall ms (spawn to exit) and peak RSS in KiB (undefined without /usr/bin/time). */
function runOnce(args) {
  const [cmd, cmdArgs] =
    timeBin === undefined ? [process.execPath, args] : [timeBin, ['-f', '%M', process.execPath, ...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, cmdArgs, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !args.includes('status')) {
    throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const rss = timeBin === undefined ? undefined : Number(r.stderr.trim().split('\n').at(-1));
  return { ms, rss };
}

const commands = [
  ['--version'],
  ['--help'],
  ['space', 'list'],
  ['status'],
  ['tools', '--client', 'cursor'],
  ['server', 'list'],
];
const targets = [{ id: 'node', label: 'node -e 0', args: ['-e', '0'] }];
for (const c of commands) {
  const label = `mcpmux ${c.join(' ')}`;
  if (beforeBin !== undefined)
    targets.push({ id: `before ${label}`, label, side: 'before', args: [beforeBin, ...c] });
  targets.push({ id: `after ${label}`, label, side: 'after', args: [bin, ...c] });
}

const samples = new Map(targets.map((t) => [t.id, []]));
for (const t of targets) runOnce(t.args); // warm the file cache
for (let i = 0; i < reps; i++) {
  for (const t of targets) samples.get(t.id).push(runOnce(t.args));
}
if (withGateway) cli(['stop']);
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (id) => {
  const xs = samples.get(id);
  const ms = xs.map((x) => x.ms);
  const rss = xs.map((x) => x.rss).filter((x) => x !== undefined);
  return {
    min: Math.min(...ms),
    median: median(ms),
    max: Math.max(...ms),
    rssMiB: rss.length === 0 ? undefined : Math.max(...rss) / 1024,
  };
};
const base = stats('node');
const f0 = (x) => x.toFixed(0);
const mib = (x) => (x === undefined ? '-' : x.toFixed(1));
const rows = [];
rows.push(`| command | min ms | median ms | max ms | peak RSS MiB | median / node |`);
rows.push(`|---|---:|---:|---:|---:|---:|`);
rows.push(
  `| node -e 0 (baseline) | ${f0(base.min)} | ${f0(base.median)} | ${f0(base.max)} | ${mib(base.rssMiB)} | 1.00 |`,
);
for (const t of targets.slice(1)) {
  const s = stats(t.id);
  const name = beforeBin === undefined ? t.label : `${t.label} (${t.side})`;
  rows.push(
    `| ${name} | ${f0(s.min)} | ${f0(s.median)} | ${f0(s.max)} | ${mib(s.rssMiB)} | ${(s.median / base.median).toFixed(2)} |`,
  );
}
console.log(
  `CLI start-up, ${reps} interleaved repetitions, Node ${process.version}, ${cpus().length} cores` +
    (withGateway ? ', gateway running' : '') +
    (beforeBin === undefined ? '' : `; before: ${beforeBin}`),
);
console.log();
console.log(rows.join('\n'));
if (beforeBin !== undefined) {
  console.log();
  console.log('| command | before median ms | after median ms | after / before |');
  console.log('|---|---:|---:|---:|');
  for (const c of commands) {
    const label = `mcpmux ${c.join(' ')}`;
    const b = stats(`before ${label}`).median;
    const a = stats(`after ${label}`).median;
    console.log(`| ${label} | ${f0(b)} | ${f0(a)} | ${(a / b).toFixed(2)} |`);
  }
}
