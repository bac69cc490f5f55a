import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type * as Pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** pino through `require`: an ES import of this CommonJS package makes Node lex it first. */
const { pino } = createRequire(import.meta.url)('pino') as typeof Pino;

/** The levels {@link createLogger} accepts, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** One human line per entry (`12:00:01 INFO  message key=value`) instead of JSON. Default `false`. */
  pretty?: boolean;
  /** Where lines go: any writable stream or pino destination. Default: standard error (fd 2). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Exact secret values to blank wherever they appear in a message. Default none. */
  secretValues?: string[];
}

const CENSOR = '[REDACTED]';

/**
 * Structured fields that never reach a log line: a name alone is censored at the top level of an
 * entry, `*.name` one level down (in any field), and a dotted path where it leads.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'accessKey',
  'key',
  'token',
  'secret',
  'secrets',
  'password',
  'passphrase',
  'env',
  'headers',
  '*.authorization',
  '*.accessKey',
  '*.token',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.passphrase',
  '*.env',
  '*.headers',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** {@link REDACTED_PATHS} compiled: names censored at the top, names censored one level down, longer paths. */
const TOP_LEVEL = new Set(REDACTED_PATHS.filter((p) => !p.includes('.')));
const ONE_DOWN = new Set(REDACTED_PATHS.filter((p) => p.startsWith('*.')).map((p) => p.slice(2)));
const DEEPER = REDACTED_PATHS.filter((p) => p.includes('.') && !p.startsWith('*.')).map((p) => p.split('.'));

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `value` with its fields named in `names` censored; `value` itself when none is there. */
function censorFields(value: Record<string, unknown>, names: ReadonlySet<string>): Record<string, unknown> {
  if (!Object.keys(value).some((key) => names.has(key))) return value;
  const out = { ...value };
  for (const key of Object.keys(out)) if (names.has(key)) out[key] = CENSOR;
  return out;
}

/**
 * A log entry (or a child's bindings) with the {@link REDACTED_PATHS} censored, without touching the
 * caller's objects: a copy where something was censored, the entry itself otherwise. Cheaper than
 * pino's path redaction, which reruns its wildcard matcher on every field of every line; this runs
 * once per line, with the same result. `err` is left to its serializer, which keeps only the name,
 * the scrubbed message and the code.
 */
function redactEntry(entry: Record<string, unknown>): Record<string, unknown> {
  let out = censorFields(entry, TOP_LEVEL);
  const replace = (key: string, value: unknown): void => {
    if (out === entry) out = { ...entry };
    out[key] = value;
  };
  for (const key of Object.keys(out)) {
    const value = out[key];
    if (key === 'err' || !isRecord(value)) continue;
    const censored = censorFields(value, ONE_DOWN);
    if (censored !== value) replace(key, censored);
  }
  for (const [first, ...rest] of DEEPER as [string, ...string[]][]) {
    const censored = censorPath(out[first], rest);
    if (censored !== out[first]) replace(first, censored);
  }
  return out;
}

/** `value` with the field at `path` below it censored (copies along the path); `value` when absent. */
function censorPath(value: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  if (!isRecord(value) || head === undefined) return value;
  if (!(head in value)) return value;
  const inner = rest.length === 0 ? CENSOR : censorPath(value[head], rest);
  return inner === value[head] ? value : { ...value, [head]: inner };
}

/**
 * Access keys (`mcpmux_` + 43 base64url characters; case-sensitive, so the variable name
 * `MCPMUX_MASTER_KEY` is left alone) and bearer credentials, wherever they appear in free text.
 */
const ACCESS_KEY_TEXT = /mcpmux_[A-Za-z0-9_-]{16,}/g;
const BEARER_TEXT = /(Bearer\s+)\S+/gi;

function scrub(text: string, values: readonly string[]): string {
  let out = text
    .replace(ACCESS_KEY_TEXT, `mcpmux_${CENSOR}`)
    .replace(BEARER_TEXT, (_m, bearer: string) => `${bearer}${CENSOR}`);
  for (const value of values) if (value.length >= 4) out = out.split(value).join(CENSOR);
  return out;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** Turns pino's JSON lines into one readable line each (a small stand-in for pino-pretty). */
function prettyStream(target: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      let out = '';
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        out += `${formatLogLine(line)}\n`;
        newline = pending.indexOf('\n');
      }
      if (out === '') return callback();
      target.write(out, () => callback());
    },
  });
}

