import type { ChangeKind, StoreChange } from '@mcpmux/space-store';
import { describe, expect, it } from 'vitest';
import { planSessions, planStoreChange, type SessionFacts } from './change-plan.js';

function change(kinds: ChangeKind[], spaceIds?: string[]): StoreChange {
  return { revision: 1, kinds: new Set(kinds), ...(spaceIds === undefined ? {} : { spaceIds }) };
}

describe('planStoreChange', () => {
  it('ignores a change of the discovery cache alone', () => {
    expect(planStoreChange(change(['discovered'], ['work']), ['work'])).toBeUndefined();
  });

  it('drops only the named Spaces’ views for a grant change and reads nothing', () => {
    expect(planStoreChange(change(['grant'], ['work']), ['work', 'home'])).toEqual({
      invalidate: ['work'],
      syncSpaces: [],
      readActiveSpace: false,
      readClients: false,
    });
  });

  it('syncs the named known Spaces for an installation change', () => {
    const plan = planStoreChange(change(['installation'], ['work', 'unknown']), ['work', 'home']);
    expect(plan?.invalidate).toEqual(['work', 'unknown']);
    expect(plan?.syncSpaces).toEqual(['work']);
  });

  it('syncs every known Space for a server definition change and drops every view', () => {
    const plan = planStoreChange(change(['server']), ['', 'work', 'home']);
    expect(plan?.invalidate).toBe('all');
    expect(plan?.syncSpaces).toEqual(['work', 'home']);
  });

  it('reads the active Space after a switch and the clients after a client change', () => {
    expect(planStoreChange(change(['active-space'], ['home']), ['work'])).toMatchObject({
      invalidate: 'all',
      readActiveSpace: true,
      readClients: false,
    });
    expect(planStoreChange(change(['client', 'grant']), ['work'])).toMatchObject({
      invalidate: 'all',
      readActiveSpace: false,
      readClients: true,
    });
  });
});

const session = (id: string, clientId: string, spaceId: string, pinnedSpaceId?: string): SessionFacts => ({
  id,
  clientId,
  spaceId,
  mode: pinnedSpaceId === undefined ? 'follow-active' : 'pinned',
  pinnedSpaceId,
});

describe('planSessions', () => {
  it('moves follow-active sessions to the active Space and leaves pinned ones', () => {
    const plan = planSessions(
      [session('s1', 'a', 'work'), session('s2', 'b', 'work', 'work')],
      'home',
      undefined,
    );
    expect(plan).toEqual({ close: [], modes: [], moves: [{ sessionId: 's1', spaceId: 'home' }] });
  });

  it('closes sessions of deleted clients and re-pins changed ones', () => {
    const clients = new Map([
      ['a', undefined],
      ['b', { mode: 'pinned' as const, pinnedSpaceId: 'home' }],
    ]);
    const plan = planSessions([session('s1', 'a', 'work'), session('s2', 'b', 'work')], 'work', clients);
    expect(plan.close).toEqual(['s1']);
    expect(plan.modes).toEqual([{ sessionId: 's2', mode: 'pinned', pinnedSpaceId: 'home' }]);
    expect(plan.moves).toEqual([{ sessionId: 's2', spaceId: 'home' }]);
  });

  it('keeps a client that could not be read as it was, and moves sessions to no Space when none is active', () => {
    const plan = planSessions([session('s1', 'a', 'work')], undefined, new Map());
    expect(plan).toEqual({ close: [], modes: [], moves: [{ sessionId: 's1', spaceId: '' }] });
  });
});
