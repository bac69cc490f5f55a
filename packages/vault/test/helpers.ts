import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createEnvKeyProvider } from '../src/key-providers.js';
import type { KeyProvider, VaultLogger } from '../src/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed after the test. */
export function tempDir(prefix = 'mcpmux-vault-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A random master key as `MCPMUX_MASTER_KEY` would hold it. */
export function randomKeyText(): string {
  return randomBytes(32).toString('base64');
}

/** An env key provider with a fresh random key. */
export function randomEnvProvider(): KeyProvider & { keyText: string } {
  const keyText = randomKeyText();
  return { ...createEnvKeyProvider(keyText), keyText };
}

/** A logger that keeps every line. */
export function captureLogger(): VaultLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`) };
}

/** Runs `fn` and returns what it threw (fails the test when it throws nothing). */
export async function thrown(fn: () => unknown): Promise<Error & { code?: string; data?: unknown }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error, got none');
}

/** Fast scrypt cost for tests (the default is deliberately slow). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
