import { McpmuxError } from '@mcpmux/core';
import { CallToolRequestSchema, CompleteRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolErrorCode as ErrorCode, ProtocolError } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayErrorCode, toRpcError } from '../../src/index.js';

describe('toRpcError', () => {
  it('passes a ProtocolError through with its code, data and a message without the SDK prefix', () => {
    const out = toRpcError(new ProtocolError(ErrorCode.InvalidParams, 'Unknown tool: x', { hint: 1 }));
    expect(out).toBeInstanceOf(ProtocolError);
    expect(out.code).toBe(ErrorCode.InvalidParams);
    expect(out.message).toBe('Unknown tool: x');
    expect(out.data).toEqual({ hint: 1 });
  });

  it('maps UPSTREAM_UNAVAILABLE to -32010 with the message naming the server and its state', () => {
    const out = toRpcError(
      new McpmuxError('UPSTREAM_UNAVAILABLE', 'Server "github" is unavailable (backoff).', {
        data: { serverId: 'github', state: 'backoff' },
        cause: new Error('token=abc123'),
      }),
    );
    expect(out.code).toBe(GatewayErrorCode.UpstreamUnavailable);
    expect(out.message).toBe('Server "github" is unavailable (backoff).');
    expect(out.data).toEqual({ code: 'UPSTREAM_UNAVAILABLE', serverId: 'github', state: 'backoff' });
    expect(JSON.stringify(out.data)).not.toContain('abc123');
  });

  it('maps UPSTREAM_TIMEOUT to RequestTimeout and INVALID_INPUT to InvalidParams', () => {
    expect(toRpcError(new McpmuxError('UPSTREAM_TIMEOUT', 't')).code).toBe(GatewayErrorCode.UpstreamTimeout);
    expect(toRpcError(new McpmuxError('INVALID_INPUT', 'i')).code).toBe(ErrorCode.InvalidParams);
    expect(toRpcError(new McpmuxError('SECRET_MISSING', 's')).code).toBe(
      GatewayErrorCode.UpstreamUnavailable,
    );
  });

  it('hides everything about other errors behind "Internal error"', () => {
    for (const thrown of [
      new Error('password=hunter2 at /home/x'),
      new TypeError('boom'),
      'a string',
      { code: 1, message: 'object' },
      undefined,
      new McpmuxError('INTERNAL', 'detail that must stay inside'),
    ]) {
      const out = toRpcError(thrown);
      expect(out.code).toBe(ErrorCode.InternalError);
      expect(out.message).toBe('Internal error');
      expect(out.data).toBeUndefined();
    }
  });

  it('maps a request schema ZodError to -32602 with one line naming the field, never the issue list', () => {
    const parsed = CallToolRequestSchema.safeParse({ method: 'tools/call', params: { name: 42 } });
    const out = toRpcError(parsed.error);
    expect(out.code).toBe(ErrorCode.InvalidParams);
    expect(out.message).toBe('Invalid params: name must be a string');
    expect(out.data).toEqual({ code: 'INVALID_INPUT', field: 'name' });
  });

  it('merges union alternatives that fail at the same place into one expectation', () => {
    const token = CallToolRequestSchema.safeParse({
      method: 'tools/call',
      params: { name: 'x', _meta: { progressToken: {} } },
    });
    expect(toRpcError(token.error).message).toBe(
      'Invalid params: _meta.progressToken must be a string or a number',
    );
  });

  it('describes the closest union alternative when they fail at different places', () => {
    const ref = CompleteRequestSchema.safeParse({
      method: 'completion/complete',
      params: { ref: { type: 'ref/prompt' }, argument: { name: 'a', value: 'b' } },
    });
    expect(toRpcError(ref.error).message).toBe('Invalid params: ref.name is required (a string)');
  });

  it('quotes odd keys, shortens long ones and words other rules with their own message', () => {
    const long = 'k'.repeat(100);
    const schema = z.object({ params: z.record(z.string(), z.string().max(3)) });
    const odd = schema.safeParse({ params: { 'a b': 'toolong' } });
    expect(toRpcError(odd.error).message).toBe(
      'Invalid params: ["a b"]: Too big: expected string to have <=3 characters',
    );
    const longKey = schema.safeParse({ params: { [long]: 1 } });
    expect(toRpcError(longKey.error).message).toBe(
      `Invalid params: ["${'k'.repeat(40)}..."] must be a string`,
    );
  });
});
