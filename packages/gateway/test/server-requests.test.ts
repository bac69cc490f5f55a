import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Downstream, firstText, type Harness, waitFor } from './harness.js';

// Server->client requests (sampling, elicitation, roots) go to the session whose call caused them
// and to no other; where that session cannot be known the upstream gets an error (fail closed).

const ALL_CAPABILITIES = {
  capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
};

/** What one downstream client was asked by the gateway. */
interface Tally {
  asked: number;
  /** Requests whose text names another caller: a prompt delivered to the wrong client. */
  foreign: number;
}

/** Answers sampling, elicitation and roots as `id`, counting what arrives and what is not its own. */
function answerAs(d: Downstream, id: string): Tally {
  const tally: Tally = { asked: 0, foreign: 0 };
  const own = (text: string) => {
    tally.asked++;
    if (!text.startsWith(`from:${id}#`)) tally.foreign++;
  };
  d.client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const content = req.params.messages[0]?.content as { text?: string } | undefined;
    const text = content?.text ?? '';
    own(text);
    return { model: id, role: 'assistant', content: { type: 'text', text: `${id} answers ${text}` } };
  });
  d.client.setRequestHandler(ElicitRequestSchema, async (req) => {
    const text = String((req.params as { message?: unknown }).message);
    own(text);
    return { action: 'accept', content: { who: `${id} answers ${text}` } };
  });
  d.client.setRequestHandler(ListRootsRequestSchema, async () => {
    own('roots');
    return { roots: [{ uri: `file:///${id}`, name: id }] };
  });
  return tally;
}

interface Outcome {
  ok: boolean;
  answer?: string;
  content?: { who?: string };
  error?: string;
}

async function ask(d: Downstream, tool: 'ask' | 'elicit', caller: string, seq: number): Promise<Outcome> {
  const result = await d.client.callTool({ name: `srq_${tool}`, arguments: { caller, seq } });
  return JSON.parse(firstText(result)) as Outcome;
}

/** The answer text an outcome carries (sampling or elicitation). */
function answerOf(outcome: Outcome): string | undefined {
  return outcome.answer ?? outcome.content?.who;
}

