// The CLI's start-up stays light: each command loads only the modules it uses (issue #20). Runs the
// BUILT binary under a module-load trace (`pnpm --filter mcpmux build` first) and checks which
// packages were loaded; speed itself is measured side by side in bench/cli/run.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    expect(loadedOf(modules, ['better-sqlite3', 'commander'])).not.toEqual([]);
    expect(loadedOf(modules, ['@modelcontextprotocol/', 'packages/gateway/'])).not.toEqual([]);
  });

  it('prints the version without loading commander', () => {
    for (const args of [['--version'], ['-V']]) {
      const { code, stdout, modules } = traced(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(loadedOf(modules, ['commander', 'zod', 'better-sqlite3'])).toEqual([]);
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

  it('lists Spaces, servers, clients and sets without the gateway, the SDK or the keychain', () => {
    for (const args of [
      ['space', 'list'],
      ['server', 'list'],
      ['client', 'list'],
      ['featureset', 'list'],
      ['tools', '--client', 'cursor'],
    ]) {
      const { code, modules } = traced(args);
      expect(code, args.join(' ')).toBe(0);
      expect(loadedOf(modules, [...GATEWAY_ONLY, '@napi-rs/keyring']), args.join(' ')).toEqual([]);
    }
  });

  it("shows status (with the vault's state) without the gateway or the SDK", () => {
    const { code, stdout, modules } = traced(['status']);
    expect(stdout).toMatch(/Vault/);
    expect(code === 0 || code === 1).toBe(true);
    expect(loadedOf(modules, GATEWAY_ONLY)).toEqual([]);
  });
});
