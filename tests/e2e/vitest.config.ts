import { defineProject } from 'vitest/config';

// Real gateway processes with real MCP servers as children: one file at a time on this 2-core
// machine, generous timeouts for process start-up, no retries (a flaky scenario is a bug).
export default defineProject({
  test: {
    name: '@mcpmux/e2e',
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
