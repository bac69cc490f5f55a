import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// The README examples import '@mcpmux/featuresets'; point that at the source so they run unbuilt.
export default defineProject({
  resolve: {
    alias: { '@mcpmux/featuresets': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    name: '@mcpmux/featuresets',
    include: ['src/**/*.test.ts'],
  },
});
