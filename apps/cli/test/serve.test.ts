import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, sandbox } from './helpers.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Runs `mcpmux serve --port 0 --json ARGS` in-process until `stop()`; resolves once it listens (or exits). */
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
    stop: async () => {
      stop();
      return exited;
    },
  };
}

/** POSTs an initialize; returns the status and the JSON-RPC error message, if any. */
function openSession(url: string, key: string): Promise<{ status: number; message?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, message: JSON.parse(body).error?.message }),
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

describe('mcpmux serve session limits', () => {
  const configFile = () => join(sb.home, 'config.json');

  it('takes the per-client cap and the idle timeout from flags', async () => {
    const server = await serve(sb, ['--max-sessions-per-client', '1', '--session-idle-timeout', '90']);
    try {
      expect((await openSession(server.url ?? '', key)).status).toBe(200);
      const refused = await openSession(server.url ?? '', key);
      expect(refused.status).toBe(429);
      expect(refused.message).toContain('already has 1 open session,');
      expect(refused.message).toContain('after 90 s');
      expect(refused.message).toContain('--max-sessions-per-client N');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('takes the total cap from --max-sessions', async () => {
    const server = await serve(sb, ['--max-sessions', '1']);
    try {
      expect((await openSession(server.url ?? '', key)).status).toBe(200);
      const refused = await openSession(server.url ?? '', key);
      expect(refused.status).toBe(503);
      expect(refused.message).toContain('the gateway has 1 open session,');
    } finally {
      await server.stop();
    }
  });

  it('takes the caps from the home’s config.json, and a flag overrides the file', async () => {
    writeFileSync(configFile(), JSON.stringify({ serve: { maxSessionsPerClient: 2 } }));
    const fromFile = await serve(sb, []);
    try {
      expect((await openSession(fromFile.url ?? '', key)).status).toBe(200);
      expect((await openSession(fromFile.url ?? '', key)).status).toBe(200);
      expect((await openSession(fromFile.url ?? '', key)).status).toBe(429);
    } finally {
      await fromFile.stop();
    }
    const flagged = await serve(sb, ['--max-sessions-per-client', '1']);
    try {
      expect((await openSession(flagged.url ?? '', key)).status).toBe(200);
      expect((await openSession(flagged.url ?? '', key)).status).toBe(429);
    } finally {
      await flagged.stop();
      writeFileSync(configFile(), '{}');
    }
  });

  it('fails with one line naming the file and the field for a bad config.json', async () => {
    writeFileSync(configFile(), JSON.stringify({ serve: { maxSessions: -1 } }));
    try {
      const server = await serve(sb, []);
      expect(server.url).toBeUndefined();
      expect(await server.exited).not.toBe(0);
      expect(server.stderr()).toContain(`${configFile()}: serve.maxSessions:`);
    } finally {
      writeFileSync(configFile(), '{}');
    }
  });

  it('refuses a cap below 1', async () => {
    const r = await sb.cli(['serve', '--port', '0', '--max-sessions-per-client', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--max-sessions-per-client must be at least 1');
  });
});

describe('mcpmux serve logging', () => {
  it('writes parseable JSON log lines with --log-format json, down to --log-level debug', async () => {
    const server = await serve(sb, ['--log-format', 'json', '--log-level', 'debug']);
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
    };
    const init = await fetch(server.url ?? '', { method: 'POST', headers, body: INIT });
    await init.text();
    const session = init.headers.get('mcp-session-id') ?? '';
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await fetch(server.url ?? '', {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': session },
      body: initialized,
    }).then((r) => r.text());
    expect(await server.stop()).toBe(0);
    const lines = server
      .stderr()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.msg === 'mcpmux gateway listening' && l.level === 30)).toBe(true);
    expect(lines.some((l) => l.msg === 'session opened' && l.level === 20)).toBe(true);
    expect(server.stderr()).not.toContain(key);
  });

  it('writes one readable line per entry with --log-format pretty', async () => {
    const server = await serve(sb, ['--log-format', 'pretty']);
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toMatch(/^\d\d:\d\d:\d\d INFO {2}mcpmux gateway listening /m);
  });

  it('writes no info line with --log-level warn', async () => {
    const server = await serve(sb, ['--log-format', 'json', '--log-level', 'warn']);
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).not.toContain('"level":30');
  });

  it('refuses an unknown --log-level, naming the choices', async () => {
    const r = await sb.cli(['serve', '--port', '0', '--log-level', 'loud']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('trace, debug, info, warn, error');
  });
});

describe('mcpmux serve on a busy port', () => {
  it('names the running gateway (URL, pid, home) and what to do, in one line without a stack', async () => {
    const other = sandbox();
    try {
      await other.ok(['init']);
      const first = await serve(sb, []);
      try {
        const url = first.url ?? '';
        const port = new URL(url).port;
        // The same home: one gateway per home.
        const again = await sb.cli(['serve', '--port', port]);
        expect(again.code).not.toBe(0);
        expect(again.stderr).toContain(
          `a gateway is already running for this home (pid ${process.pid}, ${url})`,
        );
        expect(again.stderr).toContain('`mcpmux stop`');
        // Another home on the same port: the holder is named, with its home.
        const taken = await other.cli(['serve', '--port', port]);
        expect(taken.code).not.toBe(0);
        const lines = taken.stderr.split('\n').filter((l) => l.startsWith('error:'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`already running at ${url} (pid ${process.pid}, home ${sb.home})`);
        expect(lines[0]).toContain('--port');
        expect(lines[0]).toContain(`\`mcpmux stop --home ${sb.home}\``);
        expect(taken.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
      } finally {
        await first.stop();
      }
    } finally {
      other.cleanup();
    }
  });
});
