import { expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import type { EraClient } from './era-clients.js';
import { readEvents } from './era-clients.js';

/** What the shared cases need from the describe block that runs them. */
export interface EraCaseContext {
  /** The connected client (made in the block's `beforeAll`). */
  client: EraClient;
  /** The protocol version the client's connection must have negotiated. */
  clientVersion: string;
  /** Name prefix of the fixture's tools and prompts as the client sees them (`''` direct, `u26http_` through mcpmux). */
  prefix: string;
  /** The fixture's `--label` (its resource URIs are `era://<label>/...`). */
  label: string;
  /** The fixture's `--events` file. */
  events: string;
  /** Protocol versions the fixture may have served this client's requests in (the upstream hop). */
  upstreamVersions: string[];
}

let added = 0;

/**
 * Defines one `it` per feature of the era matrix (list, call, prompt, resource read, completion,
 * progress, cancellation, list_changed, the era of each hop) for a client and a fixture upstream.
 *
 * @param context read when each case runs (the block's `beforeAll` fills it in).
 */
export function defineEraCases(context: () => EraCaseContext): void {
  it('negotiates the expected protocol version with the client', () => {
    const { client, clientVersion } = context();
    expect(client.protocolVersion()).toBe(clientVersion);
  });

  it('lists the tools', async () => {
    const { client, prefix } = context();
    expect(await client.toolNames()).toEqual(
      expect.arrayContaining(['echo', 'slow', 'cancelled_count', 'change_tools'].map((n) => `${prefix}${n}`)),
    );
  });

  it('calls a tool, and the upstream serves it in the expected era', async () => {
    const { client, prefix, events, upstreamVersions } = context();
    expect(await client.callText(`${prefix}echo`, { text: 'hi' })).toBe('echo:hi');
    const last = readEvents(events)
      .filter((e) => e.event === 'request')
      .at(-1);
    expect(last?.method).toBe('tools/call');
    expect(upstreamVersions).toContain(last?.event === 'request' ? last.protocolVersion : undefined);
  });

  it('gets a prompt with an argument', async () => {
    const { client, prefix } = context();
    expect(await client.promptText(`${prefix}greet`, { name: 'bob' })).toBe('Hello, bob!');
  });

  it('reads a static resource and a templated one', async () => {
    const { client, label } = context();
    expect(await client.readText(`era://${label}/static`)).toBe('static resource');
    expect(await client.readText(`era://${label}/items/two`)).toBe('item:two');
  });

  it('completes a prompt argument and a template variable', async () => {
    const { client, prefix, label } = context();
    expect(
      await client.complete({ type: 'ref/prompt', name: `${prefix}greet` }, { name: 'name', value: 'al' }),
    ).toEqual(['alice', 'albert']);
    expect(
      await client.complete(
        { type: 'ref/resource', uri: `era://${label}/items/{id}` },
        { name: 'id', value: 't' },
      ),
    ).toEqual(['two', 'three']);
  });

  it('relays progress notifications to the caller', async () => {
    const { client, prefix } = context();
    // Observed while the call is parked: the SDK clients run progress handlers a microtask late, so
    // progress sent just before a response in the same read can miss a call that already settled.
    const call = client.startCall(`${prefix}slow`, {});
    await waitFor(() => call.progress.length >= 2, { what: 'two progress notifications' });
    expect(call.progress).toEqual([1, 2]);
    call.cancel();
    await call.outcome;
  });

  it('cancelling a call reaches the upstream', async () => {
    const { client, prefix, events } = context();
    const cancelledSoFar = () => readEvents(events).filter((e) => e.event === 'cancelled').length;
    const before = cancelledSoFar();
    const call = client.startCall(`${prefix}slow`, {});
    // Both progress notifications arrived: the upstream is now parked in the call.
    await waitFor(() => call.progress.length >= 2, { what: 'the slow call to report progress' });
    call.cancel();
    expect(await call.outcome).not.toMatch(/^(finished|cancelled)$/);
    await waitFor(() => cancelledSoFar() > before, { what: 'the upstream to observe the cancellation' });
  });

  it('tells the client when the tool list changes', async () => {
    const { client, prefix } = context();
    const name = `added_${client.era}_${++added}`;
    expect(await client.toolNames()).not.toContain(`${prefix}${name}`);
    const before = client.toolsChanged();
    expect(await client.callText(`${prefix}change_tools`, { name })).toBe(`added:${name}`);
    await waitFor(() => client.toolsChanged() > before, { what: 'notifications/tools/list_changed' });
    expect(await client.toolNames()).toContain(`${prefix}${name}`);
    expect(await client.callText(`${prefix}${name}`)).toBe(`added tool ${name}`);
  });
}