/** Runs `count` calls of `tool` as `caller`, `concurrency` at a time; counts answers by kind. */
async function callMany(
  d: Downstream,
  tool: 'ask' | 'elicit',
  caller: string,
  count: number,
  concurrency: number,
): Promise<{ own: number; foreign: number; failedClosed: number; otherErrors: string[] }> {
  const counts = { own: 0, foreign: 0, failedClosed: 0, otherErrors: [] as string[] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const seq = next++;
      const outcome = await ask(d, tool, caller, seq);
      if (outcome.ok) {
        if (answerOf(outcome) === `${caller} answers from:${caller}#${seq}`) counts.own++;
        else counts.foreign++;
      } else if (outcome.error?.includes('cannot tell which client') === true) {
        counts.failedClosed++;
      } else {
        counts.otherErrors.push(outcome.error ?? 'no error text');
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

let h: Harness;
let alice: Downstream;
let bob: Downstream;
let nobody: Downstream;
let aliceTally: Tally;
let bobTally: Tally;
let nobodyTally: Tally;

beforeAll(async () => {
  h = await createHarness();
  await h.fixtureServer('srq', 'server-requests.mjs');
  await h.setUpWork(['srq'], ['alice', 'bob', 'carol']);
  await h.store.createClient({ id: 'nobody' });
  await h.gateway.start();
  // `nobody` has no grants at all but declares every capability: it must never be asked anything.
  nobody = await h.connect('nobody', ALL_CAPABILITIES);
  nobodyTally = answerAs(nobody, 'nobody');
  alice = await h.connect('alice', ALL_CAPABILITIES);
  aliceTally = answerAs(alice, 'alice');
  bob = await h.connect('bob', ALL_CAPABILITIES);
  bobTally = answerAs(bob, 'bob');
  expect(await alice.toolNames()).toEqual(['srq_ask', 'srq_elicit']);
  expect(await nobody.toolNames()).toEqual([]);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('server->client requests reach only the session whose call caused them', { timeout: 60_000 }, () => {
  it('gives each of two clients its own sampling answer on sequential calls', async () => {
    for (let seq = 0; seq < 20; seq++) {
      const caller = seq % 2 === 0 ? alice : bob;
      const id = seq % 2 === 0 ? 'alice' : 'bob';
      const outcome = await ask(caller, 'ask', id, seq);
      expect(outcome).toMatchObject({ ok: true, answer: `${id} answers from:${id}#${seq}` });
    }
    expect(aliceTally.foreign + bobTally.foreign).toBe(0);
    expect(nobodyTally.asked).toBe(0);
  });

  it('delivers none of 1,000 concurrent sampling requests of two clients to the wrong client', async () => {
    const before = { alice: aliceTally.asked, bob: bobTally.asked };
    const [a, b] = await Promise.all([
      callMany(alice, 'ask', 'alice', 500, 8),
      callMany(bob, 'ask', 'bob', 500, 8),
    ]);
    // Wrong deliveries, seen from both ends: prompts a client got that were not its own, and answers
    // a caller got from someone else.
    expect(aliceTally.foreign + bobTally.foreign).toBe(0);
    expect(a.foreign + b.foreign).toBe(0);
    expect(nobodyTally.asked).toBe(0);
    // Each request either reached its own caller or failed closed (ambiguous: both clients calling).
    expect(a.otherErrors.concat(b.otherErrors)).toEqual([]);
    expect(a.own + a.failedClosed).toBe(500);
    expect(b.own + b.failedClosed).toBe(500);
    expect(aliceTally.asked - before.alice).toBe(a.own);
    expect(bobTally.asked - before.bob).toBe(b.own);
    console.info(
      `sampling: ${a.own + b.own} of 1000 answered by their own caller, ${a.failedClosed + b.failedClosed} failed closed, 0 misdelivered`,
    );
  });

  it('relays elicitation to its own caller only, sequentially and concurrently', async () => {
    for (let seq = 0; seq < 10; seq++) {
      const id = seq % 2 === 0 ? 'alice' : 'bob';
      const outcome = await ask(seq % 2 === 0 ? alice : bob, 'elicit', id, seq);
      expect(outcome).toMatchObject({
        ok: true,
        action: 'accept',
        content: { who: `${id} answers from:${id}#${seq}` },
      });
    }
    const [a, b] = await Promise.all([
      callMany(alice, 'elicit', 'alice', 200, 8),
      callMany(bob, 'elicit', 'bob', 200, 8),
    ]);
    expect(aliceTally.foreign + bobTally.foreign).toBe(0);
    expect(a.foreign + b.foreign).toBe(0);
    expect(a.otherErrors.concat(b.otherErrors)).toEqual([]);
    expect(a.own + a.failedClosed + b.own + b.failedClosed).toBe(400);
    expect(nobodyTally.asked).toBe(0);
  });

  it('fails closed when the calling client cannot answer, instead of asking a capable bystander', async () => {
    const carol = await h.connect('carol');
    // The bystanders were active last.
    await nobody.toolNames();
    await alice.toolNames();
    const asked = aliceTally.asked + bobTally.asked + nobodyTally.asked;
    const outcome = await ask(carol, 'ask', 'carol', 0);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('no other client was asked');
    const elicited = await ask(carol, 'elicit', 'carol', 1);
    expect(elicited.ok).toBe(false);
    expect(aliceTally.asked + bobTally.asked + nobodyTally.asked).toBe(asked);
  });

  it('fails closed for sampling, elicitation and roots/list sent outside any call', async () => {
    const asked = aliceTally.asked + bobTally.asked + nobodyTally.asked;
    await nobody.toolNames();
    const logged = alice.messages.length;
    // The gateway forwards roots/list_changed upstream; the fixture then asks with no call in flight.
    await alice.client.sendRootsListChanged();
    const line = await waitFor(
      () =>
        alice.messages
          .slice(logged)
          .map((m) => String(m.data))
          .find((data) => data.startsWith('outcomes:')) ?? '',
      10_000,
      'the outcomes log line',
    );
    const outcomes = JSON.parse(line.slice('outcomes:'.length)) as {
      method: string;
      ok: boolean;
      error?: string;
    }[];
    expect(outcomes.map((o) => o.method)).toEqual([
      'sampling/createMessage',
      'elicitation/create',
      'roots/list',
    ]);
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      expect(o.error).toContain('cannot tell which client');
    }
    expect(aliceTally.asked + bobTally.asked + nobodyTally.asked).toBe(asked);
  });
});

describe('a call the client gave up on', { timeout: 60_000 }, () => {
  it('keeps its sampling request from reaching another client that is calling when it arrives', async () => {
    // An upstream of its own: the abandoned call counts as in flight on it for a call timeout.
    await h.fixtureServer('late', 'server-requests.mjs');
    await h.store.install('work', 'late');
    const dave = await h.connect('alice', ALL_CAPABILITIES);
    const daveTally = answerAs(dave, 'dave');
    const erin = await h.connect('bob', ALL_CAPABILITIES);
    const erinTally = answerAs(erin, 'erin');
    await waitFor(async () => (await dave.toolNames()).includes('late_ask'), 10_000, 'late_ask');
    await waitFor(async () => (await erin.toolNames()).includes('late_ask'), 10_000, 'late_ask');

    // dave's call asks for sampling after 400 ms, whether or not it was cancelled by then.
    const cancel = new AbortController();
    const abandoned = dave.client
      .callTool({ name: 'late_ask', arguments: { caller: 'dave', seq: 0, delayMs: 400 } }, undefined, {
        signal: cancel.signal,
      })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    cancel.abort('dave gave up');
    await abandoned;
    // erin's call is the only one in flight when dave's late sampling request arrives.
    const outcome = JSON.parse(
      firstText(
        await erin.client.callTool({
          name: 'late_ask',
          arguments: { caller: 'erin', seq: 0, delayMs: 800 },
        }),
      ),
    ) as Outcome;
    expect(erinTally.foreign).toBe(0);
    expect(daveTally.foreign).toBe(0);
    // erin's own request comes while dave's abandoned call may still run: it fails closed too.
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('cannot tell which client');
  });
});
