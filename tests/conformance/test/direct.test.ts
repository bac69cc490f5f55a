import { describe } from 'vitest';
import { startFixtureHttp } from '../src/http.js';
import { listServerScenarios } from '../src/run-suite.js';
import { defineConformanceRun } from './suite.js';

// (a) The official suite against the fixture over its own Streamable HTTP endpoint, which serves both
// eras: one run per spec version.
const scenarios2025 = await listServerScenarios('2025-11-25');
const scenarios2026 = await listServerScenarios('2026-07-28');

describe('conformance suite 2025-11-25 against the fixture directly', () => {
  defineConformanceRun({
    label: 'direct',
    specVersion: '2025-11-25',
    scenarios: scenarios2025,
    start: () => startFixtureHttp(),
  });
});

describe('conformance suite 2026-07-28 against the fixture directly', () => {
  defineConformanceRun({
    label: 'direct',
    specVersion: '2026-07-28',
    scenarios: scenarios2026,
    start: () => startFixtureHttp(),
  });
});
