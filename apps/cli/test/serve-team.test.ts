import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Runs `mcpmux serve --port 0 --json ARGS` in-process; resolves once it listens (or exits). */
async function serve(sb: Sandbox, args: string[]) {
  const { output, exited, stop } = sb.start(['serve', '--port', '0', '--json', ...args]);
  const listening = new Promise<string>((resolve) => {
    output.stdout.on('data', () => {
      try {
        resolve(JSON.parse(output.out()).url);
      } catch {
        // not the whole object yet
      }
    });
  });
  const url = await Promise.race([listening, exited.then(() => undefined)]);
  return {
    url,
    stderr: output.err,
    exited,
    stop: () => {
      stop();
      return exited;
    },
  };
}

/** POSTs an initialize; returns the session id and the replica header. */
function initialize(url: string, key: string, host?: string) {
  return new Promise<{ status: number; sessionId?: string; replica?: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${key}`,
          ...(host === undefined ? {} : { host }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers['mcp-session-id'] === 'string'
              ? { sessionId: res.headers['mcp-session-id'] }
              : {}),
            ...(typeof res.headers['mcpmux-replica'] === 'string'
              ? { replica: res.headers['mcpmux-replica'] }
              : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(INIT);
  });
}

let sb: Sandbox;
let key: string;

beforeAll(async () => {
  sb = sandbox();
  await sb.ok(['init']);
  key = (await sb.json<{ accessKey: string }>(['client', 'add', 'app'])).accessKey;
});

afterAll(() => sb?.cleanup());

describe('mcpmux serve in team mode', () => {
  it('prefixes session ids with --replica-id and accepts the --public-url host', async () => {
    const s = await serve(sb, ['--replica-id', 'r7', '--public-url', 'https://mcp.example.test']);
    try {
      expect(s.url).toBeDefined();
      const opened = await initialize(s.url ?? '', key, 'mcp.example.test');
      expect(opened.status).toBe(200);
      expect(opened.sessionId).toMatch(/^r7\./);
      expect(opened.replica).toBe('r7');
      expect((await initialize(s.url ?? '', key, 'other.example.test')).status).toBe(403);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('takes the replica id and public URL from MCPMUX_REPLICA_ID and MCPMUX_PUBLIC_URL', async () => {
    sb.env.MCPMUX_REPLICA_ID = 'envr';
    sb.env.MCPMUX_PUBLIC_URL = 'https://team.example.test';
    const s = await serve(sb, []);
    try {
      const opened = await initialize(s.url ?? '', key, 'team.example.test');
      expect(opened.sessionId).toMatch(/^envr\./);
    } finally {
      delete sb.env.MCPMUX_REPLICA_ID;
      delete sb.env.MCPMUX_PUBLIC_URL;
      expect(await s.stop()).toBe(0);
    }
  });

  it('refuses a malformed replica id or public URL with one line saying what to pass', async () => {
    for (const args of [
      ['--replica-id', 'Replica_1'],
      ['--public-url', 'https://mcp.example.test/mcp'],
    ]) {
      const r = await sb.cli(['serve', '--port', '0', ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(args[0] === '--replica-id' ? /--replica-id/ : /--public-url https:\/\//);
    }
  });
});
