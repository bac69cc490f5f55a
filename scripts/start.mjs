#!/usr/bin/env node
// Quick start: install and build if needed, create the home (~/.mcpmux or $MCPMUX_HOME) with a
// "personal" Space, create a "quickstart" client on first run (its key is printed once), then start
// the home's gateway in the background with `mcpmux start` (the same one every app's stdio bridge
// uses; its logs go to <home>/logs/gateway.log, never to this terminal) and say what runs, with a
// single-use login link to its web console (`mcpmux ui`).
// Extra arguments go to `mcpmux start` (`npm start -- --port 4000`); `npm start -- --foreground`
// runs `mcpmux serve` in this terminal instead (Ctrl-C stops it; other arguments go to `serve`).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bin, ensureInstalled, root, run } from './bootstrap.mjs';

process.env.TURBO_TELEMETRY_DISABLED = '1';
const cli = join(root, 'apps', 'cli', 'dist', 'bin.js');
const me = 'node apps/cli/dist/bin.js';
const fail = (message) => {
  console.error(`error: ${message}`);
  process.exit(1);
};

const args = process.argv.slice(2);
const foreground = args.includes('--foreground');
const passed = args.filter((a) => a !== '--foreground');

if (!ensureInstalled()) fail('installing dependencies failed (see above)');
if (!run(bin('turbo'), ['run', 'build', '--filter=mcpmux...', '--output-logs=errors-only'])) {
  fail('the build failed (see above)');
}

const mcpmux = (argv, options = {}) =>
  spawnSync(process.execPath, [cli, ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
const json = (argv) => {
  const r = mcpmux([...argv, '--json']);
  if (r.status !== 0) fail(r.stderr.trim() || `mcpmux ${argv.join(' ')} failed`);
  return JSON.parse(r.stdout);
};

const init = json(['init']);
console.log(
  init.created
    ? `Created the mcpmux home ${init.home} (active Space: ${init.activeSpace}).`
    : `mcpmux home: ${init.home} (active Space: ${init.activeSpace}).`,
);
if (init.keyFile) {
  // Said once, in plain words, when the vault's key file is made (what `mcpmux init` prints).
  console.log(`
Your secrets are encrypted with a master key kept in ${init.keyFile}, readable only by you.
That protects them from other users of this machine and from a copy of the database alone, but not
from programs running as you, nor from a backup that holds both files. For more, keep the key in
the OS keychain or in MCPMUX_MASTER_KEY (docs/vault.md); \`mcpmux doctor\` repeats this.`);
}

const CLIENT = 'quickstart';
if (mcpmux(['client', 'show', CLIENT]).status !== 0) {
  const added = mcpmux(['client', 'add', CLIENT, '--name', 'Quick start']);
  if (added.status !== 0) fail(added.stderr.trim() || 'mcpmux client add failed');
  const key = added.stdout.trim().split('\n').at(-1);
  console.log(`
Client "${CLIENT}" created. Its access key, for apps that connect over HTTP (shown once):

  ${key}
`);
}

if (foreground) {
  console.log(`Console: once the gateway listens, run \`${me} ui\` in another terminal for a login link.\n`);
  const serve = spawn(process.execPath, [cli, 'serve', ...passed], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => serve.kill(signal));
  serve.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const started = json(['start', ...passed]);
  const log = join(init.home, 'logs', 'gateway.log');
  const ui = mcpmux(['ui', '--no-open', '--json']);
  const console_ =
    ui.status === 0
      ? `${JSON.parse(ui.stdout).url}   (works once, for 5 minutes; \`${me} ui\` prints a new one)`
      : `run \`${me} ui\` for a login link`;
  // What is left of the quick start, as `mcpmux init` tells it (steps already done are left out).
  const next = json(['init']).next ?? [];
  console.log(`
mcpmux gateway ${started.started ? 'started' : 'already running'} in the background: ${started.url} (pid ${started.pid})
  Console:  ${console_}
  Logs:     ${log}
  Status:   ${me} status        Stop: ${me} stop`);
  if (next.length > 0) {
    console.log(`
Next (the README's next steps; \`mcpmux\` is \`${me}\` until you run \`(cd apps/cli && npm link)\`):
${next.map((step) => `  ${step}`).join('\n')}
  (connect also takes claude-desktop, claude-code, vscode, windsurf)`);
  }
  console.log('');
}
