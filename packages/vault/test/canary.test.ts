import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeyFileKeyProvider, createPassphraseKeyProvider } from '../src/key-providers.js';
import { openSqliteVault } from '../src/sqlite.js';
import { resolveServerConfig } from '../src/templates.js';
import type { SecretScope, VaultLogger } from '../src/types.js';
import { TEST_SCRYPT, tempDir } from './helpers.js';

/** Every byte pattern under which a canary could leak: raw, base64 (3 alignments), hex, UTF-16LE, URL-encoded. */
function encodings(canary: string): Buffer[] {
  const utf8 = Buffer.from(canary, 'utf8');
  const forms = [
    utf8,
    Buffer.from(utf8.toString('hex')),
    Buffer.from(utf8.toString('hex').toUpperCase()),
    Buffer.from(canary, 'utf16le'),
    Buffer.from(encodeURIComponent(canary)),
  ];
  for (let shift = 0; shift < 3; shift++) {
    // Only whole 3-byte groups encode the same whatever surrounds them.
    const bytes = utf8.subarray(shift, shift + Math.floor((utf8.length - shift) / 3) * 3);
    forms.push(Buffer.from(bytes.toString('base64')), Buffer.from(bytes.toString('base64url')));
  }
  return forms;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Each (file, canary index, form index) where a canary occurs. */
function scan(dir: string, canaries: string[]): string[] {
  const patterns = canaries.map(encodings);
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    patterns.forEach((forms, c) => {
      forms.forEach((form, f) => {
        if (bytes.includes(form)) hits.push(`${file} canary#${c} form#${f}`);
      });
    });
  }
  return hits;
}

function canary(i: number): string {
  const body = randomBytes(18).toString('base64url');
  // Some canaries hold characters that URL-encoding and UTF-16 change, to exercise every form.
  return i % 5 === 0 ? `cänary/${body} ${i}&é` : `canary_${body}_${i}`;
}

describe('no plaintext at rest', () => {
  it('finds none of 50 canaries, in any encoding, in any file under the data dir after writes, deletes and a checkpoint', async () => {
    const dataDir = tempDir('mcpmux-canary-');
    mkdirSync(join(dataDir, 'logs'));
    const logFile = join(dataDir, 'logs', 'mcpmux.log');
    const log = (line: string) => appendFileSync(logFile, `${line}\n`);
    const logger: VaultLogger = { warn: (m) => log(`WARN ${m}`), info: (m) => log(`INFO ${m}`) };
    const canaries = Array.from({ length: 50 }, (_, i) => canary(i));
    const scopes: SecretScope[] = [
      { spaceId: 'work', serverId: 'github' },
      { spaceId: 'work', serverId: 'slack' },
      { spaceId: 'home', serverId: 'github' },
      { global: true, serverId: 'search' },
    ];
    const vault = await openSqliteVault({
      path: join(dataDir, 'mcpmux.db'),
      keyProvider: createKeyFileKeyProvider(join(dataDir, 'keys', 'master.key'), { logger }),
      logger,
    });
    const placed = canaries.map((value, i) => ({
      scope: scopes[i % scopes.length]!,
      name: `SECRET_${i}`,
      value,
    }));
    for (const { scope, name, value } of placed) await vault.set(scope, name, value);
    // Overwrite some, delete some, rotate keys, delete a Space.
    for (let i = 0; i < 10; i++) {
      const p = placed[randomInt(placed.length)]!;
      await vault.set(p.scope, p.name, `${p.value}`);
    }
    for (const p of placed.filter((_, i) => i % 7 === 3)) await vault.delete(p.scope, p.name);
    await vault.rotateDataKey({ spaceId: 'work' });
    await vault.rotateMasterKey(createPassphraseKeyProvider('canary passphrase', { scrypt: TEST_SCRYPT }));
    await vault.rotateDataKey({ global: true });
    await vault.deleteSpace('home');
    // Resolve configs and log what a gateway would log: errors and the redacted config.
    for (const p of placed.slice(0, 12)) {
      const scope = p.scope;
      const spaceId = 'spaceId' in scope ? scope.spaceId : 'work';
      try {
        const { config } = await resolveServerConfig(
          { env: { TOKEN: `\${secret:${p.name}}` } },
          { vault, spaceId, serverId: scope.serverId, defaultEnabled: !('spaceId' in scope), env: {} },
        );
        log(`resolved ${Object.keys(config.env ?? {}).join(',')}`);
      } catch (err) {
        log(`ERROR ${String(err)} ${JSON.stringify(err)}`);
      }
    }
    for (const bad of ['../x', 'a b']) {
      try {
        await vault.set(scopes[0]!, bad, canaries[0]!);
      } catch (err) {
        log(`ERROR ${String(err)} ${JSON.stringify(err)}`);
      }
    }
    // The live files: database, -wal and -shm are all there.
    const live = filesUnder(dataDir).map((f) => f.slice(dataDir.length));
    expect(live).toEqual(
      expect.arrayContaining(['/mcpmux.db', '/mcpmux.db-wal', '/mcpmux.db-shm', '/logs/mcpmux.log']),
    );
    expect(scan(dataDir, canaries)).toEqual([]);
    vault.database.pragma('wal_checkpoint(TRUNCATE)');
    expect(scan(dataDir, canaries)).toEqual([]);
    // Still readable: the values really were stored.
    const kept = placed.find((p, i) => i % 7 !== 3 && !('spaceId' in p.scope && p.scope.spaceId === 'home'))!;
    expect(await vault.get(kept.scope, kept.name)).toBe(kept.value);
    await vault.close();
    expect(scan(dataDir, canaries)).toEqual([]);
    expect(readFileSync(logFile, 'utf8')).toMatch(/ERROR .*SECRET_MISSING|ERROR .*INVALID_INPUT/);
  }, 60_000);

  it('the scanner finds a canary planted in each encoding (so the scan can fail)', () => {
    const dir = tempDir('mcpmux-canary-control-');
    const value = canary(0);
    encodings(value).forEach((form, i) => {
      writeFileSync(join(dir, `f${i}`), Buffer.concat([randomBytes(i % 3), form, randomBytes(5)]));
    });
    writeFileSync(
      join(dir, 'b64'),
      Buffer.from(Buffer.concat([randomBytes(2), Buffer.from(value)]).toString('base64')),
    );
    const hits = scan(dir, [value]);
    for (let i = 0; i < encodings(value).length; i++)
      expect(hits.some((h) => h.includes(`/f${i} `))).toBe(true);
    expect(hits.some((h) => h.includes('/b64 '))).toBe(true);
  });
});
