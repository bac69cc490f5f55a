import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@mcpmux/test-postgres',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
