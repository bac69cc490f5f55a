import type { ServerTransportInput } from '@mcpmux/space-store';

/**
 * A tiny launcher, run as `node -e ARGV_FROM_ENV_SCRIPT BIN NAME...`, for an MCP server that takes a
 * secret ONLY as a command-line argument (e.g. `@modelcontextprotocol/server-postgres URL`).
 *
 * mcpmux never puts a secret in a child's arguments: `/proc/PID/cmdline` (and `ps`) show them to every
 * local user, while `/proc/PID/environ` is readable by the owner only. So the secret travels in the
 * environment, and this launcher, instead of exec-ing the server (which would put the value back into
 * a new process's arguments), finds `BIN` on `PATH` (npx puts the package's bins there), resolves its
 * symlink to the real script, sets `process.argv` to `[node, script, value of NAME...]`, removes those
 * variables from its environment and imports the script IN THIS PROCESS. `/proc/PID/cmdline` is fixed
 * when the process starts, so it keeps showing `node -e ... BIN NAME`, never the value; the server
 * reads its arguments from `process.argv` as usual. Works for Node servers whose bin is a JS file.
 *
 * Plain CommonJS without `$` or backticks, so it passes unchanged through npx's shell quoting.
 */
export const ARGV_FROM_ENV_SCRIPT = [
  "const path = require('node:path'), fs = require('node:fs'), url = require('node:url');",
  'const [bin, ...names] = process.argv.slice(1);',
  "const fail = (m) => { process.stderr.write('mcpmux argv-from-env: ' + m + '\\n'); process.exit(2); };",
  "if (!bin) fail('usage: node -e SCRIPT BIN NAME...');",
  "const dir = (process.env.PATH || '').split(path.delimiter).find((d) => d && fs.existsSync(path.join(d, bin)));",
  "if (!dir) fail(bin + ' is not on PATH');",
  'const script = fs.realpathSync(path.join(dir, bin));',
  "const values = names.map((n) => { const v = process.env[n]; if (v === undefined) fail('the environment variable ' + n + ' is not set'); delete process.env[n]; return v; });",
  'process.argv = [process.argv[0], script, ...values];',
  'import(url.pathToFileURL(script).href).catch((e) => fail(String(e && e.stack || e)));',
].join(' ');

/** A short stand-in for {@link ARGV_FROM_ENV_SCRIPT} when a transport is shown to people. */
export const ARGV_FROM_ENV_LABEL = '<mcpmux argv-from-env>';

/**
 * The stdio transport that runs `bin` of the npm package `pkg` (through `npx -y -p pkg`) with the
 * secrets `names` as its arguments, passed through the environment ({@link ARGV_FROM_ENV_SCRIPT}).
 * The arguments hold only variable names; `env` holds `NAME=${secret:NAME}` for each.
 *
 * @param pkg - The npm package, e.g. `@modelcontextprotocol/server-postgres`.
 * @param bin - The package's bin that starts the server, e.g. `mcp-server-postgres`.
 * @param names - Secret names, in argument order; each is also the environment variable carrying it.
 * @example
 * ```ts
 * argvFromEnv('@modelcontextprotocol/server-postgres', 'mcp-server-postgres', ['DATABASE_URL']);
 * // npx -y -p @modelcontextprotocol/server-postgres node -e <script> mcp-server-postgres DATABASE_URL
 * ```
 */
export function argvFromEnv(pkg: string, bin: string, names: readonly string[]): ServerTransportInput {
  return {
    type: 'stdio',
    command: 'npx',
    args: ['-y', '-p', pkg, 'node', '-e', ARGV_FROM_ENV_SCRIPT, bin, ...names],
    env: Object.fromEntries(names.map((n) => [n, `\${secret:${n}}`])),
  };
}
