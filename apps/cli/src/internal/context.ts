import { homedir } from 'node:os';
import { McpmuxError } from '@mcpmux/core';
import { homePath } from './bridge/args.js';
import { loadHome, type OpenedHome, type OpenedHomeStore } from './deps.js';
import { type CliIo, type CliPrompt, Output } from './io.js';

/** Global options every command sees. */
export interface GlobalOptions {
  home?: string;
  /** Team mode: the PostgreSQL URL (`--database`), else `MCPMUX_DATABASE_URL` (read by `openHome`). */
  database?: string;
  json?: boolean;
}

/** What a command handler works with: the io, the output helpers and the resolved home. */
export class Ctx {
  readonly out: Output;
  readonly home: string;
  /** `--database`: the team's PostgreSQL URL, when given (else `openHome` reads `MCPMUX_DATABASE_URL`). */
  readonly database: string | undefined;
  constructor(
    readonly io: CliIo,
    globals: GlobalOptions,
  ) {
    this.out = new Output(io, globals.json === true);
    this.home = resolveHome(globals.home, io);
    this.database = globals.database;
  }

  get json(): boolean {
    return this.out.json;
  }

  /** The user's home directory (`HOME`/`USERPROFILE` from io.env, else the OS's). */
  get userHome(): string {
    return this.io.env.HOME ?? this.io.env.USERPROFILE ?? homedir();
  }

  /**
   * Opens the home with its vault (NOT_FOUND "run mcpmux init" when missing, unless `create`), runs
   * `fn`, closes it. For verbs that touch secrets or delete a Space; the others use {@link withStore}.
   */
  async withHome<T>(fn: (h: OpenedHome) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
    const { openHome } = await loadHome();
    const opened = await openHome({
      home: this.home,
      env: this.io.env,
      create: opts.create === true,
      ...(this.database === undefined ? {} : { database: this.database }),
    });
    try {
      return await fn(opened);
    } finally {
      await opened.close();
    }
  }

  /**
   * Opens the home's store only (never the keychain or the vault; NOT_FOUND "run mcpmux init" when
   * missing), runs `fn`, closes it. For verbs that neither touch a secret nor delete a Space.
   */
  async withStore<T>(fn: (h: OpenedHomeStore) => Promise<T>): Promise<T> {
    const { openHomeStore } = await loadHome();
    const opened = await openHomeStore({
      home: this.home,
      env: this.io.env,
      ...(this.database === undefined ? {} : { database: this.database }),
    });
    try {
      return await fn(opened);
    } finally {
      await opened.close();
    }
  }
}

/** `--home`, else `$MCPMUX_HOME`, else `~/.mcpmux`; relative paths resolve against io.cwd. */
export function resolveHome(flag: string | undefined, io: CliIo): string {
  return homePath(flag, io.env, io.cwd);
}

export { requireClient, requireSpace, targetSpace } from '@mcpmux/server/home';

/** Reads all of a stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Removes exactly one trailing `\n` or `\r\n`. */
export function stripOneNewline(value: string): string {
  if (value.endsWith('\r\n')) return value.slice(0, -2);
  if (value.endsWith('\n')) return value.slice(0, -1);
  return value;
}

/**
 * Reads a secret: a hidden prompt when stdin is a terminal, else all of stdin with one trailing
 * newline stripped. Never echoes it. INVALID_INPUT when empty or cancelled.
 */
export async function readSecret(ctx: Ctx, message: string): Promise<string> {
  const stdinIsTTY = ctx.io.stdinIsTTY ?? ctx.io.isTTY;
  let value: string | undefined;
  if (stdinIsTTY) {
    const prompt = ctx.io.prompt ?? (await clackPrompt(ctx.io));
    value = await prompt.secret(message);
    if (value === undefined) throw new McpmuxError('INVALID_INPUT', 'Cancelled; nothing was stored.');
  } else {
    value = stripOneNewline(await readAll(ctx.io.stdin));
  }
  if (value === '') {
    throw new McpmuxError(
      'INVALID_INPUT',
      'The secret is empty. Pipe the value on stdin, e.g. `printf %s "$TOKEN" | mcpmux secret set ...`.',
      { data: { field: 'value' } },
    );
  }
  return value;
}

async function clackPrompt(io: CliIo): Promise<Required<CliPrompt>> {
  const clack = await import('@clack/prompts');
  return {
    async secret(message) {
      const result = await clack.password({
        message,
        input: io.stdin,
        output: io.stderr,
      });
      return clack.isCancel(result) ? undefined : result;
    },
    async confirm(message) {
      const result = await clack.confirm({
        message,
        initialValue: false,
        input: io.stdin,
        output: io.stderr,
      });
      return result === true;
    },
  };
}

/**
 * Asks a yes/no question on a terminal (the io's prompt, else `@clack/prompts`); false when stdin is
 * not a terminal or the question is cancelled, so scripts never block on it.
 */
export async function confirm(ctx: Ctx, message: string): Promise<boolean> {
  const stdinIsTTY = ctx.io.stdinIsTTY ?? ctx.io.isTTY;
  if (!stdinIsTTY) return false;
  const ask = ctx.io.prompt?.confirm ?? (await clackPrompt(ctx.io)).confirm;
  return ask(message);
}

/** Parses repeated `K=V` flags into a record; INVALID_INPUT naming the flag when one has no `=`. */
export function parsePairs(pairs: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new McpmuxError('INVALID_INPUT', `${flag} "${pair}": use NAME=VALUE.`, { data: { field: flag } });
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Formats a date for tables (UTC, minutes). */
export function shortDate(d: Date | undefined): string {
  return d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-';
}
