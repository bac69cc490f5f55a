import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type GatewayInfo,
  gatewayInfoPath,
  gatewaySocketPath,
  probeGatewaySocket,
  readGatewayInfo,
  removeGatewayInfo,
  writeGatewayInfo,
} from './gateway-info.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid ?? 0;
}

describe('gateway.json', () => {
  let home: string;
  const info = (pid: number): GatewayInfo => ({
    pid,
    url: 'http://127.0.0.1:45818/mcp',
    socket: gatewaySocketPath(home),
    version: '0.1.0',
    startedAt: new Date().toISOString(),
    home,
  });

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'mcpmux-info-'));
  });

  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('writes the file 0600, leaves no temporary file, and reads it back', async () => {
    const written = info(process.pid);
    await writeGatewayInfo(home, written);
    expect(statSync(gatewayInfoPath(home)).mode & 0o777).toBe(0o600);
    expect(readdirSync(home)).toEqual(['gateway.json']);
    expect(await readGatewayInfo(home)).toEqual(written);
  });

  it('reads nothing for a missing file, a malformed one, or one whose process is gone', async () => {
    expect(await readGatewayInfo(home)).toBeUndefined();
    writeFileSync(gatewayInfoPath(home), '{"pid":');
    expect(await readGatewayInfo(home)).toBeUndefined();
    writeFileSync(gatewayInfoPath(home), JSON.stringify({ pid: process.pid, url: 'x' }));
    expect(await readGatewayInfo(home)).toBeUndefined();
    await writeGatewayInfo(home, info(deadPid()));
    expect(await readGatewayInfo(home)).toBeUndefined();
  });

  it('removes the file only for the process that wrote it', async () => {
    await writeGatewayInfo(home, info(process.pid));
    expect(await removeGatewayInfo(home, process.pid + 1)).toBe(false);
    expect(await readGatewayInfo(home)).toBeDefined();
    expect(await removeGatewayInfo(home, process.pid)).toBe(true);
    expect(await readGatewayInfo(home)).toBeUndefined();
    expect(await removeGatewayInfo(home, process.pid)).toBe(false);
  });

  it('tells a listening socket from a missing one', async () => {
    const path = gatewaySocketPath(home);
    expect(await probeGatewaySocket(path)).toBe('absent');
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    expect(await probeGatewaySocket(path)).toBe('live');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    writeFileSync(path, '');
    expect(await probeGatewaySocket(path)).toBe('stale');
  });
});
