// The team database URL: its environment variable, checking and redaction. Apart from the vault, so
// the light home entry (`@mcpmux/server/home`) can name and redact it without loading the vault.
import { McpmuxError } from '@mcpmux/core';

/** The environment variable naming the team database (`mcpmux serve --database`). */
export const DATABASE_URL_ENV = 'MCPMUX_DATABASE_URL';
/** The environment variable naming the master key file in team mode (`--master-key-file`). */
export const MASTER_KEY_FILE_ENV = 'MCPMUX_MASTER_KEY_FILE';

/** `postgres://user:***@host:port/db`: a URL fit for messages and logs (password, query dropped). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

/**
 * Checks a team database URL: `postgres://` or `postgresql://` with a host.
 *
 * @throws `INVALID_INPUT` naming `--database` (the URL redacted).
 */
export function parseDatabaseUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !/^postgres(ql)?:$/.test(parsed.protocol) || parsed.hostname === '') {
    throw new McpmuxError(
      'INVALID_INPUT',
      `--database takes a PostgreSQL URL, e.g. postgres://mcpmux@db.internal:5432/mcpmux (got ${redactDatabaseUrl(url)}); put the password in PGPASSWORD or ~/.pgpass rather than in the URL.`,
      { data: { field: 'database' } },
    );
  }
  return url;
}