/**
 * One log line as the pretty format writes it (`HH:MM:SS LEVEL msg key=value ...`) from a JSON line
 * of pino's; a line that is not JSON (an upstream's stderr) comes back as it is.
 *
 * @example
 * ```ts
 * formatLogLine('{"level":30,"time":0,"msg":"call","client":"cursor"}'); // '00:00:00 INFO  call client=cursor'
 * ```
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = entry;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
  const name = LEVEL_NAMES[level as number] ?? String(level);
  return `${at} ${name} ${typeof msg === 'string' ? msg : ''}${fields === '' ? '' : ` ${fields}`}`;
}

/** Every {@link LogLevel}, most verbose first (`--log-level` choices). */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** How log lines are written: `pretty` (one readable line, for a terminal) or `json` (one object a line). */
export type LogFormat = 'pretty' | 'json';

/** Every {@link LogFormat} (`--log-format` choices). */
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/** The {@link LogLevel} named by `value` (any case), or `undefined` for anything else. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const wanted = value?.toLowerCase();
  return LOG_LEVELS.find((l) => l === wanted);
}

/** What a caller (the CLI's `--log-level`/`--log-format`) sets over {@link defaultLogger}'s defaults. */
export interface DefaultLoggerOverrides {
  /** Wins over `MCPMUX_LOG_LEVEL`. */
  level?: LogLevel;
  /** Wins over the terminal check. */
  format?: LogFormat;
  /** Where lines go. Default: standard error (fd 2). */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/**
 * The logger an app gets when it passes none: level from `overrides.level`, else `MCPMUX_LOG_LEVEL`
 * in `env`, else `info`; format from `overrides.format`, else the pretty one-line format when
 * standard error is a terminal and JSON otherwise.
 *
 * @param env - the process environment; only `MCPMUX_LOG_LEVEL` is read.
 * @param isTty - whether standard error is a terminal.
 * @param overrides - level, format and destination chosen by the caller; default none.
 * @example
 * ```ts
 * const logger = defaultLogger(process.env, process.stderr.isTTY === true, { level: 'debug' });
 * ```
 */
export function defaultLogger(
  env: Record<string, string | undefined>,
  isTty: boolean,
  overrides: DefaultLoggerOverrides = {},
): Logger {
  const level = overrides.level ?? parseLogLevel(env.MCPMUX_LOG_LEVEL) ?? 'info';
  const pretty = (overrides.format ?? (isTty ? 'pretty' : 'json')) === 'pretty';
  return createLogger({
    level,
    pretty,
    ...(overrides.destination === undefined ? {} : { destination: overrides.destination }),
  });
}

/**
 * Creates the server's structured logger (pino): JSON lines by default, one readable line per entry
 * with `pretty` (for a terminal). Secrets never reach a line: fields named like credentials
 * ({@link REDACTED_PATHS}) are censored, and access keys, bearer tokens and the given
 * `secretValues` are blanked inside messages.
 *
 * @param options.level - lowest level written; default `info`.
 * @param options.pretty - human one-line format; default `false` (JSON).
 * @param options.destination - where lines go; default standard error.
 * @param options.secretValues - exact values to blank; default none.
 * @returns a pino {@link Logger}.
 * @example
 * ```ts
 * const logger = createLogger({ level: 'debug', pretty: process.stderr.isTTY });
 * logger.info({ port: 45818 }, 'listening');
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secretValues = [...(options.secretValues ?? [])].sort((a, b) => b.length - a.length);
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: null,
    formatters: { log: redactEntry },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrub(arg, secretValues) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => {
        const e = err as { name?: unknown; message?: unknown; code?: unknown };
        return {
          name: typeof e?.name === 'string' ? e.name : 'Error',
          message: scrub(typeof e?.message === 'string' ? e.message : String(err), secretValues),
          ...(typeof e?.code === 'string' || typeof e?.code === 'number' ? { code: e.code } : {}),
        };
      },
    },
  };
  const target = (options.destination ?? pino.destination({ fd: 2, sync: true })) as NodeJS.WritableStream;
  const logger =
    options.pretty === true ? pino(config, prettyStream(target)) : pino(config, target as DestinationStream);
  return redactingChildren(logger);
}

/**
 * Makes `logger.child(bindings)` censor the bindings as entries are censored (pino applies its
 * `formatters.log` to entries only). Children are created from their parent's prototype chain, so
 * they and their own children inherit this `child`.
 */
function redactingChildren(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactEntry(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
