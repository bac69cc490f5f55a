import { isMcpmuxError } from '@mcpmux/core';
import { CommanderError } from 'commander';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * The one-line error text for any thrown value (never a stack trace).
 *
 * @param err - what was thrown.
 */
export function errorLine(err: unknown): string {
  let message: string;
  if (isMcpmuxError(err)) message = err.message;
  else if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    message =
      code === 'EACCES' || code === 'EPERM'
        ? `${err.message} (check the permissions of that path)`
        : err.message;
  } else message = String(err);
  return `error: ${message.replace(/\s*\n\s*/g, ' ').trim()}`;
}

/** See `run` in index.ts. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const state = { code: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'mcpmux.invalidArgument') io.stderr.write(`error: ${err.message}\n`);
      return err.exitCode === 0 ? 0 : 1;
    }
    io.stderr.write(`${errorLine(err)}\n`);
    return 1;
  }
}
