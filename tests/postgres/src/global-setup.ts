import type { TestProject } from 'vitest/node';
import { DEBIAN_PACKAGE, postgresUnavailableReason, startPostgresServer } from './server.js';

/** What the global setup hands to the test files of its project (`inject('mcpmuxPostgres')`). */
export type ProvidedPostgres = { adminUrl: string } | { skip: string };

declare module 'vitest' {
  export interface ProvidedContext {
    mcpmuxPostgres: ProvidedPostgres;
  }
}

/**
 * Vitest `globalSetup`: one throwaway PostgreSQL server per project run, stopped (and its
 * directory removed) by the returned teardown even when tests fail. Test files get a fresh
 * database each through `usePostgres()`. Without PostgreSQL it provides a skip reason, printed
 * once; with `CI` set it fails instead, naming the Debian package to install.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reason = postgresUnavailableReason();
  if (reason !== undefined) {
    if (process.env.CI) {
      throw new Error(
        `${reason}. CI must run the PostgreSQL tests: .ci/run installs Debian's '${DEBIAN_PACKAGE}' package.`,
      );
    }
    console.warn(`[${project.name}] skipping the PostgreSQL tests: ${reason}`);
    project.provide('mcpmuxPostgres', { skip: reason });
    return async () => {};
  }
  const server = await startPostgresServer();
  project.provide('mcpmuxPostgres', { adminUrl: server.adminUrl });
  return () => server.stop();
}
