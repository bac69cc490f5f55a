import { ensureConformanceNode } from '../src/run-suite.js';

/** Fetches the suite's Node 22 binary once, before the test files (which list scenarios at load) start. */
export default async function setup(): Promise<void> {
  await ensureConformanceNode();
}
