import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureHarness, type Downstream, firstText, type Harness, rpcErrorOf } from './harness.js';

// Invalid params sent by a real SDK client (its `request` does not validate what it sends).
let h: Harness;
let c: Downstream;
beforeAll(async () => {
  ({ h, app: c } = await createFixtureHarness('errs', 'errors.mjs'));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

function send(method: string, params?: unknown): Promise<unknown> {
  const request = params === undefined ? { method } : { method, params };
  return c.client.request(request as never, ResultSchema);
}

const LEVELS = '"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"';

describe('invalid params', { timeout: 30_000 }, () => {
  it.each([
    ['tools/call', { name: 42 }, 'name must be a string'],
    ['tools/call', { name: 'errs_echo', arguments: 'x' }, 'arguments must be an object'],
    ['tools/call', { arguments: {} }, 'name is required (a string)'],
    ['tools/call', undefined, 'params is required (an object)'],
    ['prompts/get', { name: 'errs_greet', arguments: { name: 1 } }, 'arguments.name must be a string'],
    ['prompts/get', { name: 'errs_greet', arguments: { 'a b': [] } }, 'arguments["a b"] must be a string'],
    ['resources/read', {}, 'uri is required (a string)'],
    ['resources/subscribe', { uri: 7 }, 'uri must be a string'],
    ['tools/list', { cursor: 42 }, 'cursor must be a string'],
    [
      'completion/complete',
      { ref: { type: 'ref/x' }, argument: { name: 'a', value: 'b' } },
      'ref.type must be "ref/prompt" or "ref/resource"',
    ],
    ['logging/setLevel', { level: 'loud' }, `level must be one of ${LEVELS}`],
    // The SDK drops such a request without answering it: the client would wait until its timeout.
    [
      'tools/call',
      { name: 'errs_echo', _meta: { progressToken: { a: 1 } } },
      '_meta.progressToken must be a string or a number',
    ],
  ])('%s %j answers -32602 "Invalid params: %s"', async (method, params, expected) => {
    const err = await rpcErrorOf(send(method, params));
    expect(err).toEqual({ code: -32602, message: `MCP error -32602: Invalid params: ${expected}` });
  });

  it('answers a cursor the gateway did not issue with -32602 naming the cursor', async () => {
    const err = await rpcErrorOf(send('tools/list', { cursor: 'bogus!' }));
    expect(err).toEqual({
      code: -32602,
      message:
        'MCP error -32602: Invalid params: cursor must be a nextCursor from this list; list again without a cursor',
    });
  });

  it('names only the first problem, in one line, and keeps the session serving', async () => {
    const err = await rpcErrorOf(send('tools/call', { name: 1, arguments: 2 }));
    expect(err).toEqual({
      code: -32602,
      message: 'MCP error -32602: Invalid params: name must be a string (and 1 more problem)',
    });
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain('invalid_type');
    expect(firstText(await c.client.callTool({ name: 'errs_echo', arguments: { ok: 1 } }))).toBe('{"ok":1}');
    const prompt = await c.client.getPrompt({ name: 'errs_greet', arguments: { name: 'ann' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hello ann' });
  });
});
