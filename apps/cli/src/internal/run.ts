import { CommanderError } from 'commander';
import { invokedCommand } from './invoked-command.js';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/** See `run` in index.ts. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const state = { code: 0 };
  const program = buildProgram(io, state, invokedCommand(argv));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'mcpmux.invalidArgument') io.stderr.write(`error: ${err.message}\n`);
      return err.exitCode === 0 ? 0 : 1;
    }
    const { errorLine } = await import('./error-line.js');
    io.stderr.write(`${errorLine(err)}\n`);
    return 1;
  }
}
