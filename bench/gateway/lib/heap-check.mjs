// Shared set-up of the heap checks for deeply nested tools/call arguments (deep-args.mjs,
// deep-json.bench.mjs): command-line options, heap after a full GC, and the one-upstream home.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How far the heap after a full GC may grow over one phase before the check fails, in MiB. */
export const HEAP_LIMIT_MB = 20;

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * Reads `--calls N` (default 100) and `--depth N` (default 1,000,000) from the command line, and
 * exits with code 2 unless node runs with `--expose-gc` (the heap is only comparable after a full GC).
 * @returns {{ calls: number, depth: number }}
 */
export function heapCheckOptions() {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  if (typeof globalThis.gc !== 'function') {
    console.error('run with node --expose-gc');
    process.exit(2);
  }
  return { calls: option('--calls', 100), depth: option('--depth', 1_000_000) };
}

/**
 * Heap used and resident set size in MiB, after three full GCs with a turn of the event loop
 * between them (so finalizers and closed handles are gone).
 * @returns {Promise<{ heap: number, rss: number }>}
 */
export async function memoryAfterGc() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed / 2 ** 20, rss: rss / 2 ** 20 };
}

/**
 * Fills a space store with space `work` holding one stdio upstream `echo` (fixtures/many-tools.mjs
 * with one tool) and client `app` granted all of it.
 * @param {import('@mcpmux/space-store').SpaceStore} store
 * @returns {Promise<{ accessKey: string }>} what `createClient` returned for `app`
 */
export async function seedEchoSpace(store) {
  await store.createSpace({ id: 'work' });
  await store.createServer({
    id: 'echo',
    transport: {
      type: 'stdio',
      command: process.execPath,
      args: [join(fixtures, 'many-tools.mjs'), 'e', '1'],
    },
  });
  await store.install('work', 'echo');
  const created = await store.createClient({ id: 'app' });
  await store.grant('app', 'work', 'all');
  return created;
}
