#!/usr/bin/env node
// Quick start: install and build if needed, create the home (~/.mcpmux or $MCPMUX_HOME) with a
// "personal" Space, create a "quickstart" client on first run (its key is printed once), then run the
// gateway in the foreground. Extra arguments go to `mcpmux serve` (e.g. `npm start -- --port 4000`).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bin, ensureInstalled, root, run } from './bootstrap.mjs';

process.env.TURBO_TELEMETRY_DISABLED = '1';
const cli = join(root, 'apps', 'cli', 'dist', 'bin.js');
const fail = (message) => {
  console.error(`error: ${message}`);
  process.exit(1);
};

if (!ensureInstalled()) fail('installing dependencies failed (see above)');
if (!run(bin('turbo'), ['run', 'build', '--filter=mcpmux...', '--output-logs=errors-only'])) {
  fail('the build failed (see above)');
}

const mcpmux = (args, options = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });

const init = mcpmux(['init']);
if (init.status !== 0) fail(init.stderr.trim() || 'mcpmux init failed');
process.stdout.write(init.stdout);

const CLIENT = 'quickstart';
if (mcpmux(['client', 'show', CLIENT]).status !== 0) {
  const added = mcpmux(['client', 'add', CLIENT, '--name', 'Quick start']);
  if (added.status !== 0) fail(added.stderr.trim() || 'mcpmux client add failed');
  const key = added.stdout.trim().split('\n').at(-1);
  console.log(`
Client "${CLIENT}" created. Its access key (shown once; store it in your AI app):

  ${key}

Connect an app:   node apps/cli/dist/bin.js connect cursor --client ${CLIENT}
Add a server:     node apps/cli/dist/bin.js server add memory   (more: node apps/cli/dist/bin.js catalog)
Let it be seen:   node apps/cli/dist/bin.js client grant ${CLIENT} all
`);
} else {
  console.log(
    `Client "${CLIENT}" exists. Lost its key? node apps/cli/dist/bin.js client key rotate ${CLIENT}`,
  );
}

const serve = spawn(process.execPath, [cli, 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => serve.kill(signal));
serve.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
