import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, workSandbox } from './helpers.js';

let sb: Sandbox;

beforeEach(async () => {
  sb = await workSandbox();
});

afterEach(() => {
  sb.cleanup();
});

const numbered = (from: number, to: number, prefix = 'line') =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}\n`).join('');

function gatewayLog(text: string): string {
  const dir = join(sb.home, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gateway.log');
  writeFileSync(file, text);
  return file;
}

function serverLog(space: string, server: string, text: string): string {
  const dir = join(sb.home, 'logs', space);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${server}.log`);
  writeFileSync(file, text);
  return file;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('mcpmux logs', () => {
  it("prints the last 50 lines of the gateway's log, or the last N with -n", async () => {
    gatewayLog(numbered(1, 120));
    const all = await sb.ok(['logs']);
    expect(all.stdout).toBe(numbered(71, 120));
    const three = await sb.ok(['logs', '-n', '3']);
    expect(three.stdout).toBe(numbered(118, 120));
  });

  it('makes the gateway JSON lines readable with --format pretty, and leaves other lines as they are', async () => {
    gatewayLog(
      `${JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 34, 56), msg: 'call', client: 'cursor', durationMs: 4.5 })}\nplain line\n`,
    );
    const pretty = await sb.ok(['logs', '--format', 'pretty']);
    expect(pretty.stdout).toBe('12:34:56 INFO  call client=cursor durationMs=4.5\nplain line\n');
    const json = await sb.ok(['logs']);
    expect(json.stdout).toContain('"msg":"call"');
    expect((await sb.cli(['logs', '--format', 'yaml'])).stderr).toMatch(/--format.*yaml.*pretty, json/);
  });

  it('refuses a server id that is a path', async () => {
    const r = await sb.cli(['logs', '../../etc/passwd']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: server id: use lowercase letters/);
    expect(r.stdout).toBe('');
  });

  it('says to start the gateway when it has no log', async () => {
    const r = await sb.cli(['logs']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('mcpmux start');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("prints a server's stderr log in the active Space, or in --space", async () => {
    serverLog('personal', 'memory', 'personal memory started\n');
    serverLog('work', 'memory', 'work memory started\n');
    expect((await sb.ok(['logs', 'memory'])).stdout).toBe('personal memory started\n');
    expect((await sb.ok(['logs', 'memory', '--space', 'work'])).stdout).toBe('work memory started\n');
  });

  it('says the server has not run in that Space when it has no log', async () => {
    serverLog('personal', 'memory', 'x\n');
    const r = await sb.cli(['logs', 'memory', '--space', 'work']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('has not run in that Space');
    expect(r.stderr).toContain('"work"');
    const missingSpace = await sb.cli(['logs', 'memory', '--space', 'nope']);
    expect(missingSpace.stderr).toContain('Space "nope" does not exist');
  });

  it('follows with -f: prints lines appended after it started, also after the log is rotated, until aborted', async () => {
    const file = gatewayLog(numbered(1, 2));
    const { output, exited, stop } = sb.start(['logs', '-f']);
    try {
      await until(() => output.out() === numbered(1, 2), 'the first lines');
      appendFileSync(file, 'appended after start\n');
      await until(() => output.out().includes('appended after start\n'), 'the appended line');
      renameSync(file, `${file}.1`);
      writeFileSync(file, 'first line of the new log\n');
      await until(() => output.out().includes('first line of the new log\n'), 'the rotated log');
    } finally {
      stop();
    }
    expect(await exited).toBe(0);
    expect(output.out()).toBe(`${numbered(1, 2)}appended after start\nfirst line of the new log\n`);
    expect(output.err()).toBe('');
  });
});
