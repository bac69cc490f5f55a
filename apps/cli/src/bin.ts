#!/usr/bin/env node
// The process edge. `mcpmux stdio --client ID` (the bridge an app launches) takes a fast path that
// loads only the bridge's few `node:*` modules; every other command loads the full CLI.
import { homePath, parseBridgeArgs } from './internal/bridge/args.js';

const argv = process.argv.slice(2);
const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

let code: number;
const bridge = parseBridgeArgs(argv);
if (bridge !== undefined) {
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
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    signal: controller.signal,
  });
}
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
process.exitCode = code;
