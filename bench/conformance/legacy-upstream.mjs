// The official conformance suite through the mcpmux gateway with a 2025-only upstream behind it:
// which 2026-07-28 scenarios a 2026 client gets when the server behind the gateway speaks only
// 2025-11-25 (issue #15 item 5). Prints one line per scenario and the totals; not part of npm test.
//
//   pnpm --filter @mcpmux/conformance-tests build && pnpm --filter @mcpmux/server build
//   node bench/conformance/legacy-upstream.mjs                      # 2026-07-28, 2025-only upstream
//   node bench/conformance/legacy-upstream.mjs --spec-version 2025-11-25
//   node bench/conformance/legacy-upstream.mjs --upstream dual      # the dual-era fixture instead
import { parseArgs } from 'node:util';
import {
  runConformance,
  SPEC_VERSIONS,
  startGatewayWithFixture,
} from '../../tests/conformance/dist/index.js';

const { values } = parseArgs({
  options: {
    'spec-version': { type: 'string', default: '2026-07-28' },
    upstream: { type: 'string', default: 'legacy' },
  },
});
const specVersion = values['spec-version'];
if (!SPEC_VERSIONS.includes(specVersion)) {
  console.error(`--spec-version must be one of ${SPEC_VERSIONS.join(', ')}`);
  process.exit(2);
}
if (values.upstream !== 'legacy' && values.upstream !== 'dual') {
  console.error('--upstream must be legacy (2025-11-25 only) or dual (both eras)');
  process.exit(2);
}

const target = await startGatewayWithFixture({
  fixtureArgs: values.upstream === 'legacy' ? ['--legacy-only'] : [],
});
try {
  const run = await runConformance({ url: target.url, specVersion, suite: 'all' });
  for (const s of run.scenarios) {
    const ok = s.passed && s.warnings === 0;
    const why = ok ? '' : `  ${[...s.failedChecks, ...s.warnedChecks].join(' | ').slice(0, 240)}`;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${s.scenario}${why}`);
  }
  const passed = run.scenarios.filter((s) => s.passed && s.warnings === 0).length;
  console.log(
    `\n${passed}/${run.scenarios.length} scenarios passed: suite ${specVersion} through the gateway, ${values.upstream === 'legacy' ? '2025-only' : 'dual-era'} upstream`,
  );
} finally {
  await target.close();
}
