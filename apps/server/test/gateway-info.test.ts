import { describe, expect, it } from 'vitest';
import { parseGatewayInfo } from '../src/gateway-info.js';
import { GatewayInfoSchema } from '../src/gateway-info-schema.js';

const GOOD = {
  pid: 4242,
  url: 'http://127.0.0.1:45818/mcp',
  socket: '/home/me/.mcpmux/gateway.sock',
  version: '0.1.0',
  startedAt: '2026-12-03T07:10:00.123Z',
  home: '/home/me/.mcpmux',
};

const SAMPLES: unknown[] = [
  GOOD,
  { ...GOOD, extra: 'newer gateways may add fields' },
  { ...GOOD, startedAt: new Date(0).toISOString() },
  { ...GOOD, startedAt: '2026-12-03T07:10:00+01:00' },
  { ...GOOD, startedAt: '2026-12-03T07:10:00.5-05:30' },
  { ...GOOD, startedAt: '2026-12-03T07:10Z' },
  { ...GOOD, startedAt: '2026-12-03 07:10:00Z' },
  { ...GOOD, startedAt: '2026-12-03T07:10:00' },
  { ...GOOD, startedAt: '2026-13-03T07:10:00Z' },
  { ...GOOD, startedAt: '2026-12-03T24:10:00Z' },
  { ...GOOD, startedAt: 'yesterday' },
  { ...GOOD, startedAt: 1_700_000_000 },
  { ...GOOD, version: '' },
  { ...GOOD, url: '' },
  { ...GOOD, socket: '' },
  { ...GOOD, home: '' },
  { ...GOOD, pid: 0 },
  { ...GOOD, pid: -3 },
  { ...GOOD, pid: 1.5 },
  { ...GOOD, pid: '4242' },
  { ...GOOD, pid: Number.MAX_SAFE_INTEGER + 2 },
  { ...GOOD, pid: Number.NaN },
  { ...GOOD, home: undefined },
  { ...GOOD, url: 7 },
  {},
  [],
  null,
  'gateway',
  42,
];

describe('gateway.json without zod', () => {
  it('parseGatewayInfo accepts exactly what GatewayInfoSchema accepts, with the same data', () => {
    for (const [i, sample] of SAMPLES.entries()) {
      const schema = GatewayInfoSchema.safeParse(sample);
      expect(parseGatewayInfo(sample), `SAMPLES[${i}]`).toEqual(schema.success ? schema.data : undefined);
    }
  });
});
