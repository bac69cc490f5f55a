import { dirname } from 'node:path';
import { afterAll } from 'vitest';
import {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from '../../../postgres/src/server.js';
import { runCli } from '../helpers/cli.js';
import { nginxUnavailableReason } from './nginx.js';
import { describeTeamScenarios } from './team-scenarios.js';

// Team mode as docs/team.md sets it up: the home migrated into PostgreSQL (`mcpmux migrate`), three
// replicas on it (`serve` with MCPMUX_DATABASE_URL, --replica-id, --public-url) behind the
// documented nginx; the CLI administers the same database through MCPMUX_DATABASE_URL.
const reasons = [nginxUnavailableReason(), postgresReason()].filter((r) => r !== undefined);
if (reasons.length > 0) console.warn(`skipping the team-mode PostgreSQL tests: ${reasons.join('; ')}`);

function postgresReason(): string | undefined {
  const reason = postgresUnavailableReason();
  if (reason !== undefined && process.env.CI) {
    throw new Error(`${reason}; CI must run the team-mode tests (.ci/run installs Debian's postgresql).`);
  }
  return reason;
}

let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
});

describeTeamScenarios(
  'team mode on PostgreSQL: a migrated home, three replicas behind the documented nginx',
  reasons.length > 0,
  async (home) => {
    server ??= await startPostgresServer();
    const url = await server.createDatabase('team');
    await runCli(home, ['migrate', '--to', url]);
    // From here on every CLI call of the scenarios administers the team database.
    home.env.MCPMUX_DATABASE_URL = url;
    return { env: home.env, root: dirname(home.dir) };
  },
);
