import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamPool, type UpstreamPoolHandle } from '../../src/internal/upstream/pool.js';
import { fixtureServer, plainResolver, waitFor } from './helpers.js';

let pool: UpstreamPoolHandle | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const SECRET = 'sk-live-0123456789abcdef';

describe('the per-server stderr log', { timeout: 30_000 }, () => {
  it('never holds a secret written in two parts across the 64 KiB flush of a 70 KiB line', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'mcpmux-logs-'));
    pool = createUpstreamPool({ resolveConfig: plainResolver([SECRET]), logDir });
    const upstream = await pool.acquire('work', fixtureServer('writer', 'stderr-writer.mjs'));
    const file = join(logDir, 'work', 'writer.log');
    const write = (text: string) =>
      upstream.request({ method: 'tools/call', params: { name: 'stderr_write', arguments: { text } } });

    await write(`${'x'.repeat(64 * 1024)}${SECRET.slice(0, 8)}`);
    // The first part went over the 64 KiB limit: the log has flushed the line's start.
    await waitFor(() => existsSync(file) && statSync(file).size >= 64 * 1024, 10_000, 'the first flush');
    await write(`${SECRET.slice(8)}${'y'.repeat(6 * 1024)}\n`);
    await pool.close();

    const log = readFileSync(file, 'utf8');
    for (let i = 0; i + 4 <= SECRET.length; i++) expect(log).not.toContain(SECRET.slice(i, i + 4));
    expect(log.replaceAll('\n', '')).toBe(`${'x'.repeat(64 * 1024)}[REDACTED]${'y'.repeat(6 * 1024)}`);
  });
});
