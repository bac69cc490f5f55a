import { deserializeMessage } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { LineBuffer } from './stdio-transport.js';

/** Every message `buffer` yields now. */
function drain(buffer: LineBuffer): unknown[] {
  const out: unknown[] = [];
  for (let m = buffer.readMessage(); m !== null; m = buffer.readMessage()) out.push(m);
  return out;
}

describe('LineBuffer (upstream stdout)', () => {
  it('yields what the SDK reader yields for the same bytes, split anywhere', () => {
    const lines = [
      'server starting on stdio...',
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'é ✓' }] } }),
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 1, progress: 1 },
      }),
      JSON.stringify({ jsonrpc: '2.0', id: 'a', error: { code: -32602, message: 'bad' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: {} }),
    ];
    const bytes = Buffer.from(`${lines.join('\r\n')}\n`);
    const expected = lines.slice(1).map((l) => deserializeMessage(l));
    for (const step of [1, 3, 7, bytes.length]) {
      const buffer = new LineBuffer();
      const got: unknown[] = [];
      for (let i = 0; i < bytes.length; i += step) {
        buffer.append(bytes.subarray(i, i + step));
        got.push(...drain(buffer));
      }
      expect(got).toEqual(expected);
    }
  });

  it('throws for a JSON line that is not a JSON-RPC 2.0 message, then goes on with the next', () => {
    const buffer = new LineBuffer();
    buffer.append(
      Buffer.from('{"jsonrpc":"1.0","id":1,"result":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n'),
    );
    expect(() => buffer.readMessage()).toThrow(/not a JSON-RPC 2\.0 message/);
    expect(buffer.readMessage()).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
  });

  it('refuses more than its limit without a newline, and starts empty again', () => {
    const buffer = new LineBuffer(16);
    buffer.append(Buffer.from('0123456789'));
    expect(() => buffer.append(Buffer.from('0123456789'))).toThrow(/more than 16 bytes without a newline/);
    expect(buffer.readMessage()).toBeNull();
    buffer.append(Buffer.from('{"id":1}\n'));
    expect(() => buffer.readMessage()).toThrow(/not a JSON-RPC/);
  });
});
