import type { Readable, Writable } from 'node:stream';
import pc from 'picocolors';

/** A hidden-input prompt and a yes/no question, used on a TTY. Tests inject their own. */
export interface CliPrompt {
  /** Asks for a secret without echoing it. Resolves to the value, or undefined when cancelled. */
  secret(message: string): Promise<string | undefined>;
  /** Asks a yes/no question (default no). Resolves to false when cancelled. Default: `@clack/prompts`. */
  confirm?(message: string): Promise<boolean>;
}

/**
 * Everything `run()` touches of the outside world, so tests drive the CLI in-process.
 * The process edge (`bin.ts`) passes the real process streams and environment.
 */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** The environment (`MCPMUX_HOME`, `MCPMUX_MASTER_KEY`, `HOME`, `PATH`...). */
  env: Record<string, string | undefined>;
  /** The working directory relative paths resolve against. */
  cwd: string;
  /** True when stdout is a terminal: enables colour, spinners and prompts. */
  isTTY: boolean;
  /** True when stdin is a terminal (default: `isTTY`): secrets are then asked with a hidden prompt. */
  stdinIsTTY?: boolean;
  /** Hidden prompt used on a TTY (default: `@clack/prompts`). */
  prompt?: CliPrompt;
  /** Aborted when the process should shut down (`serve`, `stdio`); default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** The platform whose config paths `connect`/`import` use (default: `process.platform`). */
  platform?: NodeJS.Platform;
  /** How an app launches this CLI (for `connect`); default: the command `mcpmux` from PATH. */
  self?: { command: string; args: string[] };
}

/** Colour functions that are identity functions when colour is off. */
export type Colors = ReturnType<typeof pc.createColors>;

/** Human and machine output over a {@link CliIo}. */
export class Output {
  readonly color: Colors;
  constructor(
    readonly io: CliIo,
    readonly json: boolean,
  ) {
    const enabled = io.isTTY && io.env.NO_COLOR === undefined && io.env.FORCE_COLOR !== '0';
    this.color = pc.createColors(enabled);
  }

  /** Writes one line (or several) to stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Writes a value as pretty JSON on stdout. */
  data(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes a note to stderr (kept off stdout so scripts can parse stdout). */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Writes a warning line to stderr. */
  warn(text: string): void {
    this.io.stderr.write(`${this.color.yellow('warning:')} ${text}\n`);
  }

  /** Writes an aligned table: a bold header row and one row per entry; prints `empty` when there are none. */
  table(headers: string[], rows: string[][], empty = '(none)'): void {
    if (rows.length === 0) {
      this.line(this.color.dim(empty));
      return;
    }
    this.line(formatTable(headers, rows, (h) => this.color.bold(h)));
  }
}

/** Aligns `rows` under `headers` with two spaces between columns; trailing spaces trimmed. */
export function formatTable(
  headers: string[],
  rows: string[][],
  style: (h: string) => string = (h) => h,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[], styleCell?: (s: string) => string) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0);
        return styleCell ? styleCell(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [fmt(headers, style), ...rows.map((r) => fmt(r))].join('\n');
}
