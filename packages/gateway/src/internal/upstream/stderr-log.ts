/**
 * The per-server stderr log: `<logDir>/<spaceId>/<serverId>.log`, written line by line with every
 * resolved secret value replaced by `[REDACTED]`, rotated to `<serverId>.log.1` when it would grow
 * past its size cap.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** A function replacing every occurrence of the given secret values in a string (`createRedactor` of `@mcpmux/vault`). */
export type Redactor = (text: string) => string;

/** Options of {@link createStderrLog}. */
export interface StderrLogOptions {
  path: string;
  redact: Redactor;
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

/**
 * Opens (creating directories with mode 0700 and the file with 0600) a redacting, size-capped
 * stderr log. Write errors are swallowed: a full disk must not take an upstream down.
 */
export function createStderrLog(options: StderrLogOptions): StderrLog {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
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

  return {
    write(chunk) {
      pending += chunk.toString('utf8');
      const lastNewline = pending.lastIndexOf('\n');
      if (lastNewline >= 0) {
        append(pending.slice(0, lastNewline + 1));
        pending = pending.slice(lastNewline + 1);
      }
      if (pending.length > MAX_PENDING) {
        append(`${pending}\n`);
        pending = '';
      }
    },
    close() {
      if (pending.length > 0) append(`${pending}\n`);
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
