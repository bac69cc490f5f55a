import { describe, expect, it } from 'vitest';
import {
  connectionKey,
  parseSubscriptionKey,
  parseUpstreamKey,
  parseViewKey,
  subscriptionKey,
  upstreamKey,
  viewKey,
} from './keys.js';

describe('composite keys', () => {
  it('gives back the parts of each key, a URI with slashes included', () => {
    expect(parseUpstreamKey(upstreamKey('work', 'github'))).toEqual({ spaceId: 'work', serverId: 'github' });
    expect(parseViewKey(viewKey('cursor', 'work'))).toEqual({ clientId: 'cursor', spaceId: 'work' });
    expect(parseSubscriptionKey(subscriptionKey('work', 'files', 'file:///a/b?c=d/e'))).toEqual({
      spaceId: 'work',
      serverId: 'files',
      uri: 'file:///a/b?c=d/e',
    });
  });

  it('starts a connection key with its upstream key', () => {
    expect(connectionKey('work', 'echo', 'ab12')).toBe(`${upstreamKey('work', 'echo')}/ab12`);
  });

  it('tells apart keys whose parts differ only in where they split', () => {
    expect(upstreamKey('a-b', 'c')).not.toBe(upstreamKey('a', 'b-c'));
    expect(subscriptionKey('work', 'files', 'x')).not.toBe(subscriptionKey('work', 'file', 's/x'));
  });
});
