import { describe, expect, it } from 'vitest';
import { isSqliteBusy, retrySync } from './index.js';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('retrySync', () => {
  it('retries a busy operation until it succeeds', () => {
    let calls = 0;
    const value = retrySync(
      () => {
        calls++;
        if (calls < 3) throw busy();
        return 'ok';
      },
      { timeoutMs: 1000, retryIf: isSqliteBusy },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
  });

  it('rethrows other errors at once and busy errors after the timeout', () => {
    let calls = 0;
    expect(() =>
      retrySync(
        () => {
          calls++;
          throw new Error('boom');
        },
        { timeoutMs: 1000, retryIf: isSqliteBusy },
      ),
    ).toThrow('boom');
    expect(calls).toBe(1);
    expect(() =>
      retrySync(
        () => {
          throw busy();
        },
        { timeoutMs: 20, retryIf: isSqliteBusy },
      ),
    ).toThrow('database is locked');
    expect(isSqliteBusy(new Error('x'))).toBe(false);
  });
});
