import { describe, expect, it } from 'vitest';
import { SerialRuns } from './serial-runs.js';

describe('serial runs per key', () => {
  it('runs one more round for a key asked for during its round, never two at once', async () => {
    let active = 0;
    let most = 0;
    const rounds: string[] = [];
    let release: () => void = () => undefined;
    const runs = new SerialRuns<string>({
      work: async (key) => {
        active++;
        most = Math.max(most, active);
        rounds.push(key);
        if (rounds.length === 1) await new Promise<void>((resolve) => (release = resolve));
        active--;
      },
      onError: () => undefined,
      stopped: () => false,
    });
    runs.request('a');
    runs.request('a');
    runs.request('a');
    release();
    await runs.settled();
    await runs.settled();
    expect(rounds).toEqual(['a', 'a']);
    expect(most).toBe(1);
  });

  it('keeps going after a failed round and starts nothing once stopped', async () => {
    let stopped = false;
    const errors: string[] = [];
    const runs = new SerialRuns<string>({
      work: async (key) => {
        throw new Error(`boom ${key}`);
      },
      onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
      stopped: () => stopped,
    });
    runs.request('a');
    await runs.settled();
    stopped = true;
    runs.request('b');
    await runs.settled();
    expect(errors).toEqual(['a: boom a']);
    expect(runs.wantedKeys()).toEqual(['b']);
  });
});
