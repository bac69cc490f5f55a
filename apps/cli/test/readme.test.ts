import { join } from 'node:path';
import { compileReadmeSnippets } from '@mcpmux/test-kit';
import { expect, it } from 'vitest';

it('compiles the README TypeScript snippets against the built package', () => {
  const { snippets, problems } = compileReadmeSnippets(join(import.meta.dirname, '..'));
  expect(snippets).toBeGreaterThanOrEqual(1);
  expect(problems).toEqual([]);
}, 120_000);
