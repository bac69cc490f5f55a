import { APP_IDS } from '@mcpmux/server/home';
import { describe, expect, it } from 'vitest';
import { CONNECT_APPS } from './defaults.js';

describe('CONNECT_APPS', () => {
  it('lists the apps the server knows, in its order', () => {
    expect([...CONNECT_APPS]).toEqual([...APP_IDS]);
  });
});
