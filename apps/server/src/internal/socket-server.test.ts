import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSocketServer, type SocketServer } from './socket-server.js';

describe('the socket listener', () => {
  let home: string;
  let server: SocketServer;
  let connects = 0;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'mcpmux-sock-'));
    connects = 0;
    server = createSocketServer({
      path: join(home, 'gateway.sock'),
      gateway: {
        connect: async () => {
          connects++;
          throw new Error('not reached');
        },
      },
      version: '0.0.0',
      maxJsonDepth: 64,
      maxLineBytes: 1024,
      maxSessionsPerClient: 1,
      maxSessions: 1,
      helloTimeoutMs: 50,
    });
    await server.listen();
  });

  afterEach(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers a connection that never says hello with an error line, then closes it', async () => {
    const socket = connect({ path: join(home, 'gateway.sock') });
    socket.setEncoding('utf8');
    let text = '';
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    await once(socket, 'close');
    expect(JSON.parse(text)).toEqual({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('No hello within 50 ms') },
    });
    expect(connects).toBe(0);
  });
});
