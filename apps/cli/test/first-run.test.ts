// A new user's first commands, through the BUILT binary (`pnpm --filter mcpmux build` first): the
// key-file warning once in plain words, then at most one short line per gateway start; `init`'s
// next steps tell the README's story and leave out what is done.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  }, 60_000);

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
  }, 60_000);
});

/** The README's next-steps block (the story `npm start` and `init` tell too). */
function readmeNextSteps(): string {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- test: readme-next-steps -->');
  return readme.slice(start, readme.indexOf('```\n', readme.indexOf('```sh', start) + 5));
}

describe('init next steps', () => {
  it('tell the README story (client quickstart, grant server-all:memory) and drop what is done', () => {
    const other = join(dir, 'other-home');
    const first = mcpmux(['--home', other, 'init']);
    expect(first.code, first.stderr).toBe(0);
    const steps = first.stdout
      .split('\n')
      .filter((l) => l.startsWith('  mcpmux '))
      .map((l) => l.trim());
    expect(steps).toEqual([
      'mcpmux server add memory',
      'mcpmux client add quickstart',
      'mcpmux client grant quickstart server-all:memory',
      'mcpmux connect cursor --client quickstart',
    ]);
    expect(first.stdout).not.toMatch(/mcpmux serve\b|client add cursor|grant \S+ all\b/);
    const readme = readmeNextSteps();
    for (const step of steps.filter((s) => !s.includes('client add'))) expect(readme).toContain(step);

    // After what `npm start` does (a quickstart client) and a server, only the rest is left.
    expect(mcpmux(['--home', other, 'client', 'add', 'quickstart']).code).toBe(0);
    expect(mcpmux(['--home', other, 'server', 'add', 'memory', '--no-connect']).code).toBe(0);
    const later = JSON.parse(mcpmux(['--home', other, 'init', '--json']).stdout) as { next: string[] };
    expect(later.next).toEqual([
      'mcpmux client grant quickstart server-all:memory',
      'mcpmux connect cursor --client quickstart',
    ]);
    expect(mcpmux(['--home', other, 'client', 'grant', 'quickstart', 'server-all:memory']).code).toBe(0);
    const granted = JSON.parse(mcpmux(['--home', other, 'init', '--json']).stdout) as { next: string[] };
    expect(granted.next).toEqual(['mcpmux connect cursor --client quickstart']);
  }, 60_000);
});
