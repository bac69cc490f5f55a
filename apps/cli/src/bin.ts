#!/usr/bin/env node
// The process edge. `mcpmux stdio --client ID` (the bridge an app launches) takes a fast path that
// loads only the bridge's few `node:*` modules, and a lone `--version` prints it at once; every other
// command loads the CLI (which imports a command's module when that command runs).
import { createRequire } from 'node:module';
import { homePath, parseBridgeArgs } from './internal/bridge/args.js';
import { invokedCommand } from './internal/invoked-command.js';
import { VERSION } from './internal/version.js';

const argv = process.argv.slice(2);
const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

let code: number;
const bridge = parseBridgeArgs(argv);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // What commander prints for it, without loading commander.
  process.stdout.write(`${VERSION}\n`);
  code = 0;
} else if (bridge !== undefined) {
  const { runBridge } = await import('./internal/bridge/relay.js');
  code = await runBridge({
    home: homePath(bridge.home, process.env, process.cwd()),
    env: process.env,
    client: bridge.client,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  });
} else {
  const { run } = await import('./index.js');
  code = await run(argv, {
    // Only the commands that read stdin open it (opening a pipe's stream costs a few milliseconds).
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    // Asked only by the commands that read a secret (node:tty is loaded then).
    get stdinIsTTY() {
      return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(0);
    },
    signal: controller.signal,
  });
}
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
process.exitCode = code;
if (bridge === undefined && invokedCommand(argv) !== 'serve') {
  // A command that answered ends now, not when the event loop drains: draining also waits for V8's
  // background compile jobs still in flight (15-35 ms after every short command here). The bridge
  // and a foreground gateway end naturally, as sockets and log lines may still be flushing.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Resolves once `stream` has handed what was written to the OS (pipes may be asynchronous, e.g. on macOS). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('drain', resolve);
    stream.once('error', resolve);
    stream.once('close', resolve);
  });
}
