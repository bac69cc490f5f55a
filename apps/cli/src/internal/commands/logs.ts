import { existsSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { checkSlug, McpmuxError } from '@mcpmux/core';
import { type Ctx, requireSpace } from '../context.js';
import { DEFAULT_LOG_LINES } from '../defaults.js';
import { loadHome, loadServer } from '../deps.js';
import { gatewayPaths } from '../gateway-files.js';
import { shutdownRequested } from './serve.js';

/** How often `logs -f` looks for new lines, a rotation or a truncation, in ms. */
const FOLLOW_POLL_MS = 200;
/** How much `logs` reads at a time from the end of a file when looking for the last lines. */
const CHUNK = 64 * 1024;

/** Options of `logs`, as parsed. */
export interface LogsOptions {
  follow?: boolean;
  /** `pretty`: the gateway's JSON lines as readable lines; `json`: as they are. Default: pretty on a terminal. */
  format?: 'pretty' | 'json';
  space?: string;
  lines?: number;
}

/** The last `count` lines of the open file (of `size` bytes), as one string ending in a newline when non-empty. */
async function lastLines(handle: FileHandle, size: number, count: number): Promise<string> {
  if (count === 0 || size === 0) return '';
  let start = size;
  let text = '';
  // One more newline than lines wanted: the file's final newline ends the last line.
  while (start > 0) {
    const from = Math.max(0, start - CHUNK);
    const buffer = Buffer.alloc(start - from);
    await handle.read(buffer, 0, buffer.length, from);
    text = buffer.toString('utf8') + text;
    start = from;
    if ((text.match(/\n/g)?.length ?? 0) > count) break;
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const out = lines.slice(-count).join('\n');
  return out === '' ? '' : `${out}\n`;
}

/** The log file `logs` shows: the gateway's, or a server's stderr log in a Space. */
async function logFile(ctx: Ctx, server: string | undefined, opts: LogsOptions): Promise<string> {
  const paths = gatewayPaths(ctx.home);
  if (server === undefined) {
    if (!existsSync(paths.log)) {
      throw new McpmuxError(
        'NOT_FOUND',
        `No gateway log at ${paths.log}: the background gateway has not run for this home. ` +
          'Start it with `mcpmux start` (a foreground `mcpmux serve` logs to its terminal instead).',
        { data: { entity: 'log', path: paths.log } },
      );
    }
    return paths.log;
  }
  // A server id names a file under logs/<space>/: never a path.
  checkSlug(server, 'server id');
  const { DATABASE_FILE } = await loadHome();
  const dbPath = join(paths.home, DATABASE_FILE);
  if (!existsSync(dbPath)) {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${paths.home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: paths.home },
    });
  }
  // The store only (no vault): works when the master key is not at hand.
  const { openSqliteSpaceStore } = await import('@mcpmux/space-store/sqlite');
  const store = openSqliteSpaceStore({ path: dbPath });
  let spaceId: string;
  try {
    if (opts.space !== undefined) spaceId = (await requireSpace(store, opts.space)).id;
    else {
      const active = await store.getActiveSpace();
      if (active === undefined) {
        throw new McpmuxError(
          'NOT_FOUND',
          'There is no active Space. Pass --space S or run `mcpmux space use ID`.',
          {
            data: { entity: 'space' },
          },
        );
      }
      spaceId = active.id;
    }
  } finally {
    await store.close();
  }
  const file = join(paths.logDir, spaceId, `${server}.log`);
  if (!existsSync(file)) {
    throw new McpmuxError(
      'NOT_FOUND',
      `No log for server "${server}" in Space "${spaceId}" (${file}): it has not run in that Space. ` +
        'Its stderr is kept once the gateway starts it (a call or `mcpmux start` with it in the active Space); ' +
        `check the server id with \`mcpmux server list --space ${spaceId}\`, or pass --space.`,
      { data: { entity: 'log', path: file, server, space: spaceId } },
    );
  }
  return file;
}

/**
 * Copies what is appended to `file` to `write` until `signal` aborts: polls its size, reads new bytes
 * from where it left off, and reopens it from the start when it was rotated (another file at the
 * path) or truncated. A file that is briefly missing (between a rotation and the new file) is waited for.
 */
async function follow(
  file: string,
  handle: FileHandle,
  position: number,
  write: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  // One decoder for the whole follow: a chunk may end inside a multi-byte character.
  const decoder = new StringDecoder('utf8');
  let current: FileHandle | undefined = handle;
  let ino = (await handle.stat()).ino;
  let at = position;
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, FOLLOW_POLL_MS);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  const drain = async (h: FileHandle) => {
    const size = (await h.stat()).size;
    if (size < at) at = 0; // truncated in place
    while (at < size) {
      const buffer = Buffer.alloc(Math.min(CHUNK, size - at));
      const { bytesRead } = await h.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) break;
      at += bytesRead;
      write(decoder.write(buffer.subarray(0, bytesRead)));
    }
  };
  try {
    while (!signal.aborted) {
      if (current !== undefined) await drain(current);
      const now = await stat(file).catch(() => undefined);
      if (now !== undefined && (current === undefined || now.ino !== ino)) {
        // Rotated: finish the old file, then read the new one from its start.
        if (current !== undefined) {
          await drain(current);
          await current.close();
          current = undefined;
        }
        current = await open(file, 'r').catch(() => undefined);
        if (current !== undefined) {
          ino = (await current.stat()).ino;
          at = 0;
          continue;
        }
      }
      await sleep();
    }
  } finally {
    await current?.close();
  }
}

/**
 * `logs [SERVER] [-f] [--space S] [-n N] [--format pretty|json]`: prints the last N lines (default 50) of the gateway's log
 * (`<home>/logs/gateway.log`) or of SERVER's stderr log in a Space (`<home>/logs/<space>/<server>.log`,
 * the active Space by default); with `-f`, keeps printing what is appended (across rotations) until
 * the io's abort signal, or SIGINT/SIGTERM.
 *
 * @throws `NOT_FOUND` when the log does not exist (saying to start the gateway, or that the server has
 *   not run in that Space), or the Space does not.
 */
export async function logs(ctx: Ctx, server: string | undefined, opts: LogsOptions): Promise<number> {
  const format = opts.format ?? (ctx.io.isTTY ? 'pretty' : 'json');
  const file = await logFile(ctx, server, opts);
  const formatLine = format === 'pretty' ? (await loadServer()).formatLogLine : undefined;
  const handle = await open(file, 'r');
  let partial = '';
  const write = (text: string) => {
    if (formatLine === undefined) {
      ctx.io.stdout.write(text);
      return;
    }
    // Whole lines only: a chunk read while following may end inside one.
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length > 0) ctx.io.stdout.write(`${lines.map(formatLine).join('\n')}\n`);
  };
  let owned = true;
  try {
    const size = (await handle.stat()).size;
    write(await lastLines(handle, size, opts.lines ?? DEFAULT_LOG_LINES));
    if (opts.follow !== true) return 0;
    const controller = new AbortController();
    const shutdown = shutdownRequested(ctx.io.signal);
    void shutdown.wait.then(() => controller.abort());
    owned = false;
    try {
      await follow(file, handle, size, write, controller.signal);
    } finally {
      shutdown.dispose();
    }
    return 0;
  } finally {
    if (owned) await handle.close();
  }
}
