import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, firstText, type Harness, waitFor } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('per-Space configuration changed through the store', { timeout: 30_000 }, () => {
  it('reconnects a running upstream with the new env when its installation overrides change', async () => {
    const harness = await createHarness();
    h = harness;
    await harness.fixtureServer('echo', 'env-echo.mjs', { FIXTURE_NAME: 'as-defined' });
    await harness.setUpWork(['echo'], ['app']);
    await harness.gateway.start();
    const app = await harness.connect('app');
    const whoami = async () => firstText(await app.client.callTool({ name: 'echo_whoami' }));
    const echoUpstreams = () => harness.gateway.status().upstreams.filter((u) => u.serverId === 'echo');
    expect(await whoami()).toBe('as-defined');
    const before = echoUpstreams();
    expect(before).toHaveLength(1);
    const oldPid = before[0]?.pid;
    expect(oldPid).toBeGreaterThan(0);

    await harness.store.updateInstallation('work', 'echo', {
      overrides: { env: { FIXTURE_NAME: 'overridden' } },
    });
    // The gateway hears the change through its watcher and syncs the Space's upstreams.
    await waitFor(() => !echoUpstreams().some((u) => u.pid === oldPid), 10_000, 'the old upstream closed');
    expect(await whoami()).toBe('overridden');
    const after = echoUpstreams();
    expect(after).toHaveLength(1);
    expect(after[0]?.pid).not.toBe(oldPid);

    // Removing the override goes back to the definition's env.
    await harness.store.updateInstallation('work', 'echo', { overrides: { env: { FIXTURE_NAME: null } } });
    const overriddenPid = after[0]?.pid;
    await waitFor(
      () => !echoUpstreams().some((u) => u.pid === overriddenPid),
      10_000,
      'the overridden upstream closed',
    );
    expect(await whoami()).toBe('as-defined');
  });
});
