import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, metricsAccess } from './metrics-access.js';

describe('metricsAccess', () => {
  it('allows a loopback peer on a loopback bind', () => {
    for (const remoteAddress of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) {
      expect(metricsAccess({ bindLoopback: true, remoteAddress })).toEqual({ allowed: true });
    }
  });

  it('refuses a non-loopback peer with a message saying metrics are admin-only', () => {
    for (const remoteAddress of ['192.168.1.20', '10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', undefined]) {
      const access = metricsAccess({ bindLoopback: true, remoteAddress });
      expect(access.allowed).toBe(false);
      if (!access.allowed) expect(access.message).toMatch(/admin-only/);
    }
  });

  it('refuses even a loopback peer when the server is bound beyond loopback', () => {
    expect(metricsAccess({ bindLoopback: false, remoteAddress: '127.0.0.1' }).allowed).toBe(false);
  });

  it('does not take a host name for a loopback address', () => {
    expect(isLoopbackAddress('localhost')).toBe(false);
  });
});
