// The HTTP layer hands a POSTed message to the SDK without parsing it with the SDK's schema again:
// everything `invalidMessage` accepts must be what `JSONRPCMessageSchema` accepts, or the SDK would
// drop a message that was taken in, leaving its request unanswered.
import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { invalidMessage } from '../src/internal/http-util.js';

const related = 'io.modelcontextprotocol/related-task';
const corpus: unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { a: [1, { b: null }] } } },
  { jsonrpc: '2.0', id: 'abc', method: 'ping' },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } },
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, result: { _meta: { x: 1 }, content: [] } },
  { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'no', data: { any: 1 } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 'p' } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 5, other: 'kept' } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { [related]: { taskId: 't' } } } },
  // Refused by the SDK's schema: each must be refused here too.
  { jsonrpc: '2.0', id: 1, method: 'x', extra: true },
  { jsonrpc: '2.0', method: 'x', params: { _meta: [] } },
  { jsonrpc: '2.0', method: 'x', params: { _meta: null } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: true } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { [related]: { taskId: 7 } } } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { [related]: 'task' } } },
  { jsonrpc: '2.0', id: 1, result: { _meta: [] } },
  { jsonrpc: '2.0', id: 1, result: [] },
  { jsonrpc: '2.0', id: 1, result: {}, extra: 1 },
  { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } },
  { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' }, result: {} },
  { jsonrpc: '2.0', id: 1.5, method: 'x' },
  { jsonrpc: '2.0', id: null, method: 'x' },
  { jsonrpc: '2.0', id: 1, method: 'x', params: [] },
  { jsonrpc: '2.0', id: 1, method: 7 },
  { jsonrpc: '1.0', id: 1, method: 'x' },
  { id: 1, method: 'x' },
  [],
  null,
  'x',
];

function sdkAccepts(value: unknown): boolean {
  try {
    parseJSONRPCMessage(value);
    return true;
  } catch {
    return false;
  }
}

describe('invalidMessage', () => {
  it('accepts only messages the SDK schema accepts (each one of the corpus)', () => {
    const acceptedHereOnly = corpus.filter((m) => invalidMessage(m) === undefined && !sdkAccepts(m));
    expect(acceptedHereOnly).toEqual([]);
    // The corpus exercises both sides.
    expect(corpus.filter((m) => invalidMessage(m) === undefined).length).toBe(10);
  });

  it('names the member the SDK would refuse', () => {
    expect(invalidMessage({ jsonrpc: '2.0', id: 1, method: 'x', extra: true })).toBe(
      'unknown member "extra".',
    );
    expect(invalidMessage({ jsonrpc: '2.0', method: 'x', params: { _meta: [] } })).toBe(
      'params._meta must be an object.',
    );
  });
});
