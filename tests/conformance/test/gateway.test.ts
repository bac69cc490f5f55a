import { describe } from 'vitest';
import { startGatewayWithFixture } from '../src/gateway.js';
import { listServerScenarios } from '../src/run-suite.js';
import { defineConformanceRun } from './suite.js';

// (b) The official suite against the mcpmux gateway with the dual-era fixture as its only upstream
// (stdio, prefixing off): one run per spec version.
const scenarios2025 = await listServerScenarios('2025-11-25');
const scenarios2026 = await listServerScenarios('2026-07-28');

describe('conformance suite 2025-11-25 against the gateway with the fixture behind it', () => {
  defineConformanceRun({
    label: 'gateway',
    specVersion: '2025-11-25',
    scenarios: scenarios2025,
    start: () => startGatewayWithFixture(),
  });
});

describe('conformance suite 2026-07-28 against the gateway with the fixture behind it', () => {
  defineConformanceRun({
    label: 'gateway',
    specVersion: '2026-07-28',
    scenarios: scenarios2026,
    start: () => startGatewayWithFixture(),
  });
});
