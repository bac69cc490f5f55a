import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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
 * `<path>.mcpmux-backup-<UTC timestamp>`, then the new content goes to a temp file beside it which is
 * renamed over the original (atomic on one filesystem). The original's mode is kept.
 *
 * @returns the backup path, or undefined when there was no file to back up.
 */
export async function writeWithBackup(
  path: string,
  content: string,
  now: Date = new Date(),
): Promise<string | undefined> {
  await mkdir(dirname(path), { recursive: true });
  let backup: string | undefined;
  let mode: number | undefined;
  try {
    mode = (await stat(path)).mode & 0o777;
    backup = `${path}.mcpmux-backup-${now.toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(path, backup);
    await chmod(backup, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const temp = `${path}.mcpmux-tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, content, { mode: mode ?? 0o600 });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  return backup;
}
