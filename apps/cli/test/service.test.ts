// `mcpmux service install|uninstall` with a temporary HOME. The sandbox's environment has no user
// bus, so `systemctl --user` is unreachable and the commands are printed, never run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { captureOutput, type RunResult, type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = sandbox();
  await sb.ok(['init']);
});
afterEach(() => sb.cleanup());

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');

/** Runs the CLI in the sandbox as if on `platform`. */
async function on(platform: NodeJS.Platform, argv: string[]): Promise<RunResult> {
  const output = captureOutput();
  const stdin = new PassThrough();
  stdin.end();
  const code = await run(argv, {
    stdin,
    stdout: output.stdout,
    stderr: output.stderr,
    env: sb.env,
    cwd: sb.dir,
    isTTY: false,
    platform,
  });
  return { code, stdout: output.out(), stderr: output.err() };
}

describe('service install on Linux', () => {
  it('writes a systemd user unit that runs serve for the home and prints the commands to enable it', async () => {
    const unit = join(sb.dir, '.config', 'systemd', 'user', 'mcpmux.service');
    const r = await sb.cli(['service', 'install']);
    expect(r.code).toBe(0);
    const text = readFileSync(unit, 'utf8');
    expect(text).toContain(`ExecStart=${process.execPath} ${BIN} --home ${sb.home} serve\n`);
    expect(text).toContain('Restart=on-failure\n');
    expect(text).toContain(`StandardOutput=append:${join(sb.home, 'logs', 'gateway.log')}\n`);
    expect(text).toContain('WantedBy=default.target\n');
    expect(text).not.toContain(sb.env.MCPMUX_MASTER_KEY);
    expect(r.stdout).toContain(`Wrote ${unit}.`);
    expect(r.stdout).toContain(
      '  systemctl --user daemon-reload\n  systemctl --user enable --now mcpmux.service',
    );
  });

  it('warns that a service cannot see MCPMUX_MASTER_KEY when the vault key comes only from it', async () => {
    const r = await sb.cli(['service', 'install', '--no-start']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*comes only from MCPMUX_MASTER_KEY.*VAULT_LOCKED/);
    const json = await sb.json<{ warnings: string[]; enabled: boolean }>([
      'service',
      'install',
      '--no-start',
    ]);
    expect(json.enabled).toBe(false);
    expect(json.warnings).toHaveLength(1);
  });

  it('passes --port and --host to serve', async () => {
    await sb.ok(['service', 'install', '--no-start', '--port', '4000', '--host', '127.0.0.1']);
    const text = readFileSync(join(sb.dir, '.config', 'systemd', 'user', 'mcpmux.service'), 'utf8');
    expect(text).toContain(`--home ${sb.home} serve --host 127.0.0.1 --port 4000\n`);
  });

  it('uninstall removes the unit and says so when none is installed', async () => {
    const unit = join(sb.dir, '.config', 'systemd', 'user', 'mcpmux.service');
    await sb.ok(['service', 'install', '--no-start']);
    const r = await sb.cli(['service', 'uninstall']);
    expect(r.code).toBe(0);
    expect(existsSync(unit)).toBe(false);
    expect(r.stdout).toContain(`Removed ${unit}.`);
    expect(r.stdout).toContain('systemctl --user disable --now mcpmux.service');
    const again = await sb.cli(['service', 'uninstall']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No mcpmux service is installed');
  });
});

describe('service install elsewhere', () => {
  it('writes a launchd agent on macOS', async () => {
    const mac = await on('darwin', ['service', 'install', '--no-start']);
    expect(mac.code).toBe(0);
    const plist = join(sb.dir, 'Library', 'LaunchAgents', 'dev.mcpmux.gateway.plist');
    const text = readFileSync(plist, 'utf8');
    expect(text).toContain('<key>Label</key><string>dev.mcpmux.gateway</string>');
    expect(text).toContain(`<string>${BIN}</string>`);
    expect(text).toContain(`<string>${sb.home}</string>\n    <string>serve</string>`);
    expect(text).toContain('<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>');
    expect(mac.stdout).toMatch(/launchctl bootstrap gui\/\d+ /);
    expect((await on('darwin', ['service', 'uninstall', '--no-start'])).code).toBe(0);
    expect(existsSync(plist)).toBe(false);
  });

  it('prints the command to run at login on other systems', async () => {
    const r = await on('win32', ['service', 'install']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--home ${sb.home} serve`);
  });
});
