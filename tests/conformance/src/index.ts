export { createFixtureServer, FIXTURE_TOOLS, RED_PIXEL_PNG, SILENT_WAV } from './fixture.js';
export { type FixtureHttpServer, MemoryEventStore, startFixtureHttp } from './http.js';
export { type ConformanceRun, runConformance, type ScenarioResult } from './run-suite.js';
