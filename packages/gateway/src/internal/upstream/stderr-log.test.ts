import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '@mcpmux/vault';
import { describe, expect, it } from 'vitest';
import { createStderrLog } from './stderr-log.js';

describe('createStderrLog', () => {
  it('redacts a secret split across two chunks', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcpmux-log-')), 'space', 'server.log');
    const log = createStderrLog({ path, redact: createRedactor(['s3cr3t-token']) });
    log.write(Buffer.from('token=s3cr'));
    log.write(Buffer.from('3t-token\nnext line without newline'));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('token=[REDACTED]\nnext line without newline\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rotates to .log.1 instead of growing past its size cap', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcpmux-log-')), 'server.log');
    const log = createStderrLog({ path, redact: (t) => t, maxBytes: 1000 });
    for (let i = 0; i < 100; i++)
      log.write(Buffer.from(`line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}\n`));
    log.close();
    expect(statSync(path).size).toBeLessThanOrEqual(1000);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(path, 'utf8')).toContain('line 099');
    expect(existsSync(`${path}.2`)).toBe(false);
  });
});
