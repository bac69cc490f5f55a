import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start.js';
import { alive, connectClient, createTestHome, raw, startTestServer, type TestHome } from './helpers.js';

const SERVE = fileURLToPath(new URL('./fixtures/serve-home.mjs', import.meta.url));
const MILLION = 1_000_000;

/** A `tools/call` of `alpha_echo` whose arguments carry `deep` (raw JSON text) next to `text`. */
function callWith(deep: string, id: number | string = 1): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"alpha_echo","arguments":{"text":"ok","deep":${deep}}}}`;
}

/** `n` nested arrays, or objects when `objects`; the message adds 3 levels (message, params, arguments). */
function nested(n: number, objects = false): string {
  return objects ? `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}` : `${'['.repeat(n)}${']'.repeat(n)}`;
}

describe('JSON nesting limit at the HTTP edge', () => {
  let t: TestHome;
  let server: RunningServer;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t);
    const client = await connectClient(server.url, t.keys.alice ?? '');
    const transport = client.transport as StreamableHTTPClientTransport;
    headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${t.keys.alice}`,
      'mcp-session-id': transport.sessionId ?? '',
    };
  });

  afterAll(async () => {
    await server?.close();
    t?.cleanup();
  });

  async function post(body: string | Buffer) {
    const res = await raw(server.url, { headers, body });
    return { status: res.status, body: JSON.parse(res.body) };
  }

  function expectTooDeep(reply: { status: number; body: unknown }, limit = 64) {
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringContaining(`JSON nested deeper than ${limit} levels`) },
    });
  }

  it('accepts a message nested exactly 64 levels deep, arrays or objects', async () => {
    for (const objects of [false, true]) {
      const reply = await post(callWith(nested(61, objects)));
      expect(reply.status).toBe(200);
      expect(reply.body.result.content).toEqual([{ type: 'text', text: 'ok' }]);
    }
  });

  it('rejects 65 levels with 400 and a JSON-RPC -32600 naming the limit, arrays or objects', async () => {
    expectTooDeep(await post(callWith(nested(62))));
    expectTooDeep(await post(callWith(nested(62, true))));
  });

  it('rejects 1,000,000 nested arrays (a 2 MB body under the body limit) before parsing', async () => {
    expectTooDeep(await post(callWith(nested(MILLION))));
    expectTooDeep(await post(nested(MILLION)));
  });

  it('does not count brackets inside strings', async () => {
    const text = `${'['.repeat(5000)}\\"{{{${'}'.repeat(5000)}`;
    const reply = await post(
      `{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"alpha_echo","arguments":{"text":"${text}"}}}`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.result.content[0].text).toBe(JSON.parse(`"${text}"`));
  });

  it('answers a flat body over the body limit with the JSON 413, not the depth error', async () => {
    const reply = await post(callWith(`"${'x'.repeat(5 * 1024 * 1024)}"`));
    expect(reply.status).toBe(413);
    expect(reply.body.error.code).toBe(-32004);
  });

  it('rejects exactly the messages deeper than the limit, for random shapes around it', async () => {
    // Message depths from 4 to 103, most of them within a few levels of the limit (64).
    const length = fc.oneof(fc.integer({ min: 55, max: 68 }), fc.integer({ min: 1, max: 100 }));
    const shape = length.chain((n) => fc.array(fc.boolean(), { minLength: n, maxLength: n }));
    await fc.assert(
      fc.asyncProperty(shape, async (levels) => {
        // Each level is an array (false) or an object (true), innermost last.
        let deep = '0';
        for (const object of [...levels].reverse())
          deep = object ? `{"k":${deep},"s":"]]}"}` : `[${deep},"[["]`;
        const reply = await post(callWith(deep, 'f'));
        if (levels.length + 3 > 64) expectTooDeep(reply);
        else expect(reply.status).toBe(200);
      }),
      { numRuns: 60 },
    );
  });

  it('takes another limit from maxJsonDepth', async () => {
    // Another home: one home has one gateway at a time.
    const other = await createTestHome();
    const strict = await startTestServer(other, { http: { maxJsonDepth: 8 } });
    try {
      const client = await connectClient(strict.url, other.keys.alice ?? '');
      const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId ?? '';
      const send = async (body: string) => {
        const res = await raw(strict.url, {
          headers: { ...headers, authorization: `Bearer ${other.keys.alice}`, 'mcp-session-id': sessionId },
          body,
        });
        return { status: res.status, body: JSON.parse(res.body) };
      };
      expect((await send(callWith(nested(5)))).status).toBe(200);
      expectTooDeep(await send(callWith(nested(6))), 8);
      await client.close();
    } finally {
      await strict.close();
      other.cleanup();
    }
  });
});

describe('a gateway process under deeply nested calls', () => {
  let t: TestHome;
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    t = await createTestHome();
    child = spawn(process.execPath, [SERVE, t.home], {
      env: { ...process.env, ...t.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const [first] = (await once(lines, 'line')) as [string];
    url = JSON.parse(first).url;
  });

  afterAll(async () => {
    if (child?.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    t?.cleanup();
  });

  it('stays up after 100 calls of 1,000,000 nested arrays, and its sessions keep working', async () => {
    const client = await connectClient(url, t.keys.alice ?? '');
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId ?? '';
    const body = Buffer.from(callWith(nested(MILLION), 7));
    for (let i = 0; i < 100; i++) {
      const res = await raw(url, {
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${t.keys.alice}`,
          'mcp-session-id': sessionId,
        },
        body,
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe(-32600);
    }
    expect(child.exitCode).toBeNull();
    expect(alive(child.pid ?? 0)).toBe(true);
    expect(
      (await client.callTool({ name: 'alpha_echo', arguments: { text: 'same session' } })).content,
    ).toEqual([{ type: 'text', text: 'same session' }]);
    const other = await connectClient(url, t.keys.bob ?? '');
    expect(
      (await other.callTool({ name: 'alpha_echo', arguments: { text: 'other session' } })).content,
    ).toEqual([{ type: 'text', text: 'other session' }]);
    await other.close();
    await client.close();
  });
});
