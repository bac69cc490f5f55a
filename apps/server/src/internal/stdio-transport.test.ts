import { PassThrough } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { StdioLineTransport } from './stdio-transport.js';

async function harness(limits = { maxJsonDepth: 64, maxLineBytes: 1024 }) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new StdioLineTransport(stdin, stdout, limits);
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (m) => received.push(m);
  await transport.start();
  let written = '';
  stdout.on('data', (c: Buffer) => {
    written += c.toString('utf8');
  });
  const replies = () =>
    written
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  const feed = async (...chunks: Array<string | Buffer>) => {
    for (const chunk of chunks) stdin.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { transport, received, replies, feed };
}

const ping = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });

describe('StdioLineTransport', () => {
  it('delivers messages split across chunks, with CRLF endings and blank lines between', async () => {
    const h = await harness();
    const two = `${ping(1)}\r\n\n  \n${ping(2)}\n`;
    await h.feed(two.slice(0, 7), two.slice(7, 30), two.slice(30));
    expect(h.received).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
    expect(h.replies()).toEqual([]);
  });

  it('answers a line that is not JSON, or not JSON-RPC, with an error of id null and goes on', async () => {
    const h = await harness();
    await h.feed('not json\n', '{"hello":1}\n', `${ping(3)}\n`);
    expect(h.replies()).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32700, message: expect.stringContaining('not valid JSON') },
      },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('JSON-RPC') } },
    ]);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 3, method: 'ping' }]);
  });

  it('answers a line nested deeper than the limit without parsing it', async () => {
    const h = await harness({ maxJsonDepth: 4, maxLineBytes: 1024 });
    await h.feed('{"jsonrpc":"2.0","method":"x","params":{"a":[[1]]}}\n');
    await h.feed('{"jsonrpc":"2.0","method":"y","params":{"a":[[[1]]]}}\n');
    expect(h.received.map((m) => ('method' in m ? m.method : ''))).toEqual(['x']);
    expect(h.replies()).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: expect.stringContaining('JSON nested deeper than 4 levels') },
      },
    ]);
  });

  it('skips a line over the byte limit, however it is chunked, and reads the next one', async () => {
    const h = await harness({ maxJsonDepth: 64, maxLineBytes: 100 });
    const long = JSON.stringify({ jsonrpc: '2.0', method: 'n', params: { pad: 'x'.repeat(300) } });
    await h.feed(long.slice(0, 60), long.slice(60, 120), long.slice(120), `\n${ping(4)}\n`);
    await h.feed(`${long}\n${ping(5)}\n`);
    expect(h.received).toEqual([
      { jsonrpc: '2.0', id: 4, method: 'ping' },
      { jsonrpc: '2.0', id: 5, method: 'ping' },
    ]);
    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('100 bytes') } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('100 bytes') } },
    ]);
  });

  it('writes one line per sent message and stops reading once closed', async () => {
    const h = await harness();
    let closed = false;
    h.transport.onclose = () => {
      closed = true;
    };
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    await h.transport.close();
    await h.feed(`${ping(6)}\n`);
    expect(closed).toBe(true);
    expect(h.received).toEqual([]);
    expect(h.replies()).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
  });
});
