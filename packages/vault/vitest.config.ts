import { defineProject } from 'vitest/config';

// One throwaway PostgreSQL server per run of this project (tests/postgres), a database per test;
// without PostgreSQL the PostgreSQL tests are skipped with a printed reason (failed when CI is set).
export default defineProject({
  test: {
    name: '@mcpmux/vault',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['@mcpmux/test-postgres/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
