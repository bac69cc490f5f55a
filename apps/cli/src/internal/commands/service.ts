import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { cliBin } from '../bridge/gateway-launch.js';
import type { Ctx } from '../context.js';
import { loadHome, loadServer } from '../deps.js';
import { errorLine } from '../error-line.js';
import { gatewayPaths, runningGateway } from '../gateway-files.js';
import { findOnPath } from './home.js';

/** The systemd user unit's name. */
export const SYSTEMD_UNIT = 'mcpmux.service';
/** The launchd agent's label (its plist is `~/Library/LaunchAgents/<label>.plist`). */
export const LAUNCHD_LABEL = 'dev.mcpmux.gateway';

/** Options of `service install` and `service uninstall`, as parsed. */
export interface ServiceOptions {
  host?: string;
  port?: number;
  /** False with `--no-start`: only write (or remove) the file and print the commands. */
  start?: boolean;
}

/** What the service runs: `node <bin.js> --home HOME serve [--host H] [--port P]`. */
export interface ServiceCommand {
  node: string;
  bin: string;
  home: string;
  host?: string;
  port?: number;
  /** `PATH` for the gateway (stdio upstreams such as `npx` are found through it). */
  path?: string;
  /** The gateway's log file. */
  log: string;
}

function argv(cmd: ServiceCommand): string[] {
  return [
    cmd.node,
    cmd.bin,
    '--home',
    cmd.home,
    'serve',
    ...(cmd.host === undefined ? [] : ['--host', cmd.host]),
    ...(cmd.port === undefined ? [] : ['--port', String(cmd.port)]),
  ];
}

/** A systemd value: `%` specifiers escaped (and `$` in command lines), quoted when needed. */
function systemdWord(value: string, inCommand: boolean): string {
  let v = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  if (inCommand) v = v.replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(value) || value === '' ? `"${v}"` : v;
}

/**
 * The systemd user unit that runs the gateway from login (Restart=on-failure; output appended to the
 * gateway log). It holds no secret: the gateway gets its vault key from the keychain or key file.
 *
 * @param cmd - what to run; see {@link ServiceCommand}.
 * @returns the unit file's text.
 */
