import { Agent, request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start.js';
import { createTestHome, startTestServer, type TestHome } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

interface Reply {
  status: number;
  contentType: string | undefined;
  body: string;
}

function send(
  url: string,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
  method = 'POST',
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const ping = (id: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });

/** A JSON error body: `{ jsonrpc: "2.0", error: { code, message } }`. */
function errorCode(reply: Reply): number {
  expect(reply.contentType).toBe('application/json');
  const body = JSON.parse(reply.body);
  expect(body.jsonrpc).toBe('2.0');
  expect(typeof body.error.message).toBe('string');
  return body.error.code;
}

/** Checks one answer: a JSON-RPC error with a 4xx status, a 202, or 200 with JSON-RPC response(s). */
function checkAnswer(reply: Reply): void {
  if (reply.status === 202) {
    expect(reply.body).toBe('');
    return;
  }
  if (reply.status === 200) {
    expect(reply.contentType).toBe('application/json');
    const body = JSON.parse(reply.body);
    for (const message of Array.isArray(body) ? body : [body]) {
      expect(message.jsonrpc).toBe('2.0');
      expect('result' in message || 'error' in message).toBe(true);
    }
    return;
  }
  expect([400, 401, 404, 406, 413, 415]).toContain(reply.status);
  errorCode(reply);
}

describe('hostile input', () => {
  let t: TestHome;
  let server: RunningServer;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await createTestHome();
    server = await startTestServer(t, { http: { maxBodyBytes: 256 * 1024 } });
    const base = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${t.keys.alice}`,
    };
    const sessionId = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(server.url, { method: 'POST', headers: base, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['mcp-session-id'])));
      });
      req.on('error', reject);
      req.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'fuzz', version: '1' },
          },
        }),
      );
    });
    headers = { ...base, 'mcp-session-id': sessionId };
    await send(server.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  });

  afterAll(async () => {
    agent.destroy();
    await server?.close();
    t?.cleanup();
  });

  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const cases: Array<{
    name: string;
    body?: string | Buffer;
    headers?: Record<string, string | undefined>;
    method?: string;
    status: number;
    code?: number;
  }> = [
    { name: 'an empty body', body: '', status: 400, code: -32700 },
    { name: 'plain text', body: 'not json', status: 400, code: -32700 },
    { name: 'an unterminated object', body: '{', status: 400, code: -32700 },
    { name: 'an unterminated array', body: '[', status: 400, code: -32700 },
    { name: 'trailing garbage', body: `${ping(1)}xyz`, status: 400, code: -32700 },
    { name: 'two concatenated messages', body: `${ping(1)}${ping(2)}`, status: 400, code: -32700 },
    { name: 'null', body: 'null', status: 400, code: -32600 },
    { name: 'a number', body: '42', status: 400, code: -32600 },
    { name: 'a string', body: '"ping"', status: 400, code: -32600 },
    { name: 'a boolean', body: 'true', status: 400, code: -32600 },
    { name: 'an empty object', body: '{}', status: 400, code: -32600 },
    { name: 'an empty batch', body: '[]', status: 400, code: -32600 },
    { name: 'a batch of numbers', body: '[1,2,3]', status: 400, code: -32600 },
    {
      name: 'jsonrpc 1.0',
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }),
      status: 400,
      code: -32600,
    },
    { name: 'no jsonrpc member', body: JSON.stringify({ id: 1, method: 'ping' }), status: 400, code: -32600 },
    {
      name: 'a numeric method',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 7 }),
      status: 400,
      code: -32600,
    },
    {
      name: 'an empty method',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: '' }),
      status: 400,
      code: -32600,
    },
    {
      name: 'a 300-character method',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x'.repeat(300) }),
      status: 400,
      code: -32600,
    },
    {
      name: 'array params',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: [1] }),
      status: 400,
      code: -32600,
    },
    {
      name: 'string params',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: 'x' }),
      status: 400,
      code: -32600,
    },
    { name: 'a null id', body: ping(null), status: 400, code: -32600 },
    { name: 'an object id', body: ping({ a: 1 }), status: 400, code: -32600 },
    { name: 'a fractional id', body: ping(1.5), status: 400, code: -32600 },
    {
      name: 'a huge id (1e300)',
      body: '{"jsonrpc":"2.0","id":1e300,"method":"ping"}',
      status: 400,
      code: -32600,
    },
    { name: 'an id beyond 2^53', body: ping(2 ** 53), status: 400, code: -32600 },
    {
      name: 'a 300-digit id',
      body: `{"jsonrpc":"2.0","id":${'9'.repeat(300)},"method":"ping"}`,
      status: 400,
      code: -32600,
    },
    { name: 'a 10,000-character string id', body: ping('i'.repeat(10_000)), status: 400, code: -32600 },
    {
      name: 'a response with both result and error',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } }),
      status: 400,
      code: -32600,
    },
    {
      name: 'a response with neither',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1 }),
      status: 400,
      code: -32600,
    },
    {
      name: 'an error without a code',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { message: 'x' } }),
      status: 400,
      code: -32600,
    },
    {
      name: 'a non-object result',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, result: 5 }),
      status: 400,
      code: -32600,
    },
    {
      name: 'a request carrying a result',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', result: {} }),
      status: 400,
      code: -32600,
    },
    { name: 'duplicate ids in a batch', body: `[${ping(1)},${ping(1)}]`, status: 400, code: -32600 },
    {
      name: 'a batch over the limit',
      body: `[${Array.from({ length: 65 }, (_, i) => ping(i)).join(',')}]`,
      status: 400,
      code: -32600,
    },
    {
      name: 'initialize inside a batch',
      body: `[${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })},${ping(2)}]`,
      status: 400,
      code: -32600,
    },
    {
      name: 'initialize on an initialized session',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      status: 400,
      code: -32600,
    },
    {
      name: 'a request without a session id',
      body: ping(1),
      headers: { 'mcp-session-id': undefined },
      status: 400,
    },
    {
      name: 'a string _meta',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: 'x' } }),
      status: 400,
      code: -32600,
    },
    {
      name: 'an object progress token',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: { progressToken: {} } },
      }),
      status: 400,
      code: -32600,
    },
    { name: 'a raw NUL byte', body: '\u0000', status: 400, code: -32700 },
    { name: 'a BOM alone', body: '\ufeff', status: 400, code: -32700 },
    { name: 'invalid UTF-8 bytes', body: Buffer.from([0xff, 0xfe, 0xfd, 0x7b]), status: 400, code: -32700 },
    { name: '5,000 nested arrays', body: deep, status: 400, code: -32600 },
    {
      name: 'an unsupported protocol version header',
      body: ping(1),
      headers: { 'mcp-protocol-version': '1999-01-01' },
      status: 400,
      code: -32600,
    },
    { name: 'a missing content type', body: ping(1), headers: { 'content-type': undefined }, status: 415 },
    { name: 'an HTML accept only', body: ping(1), headers: { accept: 'text/html' }, status: 406 },
    {
      name: 'a GET without an event-stream accept',
      method: 'GET',
      headers: { accept: 'application/json' },
      status: 406,
    },
    {
      name: 'a DELETE without a session id',
      method: 'DELETE',
      headers: { 'mcp-session-id': undefined },
      status: 400,
    },
    { name: 'an empty bearer token', body: ping(1), headers: { authorization: 'Bearer ' }, status: 401 },
    { name: 'a body over the limit', body: `"${'x'.repeat(300 * 1024)}"`, status: 413, code: -32004 },
    // Valid shapes that must still be answered properly.
    { name: 'a negative integer id', body: ping(-1), status: 200 },
    {
      name: 'a lone surrogate in the id',
      body: '{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}',
      status: 200,
    },
    {
      name: 'a NUL inside the method name',
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'pi\u0000ng' }),
      status: 200,
    },
    { name: 'a BOM before a valid ping', body: `\ufeff${ping(10)}`, status: 200 },
    {
      name: 'a charset parameter on the content type',
      body: ping(11),
      headers: { 'content-type': 'application/json; charset=utf-8' },
      status: 200,
    },
    { name: 'ids 1 and "1" in one batch', body: `[${ping(1)},${ping('1')}]`, status: 200 },
    {
      name: 'a __proto__ member',
      body: '{"jsonrpc":"2.0","id":12,"method":"ping","__proto__":{"polluted":1}}',
      status: 200,
    },
    {
      name: 'a notification only',
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/whatever' }),
      status: 202,
    },
    {
      name: 'a response to an unknown id',
      body: JSON.stringify({ jsonrpc: '2.0', id: 'nobody', result: {} }),
      status: 202,
    },
    {
      name: 'an unknown method',
      body: JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'no/such/method' }),
      status: 200,
    },
  ];

  it('has at least 40 hand-written malformed requests', () => {
    expect(cases.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('answers $name with status $status and a JSON body', async (c) => {
    const h: Record<string, string> = { ...headers };
    for (const [k, v] of Object.entries(c.headers ?? {})) {
      if (v === undefined) delete h[k];
      else h[k] = v;
    }
    const reply = await send(server.url, c.body, h, c.method ?? 'POST');
    expect(reply.status).toBe(c.status);
    checkAnswer(reply);
    if (c.code !== undefined) expect(errorCode(reply)).toBe(c.code);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 10,000 generated messages with JSON and a fitting status, and memory stays bounded', async () => {
    const id = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.double(),
      fc.object(),
    );
    const method = fc.oneof(
      fc.constantFrom(
        'ping',
        'tools/list',
        'tools/call',
        'prompts/list',
        'prompts/get',
        'resources/list',
        'resources/read',
        'resources/templates/list',
        'resources/subscribe',
        'completion/complete',
        'logging/setLevel',
        'initialize',
        'notifications/cancelled',
        'notifications/progress',
        'notifications/roots/list_changed',
      ),
      fc.string({ maxLength: 30 }),
    );
    const message = fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.anything()),
        id,
        method,
        params: fc.oneof(
          fc.object({ maxDepth: 2 }),
          fc.anything({ maxDepth: 2 }),
          fc.record({
            _meta: fc.oneof(fc.anything({ maxDepth: 1 }), fc.record({ progressToken: fc.anything() })),
          }),
        ),
        result: fc.oneof(fc.object({ maxDepth: 1 }), fc.anything({ maxDepth: 1 })),
        error: fc.record({ code: fc.integer(), message: fc.string() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      { weight: 5, arbitrary: message.map((m) => JSON.stringify(m)) },
      {
        weight: 2,
        arbitrary: fc.array(message, { minLength: 0, maxLength: 5 }).map((a) => JSON.stringify(a)),
      },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
    );
    let runs = 0;
    const property = fc.asyncProperty(body, async (b) => {
      runs++;
      const reply = await send(server.url, b, { ...headers, accept: 'application/json' });
      checkAnswer(reply);
    });
    await fc.assert(property, { numRuns: 500, seed: 1 });
    gc();
    const before = process.memoryUsage().heapUsed;
    await fc.assert(property, { numRuns: 10_000, seed: 2 });
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(
      `fuzz: ${runs} messages; heap ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(runs).toBeGreaterThanOrEqual(10_500);
    expect(after - before).toBeLessThan(32 * 2 ** 20);
    expect(server.http.stats().sessions).toBe(1);
    const alive = await send(server.url, ping('alive'), headers);
    expect(JSON.parse(alive.body)).toEqual({ jsonrpc: '2.0', id: 'alive', result: {} });
  }, 180_000);
});
