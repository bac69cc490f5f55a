import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, page } from './paging.js';

describe('list paging', () => {
  it('pages a list and ends without a cursor', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const first = page(items, undefined, 'tools', 2);
    expect(first.tools).toEqual(['a', 'b']);
    const second = page(items, first.nextCursor as string, 'tools', 2);
    expect(second.tools).toEqual(['c', 'd']);
    const last = page(items, second.nextCursor as string, 'tools', 2);
    expect(last).toEqual({ tools: ['e'] });
  });

  it('rejects a cursor it did not issue with invalid params', () => {
    expect(decodeCursor(encodeCursor(7))).toBe(7);
    expect(() => decodeCursor('bm9wZQ')).toThrowError(/cursor must be a nextCursor/);
    expect(() => decodeCursor(Buffer.from('o:-1').toString('base64url'))).toThrowError(/Invalid params/);
  });
});
