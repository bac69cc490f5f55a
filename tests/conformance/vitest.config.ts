import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@mcpmux/conformance-tests',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
