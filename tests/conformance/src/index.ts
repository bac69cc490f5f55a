export {
  createFixtureServer,
  FIXTURE_TOOLS,
  type FixtureOptions,
  RED_PIXEL_PNG,
  SILENT_WAV,
} from './fixture.js';
export { startGatewayWithFixture, type Target } from './gateway.js';
export { type FixtureHttpServer, MemoryEventStore, startFixtureHttp } from './http.js';
export {
  type ConformanceRun,
  listServerScenarios,
  runConformance,
  type ScenarioResult,
  SPEC_VERSIONS,
  type SpecVersion,
} from './run-suite.js';
