import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMcpmuxError, McpmuxError } from '@mcpmux/core';

/** Reads a file as UTF-8, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Writes `content` to `path` safely: when the file exists it is first copied to
 * `<path>.mcpmux-backup-<UTC timestamp>` (mode 0600: an app config may hold credentials), then the
 * new content goes to a temp file beside it which is renamed over the original (atomic on one
 * filesystem). The original's mode is kept.
 *
 * @param expected - the text the caller planned from; when given, the write is refused (`CONFLICT`,
 *   nothing written, no backup left) if the file no longer holds exactly that text, because the app or
 *   the user changed it meanwhile.
 * @returns the backup path, or undefined when there was no file to back up.
 */
export async function writeWithBackup(
  path: string,
  content: string,
  now: Date = new Date(),
  expected?: string,
): Promise<string | undefined> {
  await mkdir(dirname(path), { recursive: true });
  const unchanged = async () => {
    if (expected !== undefined && (await readIfExists(path)) !== expected) {
      throw new McpmuxError(
        'CONFLICT',
        `${path} changed while mcpmux was working on it; nothing was written. Run the command again.`,
        { data: { path } },
      );
    }
  };
  await unchanged();
  let backup: string | undefined;
  let mode: number | undefined;
  try {
    mode = (await stat(path)).mode & 0o777;
    backup = `${path}.mcpmux-backup-${now.toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(path, backup);
    await chmod(backup, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const temp = `${path}.mcpmux-tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, content, { mode: mode ?? 0o600 });
    // Checked again just before the rename: the window for a lost concurrent edit is this await.
    await unchanged();
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    if (backup !== undefined && isMcpmuxError(e, 'CONFLICT')) await rm(backup, { force: true });
    throw e;
  }
  return backup;
}
