import { describe, expect, it } from 'vitest';
import { SessionState } from './session-state.js';

const subscribe = (uri: string) => ({ jsonrpc: '2.0', method: 'resources/subscribe', params: { uri } });
const unsubscribe = (uri: string) => ({ jsonrpc: '2.0', method: 'resources/unsubscribe', params: { uri } });
const setLevel = (level: string) => ({ jsonrpc: '2.0', method: 'logging/setLevel', params: { level } });

describe('SessionState', () => {
  it('replays the last accepted level, then each subscription the gateway answered with a result', () => {
    const state = new SessionState();
    state.onAppRequest('n:1', subscribe('a://one'));
    state.onAppRequest('n:2', subscribe('a://refused'));
    state.onAppRequest('n:3', setLevel('info'));
    state.onAppRequest('n:4', setLevel('error'));
    state.onAnswer('n:1', true);
    state.onAnswer('n:2', false);
    state.onAnswer('n:3', true);
    state.onAnswer('n:4', true);
    expect(state.replay()).toEqual([
      { method: 'logging/setLevel', params: { level: 'error' } },
      { method: 'resources/subscribe', params: { uri: 'a://one' } },
    ]);
  });

  it('forgets an unsubscribed uri, a pending subscribe to it, and requests lost with the connection', () => {
    const state = new SessionState();
    state.onAppRequest('n:1', subscribe('a://one'));
    state.onAnswer('n:1', true);
    state.onAppRequest(undefined, unsubscribe('a://one'));
    state.onAppRequest('n:2', subscribe('a://two'));
    state.onAppRequest('n:3', unsubscribe('a://two'));
    state.onAnswer('n:2', true);
    state.onAppRequest('n:4', setLevel('debug'));
    state.onLost();
    expect(state.awaits('n:4')).toBe(false);
    state.onAnswer('n:4', true);
    expect(state.replay()).toEqual([]);
  });
});
