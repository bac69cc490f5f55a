/**
 * A stand-in gateway process for the orphan tests: creates a pool, acquires the stdio servers given
 * as one JSON argument (`[{ command, args, env? }]`), prints their pids and the watchdog's pid as one
 * JSON line (`{ "pids": [...], "watchdog": N }`), then either idles until killed (`idle`, the
 * default), aborts the process like an out-of-memory crash does (`abort`), or closes the pool and
 * lets the event loop drain, as a CLI command does when it is done (`close`).
 */
import { sharedGroupWatchdog } from '../../src/internal/upstream/group-watchdog.js';
import { createUpstreamPool } from '../../src/internal/upstream/pool.js';

interface Spec {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

const [specsJson, mode = 'idle'] = process.argv.slice(2);
const specs = JSON.parse(specsJson ?? '[]') as Spec[];
const pool = createUpstreamPool({
  resolveConfig: async (_space, server) => ({ config: server, secretValues: [] }),
});
for (const [i, spec] of specs.entries()) {
  await pool.acquire('work', {
    serverId: `s${i}`,
    defaultEnabled: false,
    transport: { type: 'stdio', ...spec },
  });
}
process.stdout.write(`${JSON.stringify({ pids: pool.pids(), watchdog: sharedGroupWatchdog().pid })}\n`);
if (mode === 'abort') process.abort();
if (mode === 'close') {
  await pool.close();
  process.stdout.write('closed\n');
} else {
  setInterval(() => {}, 60_000);
}
