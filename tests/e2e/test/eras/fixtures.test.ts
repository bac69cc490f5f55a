import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { defineEraCases, type EraCaseContext } from './era-cases.js';
import {
  type ClientEra,
  type ClientTarget,
  connectEra,
  type FixtureVariant,
  fixtureArgs,
  type HttpFixture,
  LEGACY,
  MODERN,
  startHttpFixture,
} from './era-clients.js';

// The era fixture, with no gateway in between: the v2 client pinned to 2026-07-28 and the v1 client
// against the v2 fixture (both eras, stdio and HTTP), and the v1 client against the v1 fixture. This
// checks the fixture and the shared cases that the matrix runs through mcpmux.

const root = mkdtempSync(join(tmpdir(), 'mcpmux-era-fixtures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows: { variant: FixtureVariant; client: ClientEra }[] = [
  { variant: { era: '2026', transport: 'stdio' }, client: '2026' },
  { variant: { era: '2026', transport: 'http' }, client: '2026' },
  { variant: { era: '2026', transport: 'stdio' }, client: '2025' },
  { variant: { era: '2026', transport: 'http' }, client: '2025' },
  { variant: { era: '2025', transport: 'stdio' }, client: '2025' },
  { variant: { era: '2025', transport: 'http' }, client: '2025' },
];

for (const { variant, client: clientEra } of rows) {
  describe(`${clientEra} client directly on the ${variant.era} fixture over ${variant.transport}`, () => {
    const label = `f${variant.era}${variant.transport}${clientEra}`;
    const events = join(root, `${label}.jsonl`);
    let fixture: HttpFixture | undefined;
    let context: EraCaseContext | undefined;

    beforeAll(async () => {
      let target: ClientTarget;
      if (variant.transport === 'http') {
        fixture = await startHttpFixture(variant.era, events, label);
        target = { kind: 'http', url: fixture.url };
      } else {
        target = { kind: 'stdio', command: process.execPath, args: fixtureArgs(variant, events, label) };
      }
      const version = clientEra === '2026' ? MODERN : LEGACY;
      context = {
        client: await connectEra(clientEra, target),
        clientVersion: version,
        prefix: '',
        label,
        events,
        upstreamVersions: [version],
      };
    });

    afterAll(async () => {
      await context?.client.close();
      fixture?.stop();
    });

    defineEraCases(() => context!);
  });
}
