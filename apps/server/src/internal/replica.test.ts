import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { parseReplicaId, replicaOfSession, replicaSessionIds } from './replica.js';

describe('replica ids', () => {
  it('accepts 1 to 16 lower-case letters and digits, and refuses anything else naming the flag', () => {
    expect(parseReplicaId('r1')).toBe('r1');
    expect(parseReplicaId('a'.repeat(16))).toBe('a'.repeat(16));
    for (const bad of ['', 'R1', 'r-1', 'r.1', 'a'.repeat(17), 'r1\n']) {
      let thrown: unknown;
      try {
        parseReplicaId(bad);
      } catch (err) {
        thrown = err;
      }
      expect(isMcpmuxError(thrown, 'INVALID_INPUT')).toBe(true);
      expect((thrown as Error).message).toContain('--replica-id');
    }
  });

  it('prefixes the session ids of a replica with its id and a dot, and leaves them bare without one', () => {
    let n = 0;
    const random = () => `x${n++}`;
    expect(replicaSessionIds('r2', random)()).toBe('r2.x0');
    expect(replicaSessionIds(undefined, random)()).toBe('x1');
    const id = replicaSessionIds('r3')();
    expect(id).toMatch(/^r3\.[A-Za-z0-9_-]{22}$/);
    expect(replicaOfSession(id)).toBe('r3');
  });

  it('reads the replica of a session id only from a well-formed prefix', () => {
    expect(replicaOfSession('r1.abc')).toBe('r1');
    expect(replicaOfSession('abc')).toBeUndefined();
    expect(replicaOfSession('.abc')).toBeUndefined();
    expect(replicaOfSession('R1.abc')).toBeUndefined();
  });
});
