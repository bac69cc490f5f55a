import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// The README examples import '@mcpmux/featuresets' and '@mcpmux/featuresets/resolver'; point them at
// the source so they run unbuilt.
const source = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineProject({
  resolve: {
    alias: [
      { find: /^@mcpmux\/featuresets\/resolver$/, replacement: source('resolver.ts') },
      { find: /^@mcpmux\/featuresets$/, replacement: source('index.ts') },
    ],
  },
  test: {
    name: '@mcpmux/featuresets',
    include: ['src/**/*.test.ts'],
  },
});
