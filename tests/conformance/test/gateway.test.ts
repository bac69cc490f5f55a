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

// The gateway serves 2026-07-28 once its move to the v2 SDK lands (issue #15); until then this run
// is opt-in: MCPMUX_ERA_2026=1 npx vitest run --project @mcpmux/conformance-tests gateway
describe.skipIf(!process.env.MCPMUX_ERA_2026)(
  'conformance suite 2026-07-28 against the gateway with the fixture behind it',
  () => {
    defineConformanceRun({
      label: 'gateway',
      specVersion: '2026-07-28',
      scenarios: scenarios2026,
      start: () => startGatewayWithFixture(),
    });
  },
);
