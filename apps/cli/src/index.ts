import type { CliIo } from './internal/io.js';
import { runCli } from './internal/run.js';

export type { CliIo, CliPrompt } from './internal/io.js';

/**
 * Runs the `mcpmux` command line in-process: parses `argv` (without `node` and the script), executes
 * the command against `io`, and returns the exit code (0 on success, non-zero after printing a
 * one-line `error: ...` to `io.stderr`). Never calls `process.exit`; `--home` defaults to
 * `io.env.MCPMUX_HOME`, else `~/.mcpmux`.
 *
 * @param argv - the arguments, e.g. `['space', 'list', '--json']`.
 * @param io - streams, environment, working directory and terminal flags (see {@link CliIo}).
 * @returns the exit code.
 *
 * @example
 * ```ts
 * import { run } from 'mcpmux';
 * const code = await run(['init'], { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr,
 *   env: process.env, cwd: process.cwd(), isTTY: false });
 * ```
 */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(argv, io);
}
