import { nginxUnavailableReason } from './nginx.js';
import { describeTeamScenarios } from './team-scenarios.js';

// Three replicas sharing one SQLite file (each replica's home links to it) behind the nginx of
// docs/team.md. One machine only; PostgreSQL is the team-mode database (replicas-postgres).
const reason = nginxUnavailableReason();
if (reason !== undefined) console.warn(`skipping the team-mode nginx tests: ${reason}`);

describeTeamScenarios(
  'team mode on a shared SQLite file: three replicas behind the documented nginx',
  reason !== undefined,
  async (home) => ({ kind: 'sqlite', home }),
);
