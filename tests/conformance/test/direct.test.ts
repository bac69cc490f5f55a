import { startFixtureHttp } from '../src/http.js';
import { conformanceSuite } from './suite.js';

// (a) The official suite against the fixture over its own Streamable HTTP endpoint.
await conformanceSuite('conformance suite against the fixture directly', 'direct', () => startFixtureHttp());
