import { defineProject } from 'vitest/config';

// Each walkthrough runs dozens of real CLI processes (and starts real MCP servers as children):
// one file at a time, generous timeouts for a loaded 2-core machine, no retries.
export default defineProject({
  test: {
    name: '@mcpmux/docs-tests',
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
