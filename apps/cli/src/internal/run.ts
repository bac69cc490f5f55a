import { isMcpmuxError } from '@mcpmux/core';
import { CommanderError } from 'commander';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * What to add to a `VAULT_LOCKED` error when this environment sets `MCPMUX_MASTER_KEY`: that
 * variable wins over every other key source, so a key that does not unlock the vault is fixed in the
 * variable (or by unsetting it), whatever the vault says about its own key source.
 */
function masterKeyHint(err: unknown, env: Record<string, string | undefined> | undefined): string {
  if (!isMcpmuxError(err, 'VAULT_LOCKED') || env === undefined) return '';
  const value = env.MCPMUX_MASTER_KEY;
  if (value === undefined || value === '' || /\bunset\b/.test(err.message)) return '';
  return " MCPMUX_MASTER_KEY is set here and overrides the vault's own key source: set it to the key the vault was created with, or unset it (`unset MCPMUX_MASTER_KEY`).";
}

/**
 * The one-line error text for any thrown value (never a stack trace).
 *
 * @param err - what was thrown.
 * @param env - the environment, for the `MCPMUX_MASTER_KEY` hint on `VAULT_LOCKED`; default none.
 */
export function errorLine(err: unknown, env?: Record<string, string | undefined>): string {
  let message: string;
  if (isMcpmuxError(err)) message = `${err.message}${masterKeyHint(err, env)}`;
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
    io.stderr.write(`${errorLine(err, io.env)}\n`);
    return 1;
  }
}