export function systemdUnit(cmd: ServiceCommand): string {
  const log = cmd.log.replace(/%/g, '%%');
  return [
    '# Written by `mcpmux service install`; remove it with `mcpmux service uninstall`.',
    '[Unit]',
    'Description=mcpmux gateway: one MCP endpoint for every AI app',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${argv(cmd)
      .map((a) => systemdWord(a, true))
      .join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    ...(cmd.path === undefined ? [] : [`Environment=${systemdWord(`PATH=${cmd.path}`, false)}`]),
    `StandardOutput=append:${log}`,
    `StandardError=append:${log}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The launchd agent that runs the gateway from login (restarted when it exits with an error).
 *
 * @param cmd - what to run; see {@link ServiceCommand}.
 * @returns the plist's text.
 */
export function launchdPlist(cmd: ServiceCommand): string {
  const str = (s: string) => `<string>${xml(s)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `mcpmux service install`; remove it with `mcpmux service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${str(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...argv(cmd).map((a) => `    ${str(a)}`),
    '  </array>',
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>',
    `  <key>WorkingDirectory</key>${str(cmd.home)}`,
    ...(cmd.path === undefined
      ? []
      : ['  <key>EnvironmentVariables</key>', `  <dict><key>PATH</key>${str(cmd.path)}</dict>`]),
    `  <key>StandardOutPath</key>${str(cmd.log)}`,
    `  <key>StandardErrorPath</key>${str(cmd.log)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

type Kind = 'systemd' | 'launchd' | 'none';

function kindOf(ctx: Ctx): Kind {
  const platform = ctx.io.platform ?? process.platform;
  return platform === 'linux' ? 'systemd' : platform === 'darwin' ? 'launchd' : 'none';
}

function serviceFile(ctx: Ctx, kind: Kind): string | undefined {
  if (kind === 'systemd') {
    const config = ctx.io.env.XDG_CONFIG_HOME || join(ctx.userHome, '.config');
    return join(config, 'systemd', 'user', SYSTEMD_UNIT);
  }
  if (kind === 'launchd') return join(ctx.userHome, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  return undefined;
}

function uid(): string {
  return String(process.getuid?.() ?? '$(id -u)');
}

/** Runs a service-manager command; returns its failure line, or undefined on success. */
function runTool(ctx: Ctx, command: string[]): string | undefined {
  const [file, ...args] = command as [string, ...string[]];
  const r = spawnSync(file, args, { env: ctx.io.env, encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return undefined;
  return (r.stderr || r.error?.message || `exit code ${r.status}`).trim().split('\n')[0];
}

/** True when `systemctl --user` can reach the user's service manager. */
function systemdUserAvailable(ctx: Ctx): boolean {
  if (findOnPath('systemctl', ctx.io.env) === undefined) return false;
  return runTool(ctx, ['systemctl', '--user', 'show-environment']) === undefined;
}

/**
 * Why a gateway started by a service could not unlock the vault: a service does not see the shell's
 * environment, so the vault is opened as it would be there (without `MCPMUX_MASTER_KEY`). Opening an
 * existing vault never creates a key. Undefined when it unlocks.
 */
async function serviceUnlockProblem(ctx: Ctx): Promise<string | undefined> {
  const { openHome } = await loadServer();
  const { MCPMUX_MASTER_KEY, ...env } = ctx.io.env;
  try {
    const opened = await openHome({ home: ctx.home, env });
    await opened.close();
    return undefined;
  } catch (err) {
    if (MCPMUX_MASTER_KEY !== undefined && MCPMUX_MASTER_KEY !== '') {
      return (
        "the vault's master key comes only from MCPMUX_MASTER_KEY in this shell, and a service does not see " +
        "the shell's environment: the service's gateway would stop with VAULT_LOCKED. Start the gateway from " +
        'this shell with `mcpmux start` instead (apps find it running), or keep the vault key in the OS ' +
        'keychain or key file (see docs/vault.md).'
      );
    }
    return `the service's gateway could not open the vault: ${errorLine(err).slice(7)}`;
  }
}

async function requireHome(ctx: Ctx): Promise<void> {
  const { DATABASE_FILE } = await loadHome();
  if (!existsSync(join(ctx.home, DATABASE_FILE))) {
    throw new McpmuxError('NOT_FOUND', `No mcpmux home at ${ctx.home}. Run \`mcpmux init\` first.`, {
      data: { entity: 'home', id: ctx.home },
    });
  }
}

/**
 * `service install [--host H] [--port P] [--no-start]`: a systemd user unit (Linux) or launchd agent
 * (macOS) that runs the gateway from login; enabled and started when the service manager is
 * reachable, else the exact commands are printed. Elsewhere, instructions are printed.
 */
export async function install(ctx: Ctx, opts: ServiceOptions): Promise<number> {
  await requireHome(ctx);
  const kind = kindOf(ctx);
  const paths = gatewayPaths(ctx.home);
  const cmd: ServiceCommand = {
    node: process.execPath,
    bin: cliBin(),
    home: paths.home,
    log: paths.log,
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    ...(ctx.io.env.PATH === undefined ? {} : { path: ctx.io.env.PATH }),
  };
  const warnings: string[] = [];
  const problem = await serviceUnlockProblem(ctx);
  if (problem !== undefined) warnings.push(problem);
  const file = serviceFile(ctx, kind);
  let commands: string[] = [];
  let enabled = false;
  const failures: string[] = [];
  if (kind === 'none' || file === undefined) {
    commands = [
      argv(cmd)
        .map((a) => (/\s/.test(a) ? `"${a}"` : a))
        .join(' '),
    ];
  } else {
    await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, kind === 'systemd' ? systemdUnit(cmd) : launchdPlist(cmd), { mode: 0o644 });
    const steps =
      kind === 'systemd'
        ? [
            ['systemctl', '--user', 'daemon-reload'],
            ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT],
          ]
        : [['launchctl', 'bootstrap', `gui/${uid()}`, file]];
    const reachable =
      opts.start !== false &&
      (kind === 'systemd' ? systemdUserAvailable(ctx) : findOnPath('launchctl', ctx.io.env) !== undefined);
    if (reachable) {
      for (const step of steps) {
        const failed = runTool(ctx, step);
        if (failed !== undefined) {
          failures.push(`\`${step.join(' ')}\` failed: ${failed}`);
          break;
        }
      }
      enabled = failures.length === 0;
    }
    if (!enabled) commands = steps.map((s) => s.join(' '));
  }
  const running = await runningGateway(ctx.home);
  if (ctx.json) {
    ctx.out.data({ kind, file: file ?? null, enabled, commands, warnings: [...warnings, ...failures] });
    return failures.length > 0 ? 1 : 0;
  }
  const o = ctx.out;
  for (const w of [...warnings, ...failures]) o.warn(w);
  if (kind === 'none') {
    o.line('No service manager this command knows on this system. Run this at login (e.g. Task Scheduler):');
    o.line(`  ${commands[0]}`);
    return 0;
  }
  o.line(`Wrote ${file}.`);
  if (enabled) {
    o.line(
      kind === 'systemd'
        ? `Enabled and started ${SYSTEMD_UNIT}; it runs the gateway from login. Logs: ${paths.log}.`
        : `Loaded ${LAUNCHD_LABEL}; it runs the gateway from login. Logs: ${paths.log}.`,
    );
    if (running) {
      o.note(
        `A gateway already runs (pid ${running.pid}); the service's gateway takes over after \`mcpmux stop\`.`,
      );
    }
  } else {
    o.line(
      opts.start === false
        ? 'To enable and start it, run:'
        : `${kind === 'systemd' ? '`systemctl --user`' : '`launchctl`'} is not available here; to enable and start it, run:`,
    );
    for (const c of commands) o.line(`  ${c}`);
    if (running) o.line(`Run \`mcpmux stop\` first: a gateway already runs (pid ${running.pid}).`);
  }
  return failures.length > 0 ? 1 : 0;
}

/** `service uninstall [--no-start]`: stops and disables the service where reachable, removes its file. */
export async function uninstall(ctx: Ctx, opts: ServiceOptions): Promise<number> {
  const kind = kindOf(ctx);
  const file = serviceFile(ctx, kind);
  const installed = file !== undefined && existsSync(file);
  // Stop and disable while the file exists; reload once it is gone.
  const before =
    kind === 'systemd'
      ? [['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT]]
      : kind === 'launchd'
        ? [['launchctl', 'bootout', `gui/${uid()}/${LAUNCHD_LABEL}`]]
        : [];
  const after = kind === 'systemd' ? [['systemctl', '--user', 'daemon-reload']] : [];
  const reachable =
    installed &&
    opts.start !== false &&
    (kind === 'systemd' ? systemdUserAvailable(ctx) : findOnPath('launchctl', ctx.io.env) !== undefined);
  // A service that is not loaded fails to stop or disable: nothing to undo, so keep going.
  if (reachable) for (const step of before) runTool(ctx, step);
  if (installed) await rm(file, { force: true });
  if (reachable) for (const step of after) runTool(ctx, step);
  const disabled = reachable;
  const commands = installed && !disabled ? [...before, ...after].map((s) => s.join(' ')) : [];
  if (ctx.json) {
    ctx.out.data({ kind, file: file ?? null, removed: installed, disabled, commands });
    return 0;
  }
  if (!installed) {
    ctx.out.line(
      file === undefined
        ? 'No service manager this command knows on this system; remove the login task you created.'
        : `No mcpmux service is installed (${file} does not exist).`,
    );
    return 0;
  }
  ctx.out.line(`Removed ${file}.`);
  if (disabled) ctx.out.line('The service is stopped and disabled.');
  else {
    ctx.out.line('If the service was enabled, also run:');
    for (const c of commands) ctx.out.line(`  ${c}`);
  }
  return 0;
}
