// parseSelector and formatSelector check kinds and selectors by hand (no zod, for the
// `@mcpmux/featuresets/resolver` entry). They must answer exactly as the zod-based code did: same
// results, same error messages and data, over many valid and invalid inputs.
import { isMcpmuxError } from '@mcpmux/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zodFormatSelector, zodParseSelector } from '../test/zod-selector-syntax.js';
import { isFeatureKind, selectorIssue } from './internal/selector-check.js';
import { FeatureKindSchema, type Selector, SelectorSchema } from './schemas.js';
import { formatSelector, parseSelector } from './selector-syntax.js';

/** What a call returns, or what it throws: an INVALID_INPUT's message and data, another error's text. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (err) {
    if (isMcpmuxError(err)) return { code: err.code, message: err.message, data: err.data };
    return { thrown: String(err) };
  }
}

/** A printable name for any value (for failure messages). */
function label(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const RUNS = { numRuns: 3000 };

/** Pieces of selector text, valid and not: heads, separators, globs, kinds, booleans, odd spellings. */
const TOKENS = [
  'tool',
  'prompt',
  'resource',
  'server',
  'set',
  'annotation',
  'readonly',
  'destructive',
  'readOnly',
  'any',
  'true',
  'false',
  'Tool',
  'TOOL',
  'tools',
  'gh',
  'delete_*',
  '?',
  '*',
  ':',
  ':',
  '/',
  '/',
  '=',
  ',',
  ' ',
  '',
  'file:///a b',
  'é',
  '\u{1F600}',
  'constructor',
  '__proto__',
];
const HEADS = ['tool', 'prompt', 'resource', 'server', 'set', 'annotation', 'bogus', ''];
const textArb = fc.oneof(
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 7 }).map((parts) => parts.join('')),
  // HEAD:... with a few more pieces: reaches the deeper checks of each form more often.
  fc
    .tuple(fc.constantFrom(...HEADS), fc.array(fc.constantFrom(...TOKENS), { maxLength: 5 }))
    .map(([head, parts]) => `${head}:${parts.join('')}`),
);

const TEXTS = [
  '',
  'readonly',
  'destructive',
  'tool:github/create_issue',
  'prompt:*/summar?ze',
  'resource:fs/file:///tmp/a b.txt',
  'server:github',
  'server:git*:prompt',
  'server:git*:tools',
  'server:git*:',
  'server:gh:tool ',
  'server:gh: tool',
  'server::tool',
  'server:a:b:tool',
  'set:server-all:github',
  'set:',
  'annotation:any',
  'annotation:readOnly=true',
  'annotation:readOnly=false,destructive=true',
  'annotation:destructive=true,readOnly=false',
  'annotation:readOnly=true,readOnly=true',
  'annotation:readOnly',
  'annotation:',
  'annotation:destructive=true',
  'tool:a:b/x',
  'tool:/x',
  'tool:a/',
  'bogus:x',
];

/** Values of every type zod names differently in "received X". */
class Widget {
  type = 'feature';
}
const VALUES: unknown[] = [
  'tool',
  'prompt',
  'resource',
  'feature',
  'server',
  'featureSet',
  'annotation',
  'gh',
  'a/b',
  'a:b',
  '',
  '*',
  'Tool',
  true,
  false,
  0,
  42,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  10n,
  null,
  undefined,
  [],
  ['tool'],
  {},
  new Date(0),
  new Widget(),
  Object.create(null),
  Symbol('s'),
  () => 'tool',
];
const valueArb = fc.constantFrom(...VALUES);
const KEYS = ['type', 'kind', 'server', 'name', 'id', 'readOnly', 'destructive'] as const;

