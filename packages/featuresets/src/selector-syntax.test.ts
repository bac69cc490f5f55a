import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { formatSelector, parseSelector, type Selector } from './index.js';

const CASES: [string, Selector][] = [
  ['tool:github/create_issue', { type: 'feature', kind: 'tool', server: 'github', name: 'create_issue' }],
  ['prompt:*/summar?ze', { type: 'feature', kind: 'prompt', server: '*', name: 'summar?ze' }],
  [
    'resource:fs/file:///tmp/a b.txt',
    { type: 'feature', kind: 'resource', server: 'fs', name: 'file:///tmp/a b.txt' },
  ],
  ['tool:*/*delete*', { type: 'feature', kind: 'tool', server: '*', name: '*delete*' }],
  ['server:github', { type: 'server', server: 'github' }],
  ['server:git*:prompt', { type: 'server', server: 'git*', kind: 'prompt' }],
  ['set:developer', { type: 'featureSet', id: 'developer' }],
  ['set:server-all:github', { type: 'featureSet', id: 'server-all:github' }],
  ['readonly', { type: 'annotation', readOnly: true }],
  ['destructive', { type: 'annotation', destructive: true }],
  ['annotation:any', { type: 'annotation' }],
  ['annotation:readOnly=false', { type: 'annotation', readOnly: false }],
  ['annotation:destructive=false', { type: 'annotation', destructive: false }],
  ['annotation:readOnly=false,destructive=true', { type: 'annotation', readOnly: false, destructive: true }],
];

function parseError(text: string): string {
  try {
    parseSelector(text);
  } catch (e) {
    expect(isMcpmuxError(e, 'INVALID_INPUT')).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`"${text}" parsed`);
}

describe('parseSelector / formatSelector', () => {
  it.each(CASES)('parses %s and prints it back exactly', (text, selector) => {
    expect(parseSelector(text)).toStrictEqual(selector);
    expect(formatSelector(selector)).toBe(text);
  });

  it('rejects malformed selectors with INVALID_INPUT naming every accepted form', () => {
    for (const bad of [
      '',
      'tool',
      'tool:github',
      'tool:/x',
      'tool:github/',
      'tool:a:b/x',
      'server:',
      'server:a/b',
      'server:a:tools',
      'set:',
      'READONLY',
      'bogus:x',
      'annotation:',
      'annotation:readOnly=yes',
    ]) {
      const message = parseError(bad);
      expect(message).toContain(`selector "${bad}"`);
      expect(message).toContain('tool:SERVER/NAME');
      expect(message).toContain('server:SERVER:KIND');
      expect(message).toContain('set:ID');
      expect(message).toContain('readonly');
    }
  });

  it('accepts only the canonical spelling of annotation selectors and says which one to use', () => {
    expect(parseError('annotation:readOnly=true')).toContain('write it as "readonly"');
    expect(parseError('annotation:destructive=true,readOnly=false')).toContain('readOnly first');
    expect(parseError('annotation:readOnly=true,readOnly=true')).toContain('at most once');
  });

  it('refuses to print an invalid selector', () => {
    expect(() => formatSelector({ type: 'server', server: 'a/b' })).toThrowError(
      /selector.server: must not contain/,
    );
    expect(() => formatSelector({ type: 'feature', kind: 'tool', server: 'a', name: '' })).toThrowError(
      /selector.name/,
    );
  });
});
