// A new user's first commands, through the BUILT binary (`pnpm --filter mcpmux build` first): the
// key-file warning once in plain words, then at most one short line per gateway start.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
let dir: string;
let home: string;
/** No MCPMUX_MASTER_KEY and no session bus: the vault key goes to the home's key file. */
let env: Record<string, string>;

function mcpmux(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpmux-first-run-'));
  home = join(dir, '.mcpmux');
  env = { HOME: dir, MCPMUX_HOME: home, PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: join(dir, '.config') };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the key-file warning', () => {
  it('is printed once in plain words by the init that creates the key file, never as JSON', () => {
    const first = mcpmux(['init']);
    expect(first.code, first.stderr).toBe(0);
    const keyFile = join(home, 'keys', 'master.key');
    expect(first.stdout).toContain(`master key kept in ${keyFile}, readable only by you`);
    expect(first.stdout).toMatch(/other users of this machine/);
    expect(first.stdout).toMatch(/not from\s+programs running as you/);
    expect(first.stdout).toContain('mcpmux doctor');
    expect(`${first.stdout}${first.stderr}`).not.toContain('{"level"');
    const again = mcpmux(['init']);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('master key');
    const json = JSON.parse(mcpmux(['init', '--json']).stdout) as { keyFile: string | null };
    expect(json.keyFile).toBeNull();
  });

  it('takes at most one short line of a gateway start, JSON or not', async () => {
    expect(mcpmux(['init']).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-format', 'json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    try {
      const rl = createInterface({ input: child.stderr });
      for await (const line of rl) {
        lines.push(line);
        if (line.includes('mcpmux gateway listening')) break;
      }
    } finally {
      child.kill('SIGTERM');
    }
    const about = lines.filter((l) => l.includes('key file'));
    expect(about.length).toBeLessThanOrEqual(1);
    for (const l of about) expect(l.length).toBeLessThan(250);
    expect(lines.join('\n')).not.toMatch(/does NOT protect/);
  });
});
