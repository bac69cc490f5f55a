// The CLI's start-up stays light: each command loads only the modules it uses (issue #20). Runs the
// BUILT binary under a module-load trace (`pnpm --filter mcpmux build` first) and checks which
// packages were loaded; speed itself is measured side by side in bench/cli/run.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const REGISTER = join(import.meta.dirname, 'fixtures', 'module-trace', 'register.mjs');

/**
 * What no read verb needs: the gateway and the MCP SDK, the logger, metrics, tracing. A name ending
 * in `/` is a scope or a workspace folder; the others are npm packages.
 */
const GATEWAY_ONLY = [
  '@modelcontextprotocol/',
  'pino',
  'prom-client',
  '@opentelemetry/',
  // The gateway itself; its `naming` subpath (node:crypto only) is what previews use.
  'packages/gateway/dist/index.js',
];

/**
 * What no read verb needs either: zod (~95 modules, ~100 ms; the packages check ids and read
 * `gateway.json` by hand and load their schemas on the first write) and drizzle-orm (resolving it
 * parses its 180 kB package.json; the store reads its migration files itself). Issue #20.
 */
const READ_FORBIDDEN = [...GATEWAY_ONLY, 'zod', 'drizzle-orm'];

let dir: string;
let traces = 0;
let env: Record<string, string | undefined>;

