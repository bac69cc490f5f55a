import { defineProject } from 'vitest/config';

// One browser and one gateway shared by the scenarios of a file, which run in order. Real processes
// (Chromium, upstream servers, the CLI): generous timeouts for start-up, no retries.
export default defineProject({
  test: {
    name: '@mcpmux/console-tests',
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
