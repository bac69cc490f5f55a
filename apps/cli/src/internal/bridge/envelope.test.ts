import { describe, expect, it } from 'vitest';
import { idKey, readEnvelope } from './envelope.js';

const read = (text: string) => readEnvelope(Buffer.from(text));

describe('readEnvelope', () => {
  it('reads the top-level id and method of a request, a notification and a response', () => {
    expect(read('{"jsonrpc":"2.0","id":7,"method":"tools/list"}')).toEqual({ id: 7, method: 'tools/list' });
    expect(read('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toEqual({
      method: 'notifications/initialized',
    });
    expect(read(' { "result" : {"tools":[]} , "jsonrpc":"2.0", "id" : "a-1" } ')).toEqual({ id: 'a-1' });
  });

  it('ignores an id or a method nested inside params or result, wherever the top-level id stands', () => {
    const line = JSON.stringify({
      result: { id: 99, method: 'nested', content: [{ text: '{"id":5}', id: [1, { id: 2 }] }] },
      jsonrpc: '2.0',
      id: 3,
    });
    expect(read(line)).toEqual({ id: 3 });
    expect(read('{"params":{"s":"quote \\" and brace } and \\\\"},"method":"m","id":-1.5e2}')).toEqual({
      id: -150,
      method: 'm',
    });
  });

  it('decodes escaped keys and string ids', () => {
    expect(read('{"\\u0069d":"x\\"y","meth\\u006fd":"ping"}')).toEqual({ id: 'x"y', method: 'ping' });
  });

  it('tracks no id that is null, an object or absent', () => {
    expect(read('{"jsonrpc":"2.0","id":null,"error":{"code":-32700}}')).toEqual({});
    expect(read('{"id":{"a":1},"method":"m"}')).toEqual({ method: 'm' });
  });

  it('gives up on what is not one JSON object: a batch, garbage, a cut line', () => {
    expect(read('[{"id":1,"method":"a"}]')).toBeUndefined();
    expect(read('not json')).toBeUndefined();
    expect(read('{"id":1,"method":"tools/ca')).toBeUndefined();
    expect(read('')).toBeUndefined();
  });
});

describe('idKey', () => {
  it('keeps numbers and strings apart', () => {
    expect(idKey(1)).not.toBe(idKey('1'));
    expect(idKey(1)).toBe(idKey(Number('1.0')));
  });
});
