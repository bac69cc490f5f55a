import { isMcpmuxError } from '@mcpmux/core';

/**
 * The one-line error text for any thrown value (never a stack trace).
 *
 * @param err - what was thrown.
 */
export function errorLine(err: unknown): string {
  let message: string;
  if (isMcpmuxError(err)) message = err.message;
  else if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    message =
      code === 'EACCES' || code === 'EPERM'
        ? `${err.message} (check the permissions of that path)`
        : err.message;
  } else message = String(err);
  return `error: ${message.replace(/\s*\n\s*/g, ' ').trim()}`;
}
