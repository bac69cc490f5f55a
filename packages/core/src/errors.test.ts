import { describe, expect, it } from 'vitest';
import { isMcpmuxError, McpmuxError, parseOrThrow } from './index.js';
import { AliasSchema, SlugSchema } from './schemas.js';

describe('McpmuxError', () => {
  it('carries a code, a message and data, and serialises without the cause', () => {
    const err = new McpmuxError('NOT_FOUND', 'Space "x" does not exist.', {
      data: { entity: 'space', id: 'x' },
      cause: new Error('secret detail'),
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('NOT_FOUND');
    expect(JSON.stringify(err)).toBe(
      '{"code":"NOT_FOUND","message":"Space \\"x\\" does not exist.","data":{"entity":"space","id":"x"}}',
    );
    expect(isMcpmuxError(err)).toBe(true);
    expect(isMcpmuxError(err, 'NOT_FOUND')).toBe(true);
    expect(isMcpmuxError(err, 'CONFLICT')).toBe(false);
    expect(isMcpmuxError(new Error('x'))).toBe(false);
  });
});

describe('parseOrThrow', () => {
  it('names the failing field and the rule in an INVALID_INPUT error', () => {
    expect(() => parseOrThrow(SlugSchema, 'Work Space', 'space id')).toThrowError(
      /^space id: use lowercase letters/,
    );
    try {
      parseOrThrow(SlugSchema, '', 'space id');
    } catch (e) {
      expect(isMcpmuxError(e, 'INVALID_INPUT')).toBe(true);
      expect((e as McpmuxError).data).toEqual({ field: 'space id' });
    }
  });

  it('accepts valid slugs and aliases and rejects long aliases', () => {
    expect(parseOrThrow(SlugSchema, 'client-alpha', 'id')).toBe('client-alpha');
    expect(AliasSchema.safeParse('a'.repeat(24)).success).toBe(true);
    expect(AliasSchema.safeParse('a'.repeat(25)).success).toBe(false);
  });
});
