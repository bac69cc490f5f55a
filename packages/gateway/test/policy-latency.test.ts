import { type ChangeKind, ChangeKindSchema, type SpaceStore, type StoreChange } from '@mcpmux/space-store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayLogger } from '../src/index.js';
import { createHarness, firstText, type Harness, rpcErrorOf, waitFor } from './harness.js';

// A policy change takes effect at once, whatever the upstreams are doing: nothing on the way from a
// store write to a denied call waits for an upstream (here one that never finishes connecting).

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Two Spaces: `work` (active) with `wr`, and `next` with `nx` and `stuck`, which never initializes. */
async function twoSpaces(): Promise<Harness> {
  // Long enough that `stuck` is still connecting when each test ends.
  h = await createHarness({ connectTimeoutMs: 120_000 });
  await h.store.createSpace({ id: 'work' });
  await h.store.createSpace({ id: 'next' });
  await h.namedServer('wr', { tools: ['read', 'write'] });
  await h.namedServer('nx', { tools: ['read', 'write'] });
  await h.fixtureServer('stuck', 'never-initializes.mjs');
  await h.store.install('work', 'wr');
  await h.store.install('next', 'nx');
  await h.store.install('next', 'stuck');
  await h.store.setActiveSpace('work');
  return h;
}

function stateOf(gateway: Gateway, spaceId: string, serverId: string): string | undefined {
  return gateway.status().upstreams.find((u) => u.spaceId === spaceId && u.serverId === serverId)?.state;
}

describe('policy changes while an upstream hangs on start', { timeout: 30_000 }, () => {
  it('denies a tool ungranted in the old Space right after a switch to a Space whose upstream hangs', async () => {
    await twoSpaces();
    await h.store.createClient({ id: 'pin', pinnedSpaceId: 'work' });
    await h.store.grant('pin', 'work', 'all');
    await h.gateway.start();
    const pin = await h.connect('pin');
    expect(await pin.toolNames()).toEqual(['wr_read', 'wr_write']);
    expect(firstText(await pin.client.callTool({ name: 'wr_read' }))).toBe('wr:read');

    await h.store.setActiveSpace('next');
    await h.store.ungrant('pin', 'work', 'all');
    // The write is observed once the list changes (a generous cap, no timing assertion).
    await waitFor(async () => (await pin.toolNames()).length === 0, 10_000, 'the list without wr tools');
    const err = await rpcErrorOf(pin.client.callTool({ name: 'wr_read' }));
    expect(err.message).toContain('Unknown tool: wr_read');
    expect(stateOf(h.gateway, 'next', 'stuck')).toBe('connecting');
  });

  it('moves a follow-active session at once and denies a tool ungranted in the new Space', async () => {
    await twoSpaces();
    await h.store.createClient({ id: 'follower' });
    await h.store.grant('follower', 'work', 'all');
    await h.store.grant('follower', 'next', 'all');
    await h.gateway.start();
    const follower = await h.connect('follower');
    expect(await follower.toolNames()).toEqual(['wr_read', 'wr_write']);

    await h.store.setActiveSpace('next');
    await waitFor(() => h.gateway.status().sessionsBySpace.next === 1, 10_000, 'the session in next');
    await waitFor(() => stateOf(h.gateway, 'next', 'nx') === 'ready', 10_000, 'nx ready');
    expect(firstText(await follower.client.callTool({ name: 'nx_read' }))).toBe('nx:read');

    // An in-process write reaches the gateway before it returns: the very next call is denied.
    await h.store.ungrant('follower', 'next', 'all');
    const err = await rpcErrorOf(follower.client.callTool({ name: 'nx_read' }));
    expect(err.message).toContain('Unknown tool: nx_read');
    expect(stateOf(h.gateway, 'next', 'stuck')).toBe('connecting');
  });
});

/**
 * The harness's store as another gateway sees it: while `failing` is set, every change is reported
 * with all kinds (as when a watcher falls behind) and reading the active Space fails.
 */
function flakyStore(store: SpaceStore): { store: SpaceStore; fail(on: boolean): void } {
  let failing = false;
  const allKinds = new Set<ChangeKind>(ChangeKindSchema.options);
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'getActiveSpace' && failing) {
        return () => Promise.reject(new Error('database is locked'));
      }
      if (property === 'watch') {
        return (listener: (change: StoreChange) => void, options?: { intervalMs?: number }) =>
          target.watch(
            (change) => listener(failing ? { revision: change.revision, kinds: allKinds } : change),
            options,
          );
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: wrapped,
    fail: (on) => {
      failing = on;
    },
  };
}

describe('a failing step of a store change', { timeout: 30_000 }, () => {
  it('does not keep the views from being dropped', async () => {
    h = await createHarness();
    await h.store.createSpace({ id: 'work' });
    await h.namedServer('wr', { tools: ['read'] });
    await h.store.install('work', 'wr');
    await h.store.createClient({ id: 'c' });
    await h.store.grant('c', 'work', 'all');
    const errors: string[] = [];
    const logger: GatewayLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (_obj, msg) => errors.push(String(msg)),
    };
    const flaky = flakyStore(h.store);
    const gateway = createGateway({
      store: flaky.store,
      vault: h.vault,
      env: { PATH: process.env.PATH },
      logger,
      watchIntervalMs: 20,
      listChangedDebounceMs: 10,
    });
    const client = new Client({ name: 'test-c', version: '1.0.0' });
    try {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await gateway.connect(serverSide, { clientId: 'c' });
      await client.connect(clientSide);
      const names = async () => (await client.listTools()).tools.map((t) => t.name);
      expect(await names()).toEqual(['wr_read']);

      flaky.fail(true);
      await h.store.ungrant('c', 'work', 'all');
      await waitFor(async () => (await names()).length === 0, 10_000, 'the list without wr_read');
      const err = await rpcErrorOf(client.callTool({ name: 'wr_read' }));
      expect(err.message).toContain('Unknown tool: wr_read');
      expect(errors).toContain('gateway: could not read the active Space');
    } finally {
      flaky.fail(false);
      await client.close();
      await gateway.close();
    }
  });
});
