import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEnvKeyProvider, createPassphraseKeyProvider } from '../src/key-providers.js';
import { openSqliteVault, type SqliteVault } from '../src/sqlite.js';
import type { SecretScope } from '../src/types.js';
import { randomKeyText, tempDir, thrown } from './helpers.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rotate-child.mjs');
const RUNS = 100;

/** Starts the rotating child and resolves once it has printed `ready` plus `lines` more lines. */
function startChild(path: string, env: Record<string, string>, lines: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fixture, path], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve, reject) => {
    let seen = -1;
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += String(chunk);
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      seen += parts.length;
      if (seen >= lines) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('rotation under SIGKILL', () => {
  it(`opens with exactly one of a master key and a passphrase and decrypts every secret after ${RUNS} kills at random points`, async () => {
    const path = join(tempDir('mcpmux-rotate-'), 'mcpmux.db');
    const keyA = randomKeyText();
    const passB = `passphrase ${randomKeyText()}`;
    const expected = new Map<string, { scope: SecretScope; name: string; value: string }>();
    const seed = await openSqliteVault({ path, keyProvider: createEnvKeyProvider(keyA) });
    const scopes: SecretScope[] = [
      { spaceId: 'work', serverId: 'github' },
      { spaceId: 'home', serverId: 'slack' },
      { global: true, serverId: 'search' },
    ];
    for (let i = 0; i < 24; i++) {
      const entry = { scope: scopes[i % 3]!, name: `S${i}`, value: `value-${i}-${randomKeyText()}` };
      await seed.set(entry.scope, entry.name, entry.value);
      expected.set(entry.name, entry);
    }
    await seed.close();

    const unlockedBy: Record<string, number> = { A: 0, B: 0 };
    for (let run = 0; run < RUNS; run++) {
      const child = await startChild(path, { KEY_A: keyA, PASS_B: passB }, randomInt(0, 6));
      // A random point: after a random number of committed rotations and a random extra delay.
      await new Promise((r) => setTimeout(r, randomInt(0, 4)));
      await killed(child);

      const opened: { label: string; vault: SqliteVault }[] = [];
      for (const [label, keyProvider] of [
        ['A', createEnvKeyProvider(keyA)],
        ['B', createPassphraseKeyProvider(passB)],
      ] as const) {
        try {
          opened.push({ label, vault: await openSqliteVault({ path, keyProvider }) });
        } catch (err) {
          expect((err as { code?: string }).code).toBe('VAULT_LOCKED');
        }
      }
      expect(opened.map((o) => o.label)).toHaveLength(1);
      const { label, vault } = opened[0]!;
      unlockedBy[label]!++;
      for (const { scope, name, value } of expected.values())
        expect(await vault.get(scope, name)).toBe(value);
      // Every secret points at its scope's one data key, wrapped by the current master key.
      const orphans = vault.database
        .prepare(
          `SELECT COUNT(*) AS n FROM vault_secrets s LEFT JOIN vault_data_keys k ON k.id = s.data_key_id AND k.scope = s.scope
           WHERE k.id IS NULL OR k.master_key_id <> ?`,
        )
        .get(vault.masterKeyId) as { n: number };
      expect(orphans.n).toBe(0);
      await vault.close();
    }
    // Both keys won some runs, so kills landed on both sides of master-key commits.
    expect(unlockedBy.A).toBeGreaterThan(0);
    expect(unlockedBy.B).toBeGreaterThan(0);
    const wrongKey = await thrown(() =>
      openSqliteVault({ path, keyProvider: createEnvKeyProvider(randomKeyText()) }),
    );
    expect(wrongKey.code).toBe('VAULT_LOCKED');
  }, 240_000);
});
