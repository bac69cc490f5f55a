import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'keychain-check.mjs');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((cmd) => !has(cmd));
if (missing.length > 0) {
  console.warn(
    `@mcpmux/vault: skipping the real keychain test: ${missing.join(' and ')} not found ` +
      '(install the Debian packages dbus and gnome-keyring to run it).',
  );
}

describe('keychain provider against a real Secret Service', () => {
  it.skipIf(missing.length > 0)(
    'creates the key in gnome-keyring for a new vault, reopens with it, and fails closed once the entry is deleted',
    () => {
      const dir = tempDir('mcpmux-keychain-');
      const service = `mcpmux-test-${randomBytes(6).toString('hex')}`;
      const script = `echo unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "${process.execPath}" "${fixture}" "${dir}" "${service}"`;
      // A private HOME and runtime dir: a fresh login keyring, never the user's own.
      const home = join(dir, 'home');
      const runtime = join(dir, 'run');
      mkdirSync(join(home, '.local', 'share'), { recursive: true });
      mkdirSync(runtime, { mode: 0o700 });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOME: home,
        XDG_DATA_HOME: join(home, '.local', 'share'),
        XDG_RUNTIME_DIR: runtime,
      };
      delete env.DBUS_SESSION_BUS_ADDRESS;
      const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], {
        encoding: 'utf8',
        timeout: 60_000,
        env,
      });
      expect(result.stderr.split('\n').filter((l) => /Error|error:/.test(l) && !/fd limit/.test(l))).toEqual(
        [],
      );
      expect(result.status).toBe(0);
      const lastLine = result.stdout.trim().split('\n').at(-1) ?? '{}';
      expect(JSON.parse(lastLine)).toEqual({
        selectedForNewVault: 'keychain',
        entryCreated: true,
        selectedForExistingVault: 'keychain',
        valueAfterReopen: true,
        afterDelete: 'VAULT_LOCKED',
        afterDeleteMessageHasValue: false,
        entryRecreated: false,
      });
    },
    90_000,
  );
});
