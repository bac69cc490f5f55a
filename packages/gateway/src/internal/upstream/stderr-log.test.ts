import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor, REDACTED } from '@mcpmux/vault';
import { describe, expect, it } from 'vitest';
import { createStderrLog, safeCut } from './stderr-log.js';

const tempLog = () => join(mkdtempSync(join(tmpdir(), 'mcpmux-log-')), 'space', 'server.log');

/** A log over `secrets`, fed `chunks` in order, then closed; returns the file's text. */
function logOf(secrets: string[], chunks: (string | Buffer)[]): string {
  const path = tempLog();
  const log = createStderrLog({ path, redact: createRedactor(secrets), secretValues: secrets });
  for (const chunk of chunks) log.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  log.close();
  return readFileSync(path, 'utf8');
}

/** Every piece of `secret` of at least 4 characters that occurs in `text`. */
function fragmentsIn(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 4 <= secret.length; i++) {
    const piece = secret.slice(i, i + 4);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

describe('createStderrLog', () => {
  it('redacts a secret split across two chunks', () => {
    const path = tempLog();
    const log = createStderrLog({ path, redact: createRedactor(['s3cr3t-token']) });
    log.write(Buffer.from('token=s3cr'));
    log.write(Buffer.from('3t-token\nnext line without newline'));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('token=[REDACTED]\nnext line without newline\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('redacts a secret split at every offset across two writes of a short line', () => {
    const secret = 's3cr3t-token-value';
    for (let k = 0; k <= secret.length; k++) {
      const text = logOf([secret], [`token=${secret.slice(0, k)}`, `${secret.slice(k)} end\n`]);
      expect(text, `cut at ${k}`).toBe(`token=${REDACTED} end\n`);
    }
  });

  it('redacts a secret that straddles the 64 KiB flush of an over-long line, at every cut offset', () => {
    const secret = 's3cr3t-token-value';
    const padding = 'x'.repeat(64 * 1024 + 1);
    for (let k = 0; k <= secret.length; k++) {
      const text = logOf([secret], [padding + secret.slice(0, k), `${secret.slice(k)}tail\n`]);
      expect(fragmentsIn(text, secret), `cut at ${k}`).toEqual([]);
      // Nothing but the secret is lost: only newlines are added where the long line was broken.
      expect(text.replaceAll('\n', ''), `cut at ${k}`).toBe(`${padding}${REDACTED}tail`);
    }
  });

  it('never breaks an over-long line through a secret it holds whole', () => {
    const secret = 'abcdefgh-secret';
    // The flush happens on the chunk that crosses 64 KiB, with the secret complete at its end.
    const text = logOf([secret], ['y'.repeat(64 * 1024 - 3), `${secret}`, 'more\n']);
    expect(fragmentsIn(text, secret)).toEqual([]);
    expect(text.replaceAll('\n', '')).toBe(`${'y'.repeat(64 * 1024 - 3)}${REDACTED}more`);
  });

  it('keeps multi-byte UTF-8 intact at every byte offset and redacts a non-ASCII secret split there', () => {
    const secret = 'pässwörd-🔑-geheim';
    const line = Buffer.from(`key=${secret} ✓\n`, 'utf8');
    for (let k = 1; k < line.length; k++) {
      const text = logOf([secret], [line.subarray(0, k), line.subarray(k)]);
      expect(text, `cut at byte ${k}`).toBe(`key=${REDACTED} ✓\n`);
    }
  });

  it('redacts a secret that contains newlines (a PEM key) split at every offset', () => {
    const secret = '-----BEGIN KEY-----\nMIIBVQIBADANBg\n-----END KEY-----';
    const full = `before\nkey: ${secret}\nafter\n`;
    for (let k = 1; k < full.length; k++) {
      const text = logOf([secret], [full.slice(0, k), full.slice(k)]);
      expect(text, `cut at ${k}`).toBe(`before\nkey: ${REDACTED}\nafter\n`);
    }
  });

  it('writes complete lines at once when no secret could span them', () => {
    const path = tempLog();
    const log = createStderrLog({
      path,
      redact: createRedactor(['token-1234']),
      secretValues: ['token-1234'],
    });
    log.write(Buffer.from('first line\nsecond tok'));
    expect(readFileSync(path, 'utf8')).toBe('first line\n');
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('first line\nsecond tok\n');
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

describe('safeCut', () => {
  const secrets = ['abcdef', 'cdefgh'];
  const pattern = /abcdef|cdefgh/g;

  it('moves the cut before a complete secret that spans it', () => {
    expect(safeCut('xxabcdefyy', 5, secrets, pattern)).toBe(2);
  });

  it('moves the cut before a tail that may still grow into a secret', () => {
    expect(safeCut('xxxxab', 6, secrets, pattern)).toBe(4);
    expect(safeCut('xxxxaz', 6, secrets, pattern)).toBe(6);
  });

  it('keeps the limit when there are no secrets', () => {
    expect(safeCut('abcdef', 3, [], undefined)).toBe(3);
  });
});
