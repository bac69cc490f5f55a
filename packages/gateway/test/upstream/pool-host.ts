/**
 * A stand-in gateway process for the orphan test: creates a pool, acquires the servers whose
 * fixture files are given as arguments, prints their pids as one JSON line, then idles until killed.
 */
import { join } from 'node:path';
import { createUpstreamPool } from '../../src/internal/upstream/pool.js';

const [fixtures, ...files] = process.argv.slice(2);
const pool = createUpstreamPool({
  resolveConfig: async (_space, server) => ({ config: server, secretValues: [] }),
});
for (const [i, file] of files.entries()) {
  await pool.acquire('work', {
    serverId: `s${i}`,
    defaultEnabled: false,
    transport: { type: 'stdio', command: process.execPath, args: [join(fixtures ?? '', file)] },
  });
}
process.stdout.write(`${JSON.stringify(pool.pids())}\n`);
setInterval(() => {}, 60_000);
