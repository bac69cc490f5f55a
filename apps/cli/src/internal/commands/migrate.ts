import type { Ctx } from '../context.js';
import { loadServer } from '../deps.js';

/** Options of `migrate`, as parsed. */
interface MigrateOptions {
  to?: string;
  masterKeyFile?: string;
  audit?: boolean;
}

/**
 * `migrate --to postgres://... [--master-key-file FILE] [--audit]`: copies this home into an empty
 * PostgreSQL database for team mode (docs/team.md), secrets re-encrypted under the team's master key
 * (`MCPMUX_MASTER_KEY`, else the key file), checked before the copy commits. `--to` defaults to
 * `MCPMUX_DATABASE_URL`. Prints what was copied; `--json` prints the summary object.
 */
export async function migrate(ctx: Ctx, opts: MigrateOptions): Promise<number> {
  const { migrateHome } = await loadServer();
  const to = opts.to ?? ctx.io.env.MCPMUX_DATABASE_URL;
  if (to === undefined || to === '') {
    const { McpmuxError } = await import('@mcpmux/core');
    throw new McpmuxError(
      'INVALID_INPUT',
      'migrate needs the target: --to postgres://USER@HOST:PORT/DATABASE (or MCPMUX_DATABASE_URL), an empty database.',
      { data: { field: 'to' } },
    );
  }
  const summary = await migrateHome({
    home: ctx.home,
    to,
    env: ctx.io.env,
    ...(opts.masterKeyFile === undefined ? {} : { masterKeyFile: opts.masterKeyFile }),
    ...(opts.audit === true ? { audit: true } : {}),
  });
  if (ctx.json) {
    ctx.out.data(summary);
    return 0;
  }
  ctx.out.line(`Copied ${ctx.home} to ${summary.target} and checked the copy:`);
  for (const { table, rows } of summary.tables) ctx.out.line(`  ${table.padEnd(20)} ${rows}`);
  ctx.out.line(`  ${'secrets'.padEnd(20)} ${summary.secrets} (re-encrypted under the team's master key)`);
  if (!summary.audit) ctx.out.line('The audit log stayed in the home (pass --audit to copy it).');
  ctx.out.line(
    'Next: start each replica with `mcpmux serve --database URL --replica-id ID --public-url URL` (docs/team.md).',
  );
  return 0;
}
