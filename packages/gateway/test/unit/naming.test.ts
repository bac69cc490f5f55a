import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exposedName, MAX_EXPOSED_NAME_LENGTH } from '../../src/index.js';

const sha6 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 6);

describe('exposedName (DESIGN §6)', () => {
  it('joins alias and name with an underscore', () => {
    expect(exposedName('github', 'create_issue', true)).toBe('github_create_issue');
    expect(exposedName('my-fs', 'read-file', true)).toBe('my-fs_read-file');
  });

  it('keeps the bare name when prefixing is off', () => {
    expect(exposedName('github', 'create_issue', false)).toBe('create_issue');
  });

  it('leaves a name of exactly 64 characters unchanged', () => {
    const name = 'n'.repeat(64 - 'abc_'.length);
    expect(exposedName('abc', name, true)).toBe(`abc_${name}`);
    expect(exposedName('abc', name, true)).toHaveLength(64);
  });

  it('shortens a 65-character name to its first 57 characters, "-" and 6 hex of SHA-256 of the full name', () => {
    const name = 'n'.repeat(65 - 'abc_'.length);
    const full = `abc_${name}`;
    const out = exposedName('abc', name, true);
    expect(out).toHaveLength(MAX_EXPOSED_NAME_LENGTH);
    expect(out).toBe(`${full.slice(0, 57)}-${sha6(full)}`);
    expect(out).toMatch(/^abc_n{53}-[0-9a-f]{6}$/);
  });

  it('shortens unprefixed names over 64 characters the same way', () => {
    const name = `${'x'.repeat(70)}_tail`;
    expect(exposedName('ignored', name, false)).toBe(`${name.slice(0, 57)}-${sha6(name)}`);
  });

  it('is stable across calls and distinguishes names that share their first 57 characters', () => {
    const base = 'a'.repeat(60);
    const one = exposedName('srv', `${base}_one`, true);
    const two = exposedName('srv', `${base}_two`, true);
    expect(exposedName('srv', `${base}_one`, true)).toBe(one);
    expect(one.slice(0, 57)).toBe(two.slice(0, 57));
    expect(one).not.toBe(two);
  });

  it('hashes the full exposed name, so the alias changes the hash', () => {
    const name = 'z'.repeat(80);
    expect(exposedName('a', name, true).slice(-6)).toBe(sha6(`a_${name}`));
    expect(exposedName('b', name, true).slice(-6)).toBe(sha6(`b_${name}`));
    expect(exposedName('a', name, true).slice(-6)).not.toBe(exposedName('b', name, true).slice(-6));
  });
});
