import { exposedName } from '@mcpmux/gateway';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { previewExposedName } from './exposed-name.js';

describe('previewExposedName', () => {
  it('names every feature as the gateway does, shortened names included', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9-]{1,24}$/),
        fc.string({ minLength: 1, maxLength: 120, unit: 'binary' }),
        fc.boolean(),
        (alias, name, prefix) => {
          expect(previewExposedName(alias, name, prefix)).toBe(exposedName(alias, name, prefix));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('shortens a name over 64 characters to exactly 64', () => {
    const long = 'x'.repeat(80);
    expect(previewExposedName('a', long, true)).toHaveLength(64);
    expect(previewExposedName('a', long, true)).toBe(exposedName('a', long, true));
  });
});
