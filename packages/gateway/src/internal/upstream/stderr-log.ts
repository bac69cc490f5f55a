/**
 * The per-server stderr log: `<logDir>/<spaceId>/<serverId>.log`, written line by line with every
 * resolved secret value replaced by `[REDACTED]`, rotated to `<serverId>.log.1` when it would grow
 * past its size cap.
 *
 * Redaction sees every secret whole, however the child's writes were chunked: bytes are decoded
 * with a streaming UTF-8 decoder (a character split across chunks stays intact), and text is only
 * ever written up to a safe cut: one that no occurrence of a secret spans, with any tail that could
 * still grow into a secret (a prefix of one) held back until more text or `close()` decides.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { MIN_REDACTED_LENGTH } from '@mcpmux/vault';

/** A function replacing every occurrence of the given secret values in a string (`createRedactor` of `@mcpmux/vault`). */
export type Redactor = (text: string) => string;

/** Options of {@link createStderrLog}. */
export interface StderrLogOptions {
  path: string;
  redact: Redactor;
  /**
   * The secret values `redact` hides. With them the log never cuts text through a secret (an
   * over-long line is flushed in pieces, a secret containing a newline may span lines); without
   * them a secret is only redacted whole while it sits within one line of at most 64 KiB.
   */
  secretValues?: readonly string[] | undefined;
  /** Rotate when the file would exceed this many bytes. Default 1 MiB. */
  maxBytes?: number | undefined;
}

/** A sink for a child's stderr. */
export interface StderrLog {
  write(chunk: Buffer): void;
  /** Writes any unterminated last line and closes the file. */
  close(): void;
}

/** The longest partial line held back waiting for its newline (so a secret split across chunks is still caught). */
const MAX_PENDING = 64 * 1024;

/** True when `text.slice(from)` is a proper prefix of `secret` (the text may continue into it). */
function isPrefixOf(text: string, from: number, secret: string): boolean {
  const length = text.length - from;
  if (length >= secret.length) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(from + i) !== secret.charCodeAt(i)) return false;
  return true;
}

/**
 * The largest cut `<= limit` at which `text` can be split and the head redacted on its own: no
 * complete occurrence of a secret spans the cut, and no occurrence that starts before it can still
 * be completed by text that has not arrived yet. 0 when nothing can be written yet.
 *
 * @param pattern - the secrets as one global regex, longest first (as the redactor matches them).
 */
export function safeCut(
  text: string,
  limit: number,
  secrets: readonly string[],
  pattern: RegExp | undefined,
): number {
  if (pattern === undefined) return limit;
  const longest = secrets[0]?.length ?? 0;
  let cut = limit;
  for (;;) {
    const before = cut;
    // An occurrence that the text already holds completely, across the cut: cut before it.
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null && m.index < cut; m = pattern.exec(text)) {
      if (m.index + m[0].length > cut) {
        cut = m.index;
        break;
      }
    }
    // An occurrence that may still be completed by later text starts in the last `longest - 1` characters.
    for (let from = Math.max(0, text.length - longest + 1); from < cut; from++) {
      if (secrets.some((secret) => isPrefixOf(text, from, secret))) {
        cut = from;
        break;
      }
    }
    if (cut === before) return cut;
  }
}

/**
 * Opens (creating directories with mode 0700 and the file with 0600) a redacting, size-capped
 * stderr log. Write errors are swallowed: a full disk must not take an upstream down.
 */
export function createStderrLog(options: StderrLogOptions): StderrLog {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const secrets = [...new Set(options.secretValues ?? [])]
    .filter((v) => v.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.length - a.length);
  const pattern =
    secrets.length === 0
      ? undefined
      : new RegExp(secrets.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const decoder = new StringDecoder('utf8');
  let fd: number | undefined;
  let size = 0;
  let pending = '';

  const open = (): void => {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    fd = openSync(options.path, 'a', 0o600);
    size = statSync(options.path).size;
  };
  const append = (text: string): void => {
    if (text.length === 0) return;
    try {
      if (fd === undefined) open();
      const bytes = Buffer.from(options.redact(text), 'utf8');
      if (size + bytes.length > maxBytes && size > 0) {
        closeSync(fd as number);
        renameSync(options.path, `${options.path}.1`);
        open();
      }
      writeSync(fd as number, bytes);
      size += bytes.length;
    } catch {
      // Logging is best effort.
    }
  };
  /** Writes `pending` up to a safe cut at or before `limit`; `breakLine` ends the written part with a newline. */
  const flushTo = (limit: number, breakLine: boolean): void => {
    let cut = safeCut(pending, limit, secrets, pattern);
    // Never split a UTF-16 surrogate pair.
    const last = pending.charCodeAt(cut - 1);
    if (cut < pending.length && last >= 0xd800 && last <= 0xdbff) cut--;
    if (cut <= 0) return;
    const head = pending.slice(0, cut);
    pending = pending.slice(cut);
    append(breakLine && !head.endsWith('\n') ? `${head}\n` : head);
  };

  return {
    write(chunk) {
      pending += decoder.write(chunk);
      const lastNewline = pending.lastIndexOf('\n');
      if (lastNewline >= 0) flushTo(lastNewline + 1, false);
      // An over-long line is written in pieces, each ended with a newline.
      if (pending.length > MAX_PENDING) flushTo(pending.length, true);
    },
    close() {
      pending += decoder.end();
      if (pending.length > 0) append(pending.endsWith('\n') ? pending : `${pending}\n`);
      pending = '';
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        fd = undefined;
      }
    },
  };
}
