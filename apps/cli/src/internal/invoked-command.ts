// Which top-level command an argv runs, read without commander: `bin.ts` (before it loads the CLI)
// and `buildProgram` (which builds only that command) both ask.

/** Root options followed by a value, which is not the command's name. */
const VALUED_ROOT_OPTIONS = new Set(['--home', '--database']);

/**
 * The top-level command `argv` runs (its first word after the root options), or `undefined` when it
 * names none or needs the whole tree (`help`, `completion`).
 */
export function invokedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return undefined;
    if (VALUED_ROOT_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-')) return word === 'help' || word === 'completion' ? undefined : word;
  }
  return undefined;
}