function mcpmux(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`mcpmux ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

/** Runs `mcpmux ARGS` under the trace; returns its exit code and the paths of the modules it loaded. */
function traced(args: string[]): { code: number | null; stdout: string; modules: string[] } {
  traces += 1;
  const file = join(dir, `trace-${traces}.txt`);
  const r = spawnSync(process.execPath, ['--import', REGISTER, BIN, ...args], {
    env: { ...env, MODULE_TRACE_FILE: file },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const modules = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeURIComponent(line));
  return { code: r.status, stdout: r.stdout, modules };
}

/**
 * The modules of `modules` that belong to any of `packages`: an npm package or scope (`zod`,
 * `@opentelemetry/`) under a node_modules folder, or a workspace folder (`packages/gateway/`).
 */
function loadedOf(modules: string[], packages: string[]): string[] {
  return modules.filter((m) =>
    packages.some((p) =>
      p.startsWith('packages/') || p.startsWith('apps/')
        ? !m.includes('/node_modules/') && m.includes(`/${p}`)
        : m.includes(`/node_modules/${p.endsWith('/') ? p : `${p}/`}`),
    ),
  );
}

/**
 * Whether commander ran: the CLI bundles it (tsup `noExternal`), so it is a chunk of dist rather
 * than a file under node_modules; its `CommanderError` class (as esbuild writes it) marks the chunk.
 */
function loadsCommander(modules: string[]): boolean {
  return modules.some(
    (m) =>
      m.includes('/node_modules/commander/') ||
      (m.includes('/apps/cli/dist/') &&
        /CommanderError\d* = class extends Error/.test(readFileSync(new URL(m, 'file:///'), 'utf8'))),
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpmux-startup-'));
  env = {
    PATH: process.env.PATH,
    HOME: join(dir, 'user'),
    MCPMUX_HOME: join(dir, 'home'),
    NO_COLOR: '1',
  };
  mcpmux(['init']);
  mcpmux(['server', 'add', 'memory', '--no-connect']);
  mcpmux(['client', 'add', 'cursor']);
  mcpmux(['client', 'grant', 'cursor', 'all']);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI start-up', { timeout: 120_000 }, () => {
  it('sees the gateway and the SDK where a command loads them (the trace works)', () => {
    const { code, modules } = traced(['server', 'add', 'broken', '--command', join(dir, 'missing')]);
    expect(code).toBe(1);
    expect(loadedOf(modules, ['better-sqlite3'])).not.toEqual([]);
    expect(loadsCommander(modules)).toBe(true);
    expect(loadedOf(modules, ['@modelcontextprotocol/', 'packages/gateway/'])).not.toEqual([]);
  });

  it('prints the version without loading commander', () => {
    for (const args of [['--version'], ['-V']]) {
      const { code, stdout, modules } = traced(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(loadedOf(modules, ['zod', 'better-sqlite3'])).toEqual([]);
      expect(loadsCommander(modules)).toBe(false);
    }
  });

  it('answers --version and --help with commander alone', () => {
    for (const args of [['--version'], ['--help'], ['space', '--help']]) {
      const { code, modules } = traced(args);
      expect(code).toBe(0);
      expect(loadedOf(modules, ['zod', 'better-sqlite3', '@mcpmux/', 'apps/server/', 'packages/'])).toEqual(
        [],
      );
    }
  });

  it('lists Spaces, servers, clients and sets without the gateway, the SDK, zod, drizzle or the vault', () => {
    for (const args of [
      ['space', 'list'],
      ['server', 'list'],
      ['client', 'list'],
      ['featureset', 'list'],
      ['tools', '--client', 'cursor'],
    ]) {
      const { code, modules } = traced(args);
      expect(code, args.join(' ')).toBe(0);
      // Nor the vault: these verbs touch no secret (`status` opens it to say whether it unlocks).
      expect(
        loadedOf(modules, [...READ_FORBIDDEN, '@napi-rs/keyring', 'packages/vault/']),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it("shows status (with the vault's state) without the gateway, the SDK or zod", () => {
    const { code, stdout, modules } = traced(['status']);
    expect(stdout).toMatch(/Vault/);
    expect(code === 0 || code === 1).toBe(true);
    expect(loadedOf(modules, READ_FORBIDDEN)).toEqual([]);
    // A vault made with the key file (no keychain here) is opened with it: the keychain module, a
    // 3 MB native addon, is never loaded to probe the keychain first.
    // Without a desktop session bus (CI) there is no keychain, so `init` made the key file.
    if (process.platform === 'linux' && process.env.DBUS_SESSION_BUS_ADDRESS === undefined) {
      expect(stdout).toContain('key from the key file');
    }
    if (stdout.includes('key from the key file')) expect(loadedOf(modules, ['@napi-rs/keyring'])).toEqual([]);
  });

  it("does not load node:child_process for commander's executable subcommands (a lazy proxy)", () => {
    const { code, modules } = traced(['space', 'list']);
    expect(code).toBe(0);
    expect(modules).toContain('node:fs');
    expect(modules.filter((m) => m === 'node:child_process' || m === 'node:dgram')).toEqual([]);
  });

  it("lists Spaces without node:crypto or better-sqlite3's addon lookup (bindings)", () => {
    const { code, modules } = traced(['space', 'list']);
    expect(code).toBe(0);
    expect(modules.filter((m) => m === 'node:crypto')).toEqual([]);
    expect(loadedOf(modules, ['bindings', 'file-uri-to-path'])).toEqual([]);
  });

  it('requires the CommonJS packages instead of importing them (no lexing for named exports)', () => {
    for (const args of [['status'], ['space', 'list']]) {
      const { modules } = traced(args);
      // The load hook sees ES imports (file: URLs); the require cache lists what was required (paths).
      const imported = modules.filter((m) => m.startsWith('file:'));
      const required = modules.filter((m) => m.startsWith('/'));
      expect(loadedOf(required, ['better-sqlite3']), args.join(' ')).not.toEqual([]);
      expect(loadedOf(imported, ['better-sqlite3', '@napi-rs/keyring']), args.join(' ')).toEqual([]);
    }
  });

  it("requires the gateway's CommonJS packages (pino, prom-client, the OpenTelemetry API)", () => {
    traces += 1;
    const file = join(dir, `trace-${traces}.txt`);
    const server = pathToFileURL(join(import.meta.dirname, '..', '..', 'server', 'dist', 'index.js')).href;
    const r = spawnSync(
      process.execPath,
      ['--import', REGISTER, '--input-type=module', '-e', `await import(${JSON.stringify(server)})`],
      { env: { ...env, MODULE_TRACE_FILE: file }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const modules = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => decodeURIComponent(line));
    const cjs = ['pino', 'prom-client', '@opentelemetry/api'];
    expect(
      loadedOf(
        modules.filter((m) => m.startsWith('/')),
        cjs,
      ),
    ).not.toEqual([]);
    expect(
      loadedOf(
        modules.filter((m) => m.startsWith('file:')),
        cjs,
      ),
    ).toEqual([]);
  });

  it('loads zod where a command validates a write with it (the trace sees zod)', () => {
    const { code, modules } = traced(['space', 'create', 'trace-check']);
    expect(code).toBe(0);
    expect(loadedOf(modules, ['zod'])).not.toEqual([]);
  });
});
