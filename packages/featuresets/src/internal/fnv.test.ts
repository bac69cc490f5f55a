import { describe, expect, it } from 'vitest';
import { Fnv1a64 } from './fnv.js';

describe('Fnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(new Fnv1a64().digest()).toBe('cbf29ce484222325');
    expect(new Fnv1a64().update('a').digest()).toBe('af63dc4c8601ec8c');
    expect(new Fnv1a64().update('foobar').digest()).toBe('85944171f73967e8');
    expect(new Fnv1a64().update('foo').update('bar').digest()).toBe('85944171f73967e8');
  });

  it('hashes the UTF-8 encoding of non-ASCII text', () => {
    const viaBytes = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(text))
        h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    for (const text of ['é', 'ü€', '😀x', 'a\u0000b', '\ud800'])
      expect(new Fnv1a64().update(text).digest()).toBe(viaBytes(text));
  });
});