/** Objects with any subset of the selector keys (present even when undefined), or any other value. */
const anythingArb: fc.Arbitrary<unknown> = fc.oneof(
  valueArb,
  fc.record(
    Object.fromEntries(KEYS.map((k) => [k, valueArb])) as Record<
      (typeof KEYS)[number],
      fc.Arbitrary<unknown>
    >,
    {
      requiredKeys: [],
    },
  ),
  fc
    .record(
      {
        type: fc.constantFrom('feature', 'server', 'featureSet', 'annotation'),
        kind: fc.constantFrom('tool', 'prompt', 'resource', 'tools', undefined),
        server: fc.constantFrom('gh', 'g*', '', 'a/b', 'a:b', undefined, 3),
        name: fc.constantFrom('x', '', '*', undefined),
        id: fc.constantFrom('dev', '', undefined),
        readOnly: fc.constantFrom(true, false, undefined, 'true'),
        destructive: fc.constantFrom(true, false, undefined, 0),
      },
      { requiredKeys: ['type'] },
    )
    .map((fields) =>
      fields.type === 'server' && fields.kind === 'tools' ? { ...fields, extra: 1 } : fields,
    ),
);

function firstZodIssue(value: unknown): { path: string[]; message: string } | undefined {
  const parsed = SelectorSchema.safeParse(value);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0]!;
  return { path: issue.path.map(String), message: issue.message };
}

function checkIssue(value: unknown): void {
  expect(
    selectorIssue(value),
    String(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))),
  ).toEqual(firstZodIssue(value));
}

describe('the selector syntax without zod', () => {
  it('parseSelector answers exactly as the zod-based parser, for listed and generated texts', () => {
    for (const text of TEXTS) {
      expect(
        outcome(() => parseSelector(text)),
        text,
      ).toEqual(outcome(() => zodParseSelector(text)));
    }
    fc.assert(
      fc.property(textArb, (text) => {
        expect(
          outcome(() => parseSelector(text)),
          text,
        ).toEqual(outcome(() => zodParseSelector(text)));
      }),
      RUNS,
    );
  });

  it('parseSelector answers non-strings as the zod-based parser did', () => {
    for (const value of VALUES) {
      expect(outcome(() => parseSelector(value as string))).toEqual(
        outcome(() => zodParseSelector(value as string)),
      );
    }
  });

  it('formatSelector prints and refuses exactly as the zod-based printer, message and data.field', () => {
    fc.assert(
      fc.property(anythingArb, (value) => {
        expect(
          outcome(() => formatSelector(value as Selector)),
          label(value),
        ).toEqual(outcome(() => zodFormatSelector(value as Selector)));
      }),
      RUNS,
    );
  });

  it('reports the first issue SelectorSchema reports, with its path and message', () => {
    for (const value of VALUES) checkIssue(value);
    checkIssue({ type: 'feature', kind: 'x', server: '', name: '' });
    checkIssue({ type: 'server', server: 'a', kind: undefined });
    checkIssue(Object.assign(Object.create({ type: 'featureSet', id: 'inherited' }), {}));
    checkIssue(Object.assign(Object.create({ readOnly: 'inherited' }), { type: 'annotation' }));
    checkIssue(Object.assign(Object.create(null), { type: 'server', server: 'gh' }));
    fc.assert(fc.property(anythingArb, checkIssue), RUNS);
  });

  it('takes the same kinds as FeatureKindSchema', () => {
    for (const value of [...VALUES, 'tools', ' tool', 'tool ', 'TOOL']) {
      expect(isFeatureKind(value), label(value)).toBe(FeatureKindSchema.safeParse(value).success);
    }
  });

  it('accepts every valid selector and refuses each field the schema refuses (the comparison sees failures)', () => {
    expect(selectorIssue({ type: 'feature', kind: 'tool', server: 'g*', name: 'x' })).toBeUndefined();
    expect(selectorIssue({ type: 'server', server: 'a/b' })).toEqual({
      path: ['server'],
      message: 'must not contain "/" or ":"',
    });
    expect(() => formatSelector({ type: 'featureSet', id: '' })).toThrowError(
      'selector.id: must not be empty',
    );
  });
});
