/**
 * The gateway's composite map keys, one owner for their syntax. Each key is a branded string, so a
 * key of one kind cannot be passed where another is expected, and only the constructors here build
 * them. Parts are joined with `/`: Space, server and client ids are slugs (`[a-z0-9-]`), so the
 * separator never occurs inside them; a resource URI, which may hold `/`, is always the last part.
 */

declare const brand: unique symbol;
type Branded<T extends string> = string & { readonly [brand]: T };

/** One (Space, server) pair: the slot of an upstream in the pool, a failure report. */
export type UpstreamKey = Branded<'UpstreamKey'>;
/** One upstream connection: (Space, server, hash of the resolved config). */
export type ConnectionKey = Branded<'ConnectionKey'>;
/** One upstream resource subscription: (Space, server, resource URI). */
export type SubscriptionKey = Branded<'SubscriptionKey'>;
/** One memoized view: (client, Space). */
export type ViewKey = Branded<'ViewKey'>;

const SEP = '/';

/** Splits `key` at its first `count` separators (the rest, separators included, is the last part). */
function split(key: string, count: number): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const at = key.indexOf(SEP, from);
    parts.push(key.slice(from, at));
    from = at + 1;
  }
  parts.push(key.slice(from));
  return parts;
}

/**
 * The key of the upstream of `serverId` in `spaceId`.
 * @example upstreamKey('work', 'github') // 'work/github'
 */
export function upstreamKey(spaceId: string, serverId: string): UpstreamKey {
  return `${spaceId}${SEP}${serverId}` as UpstreamKey;
}

/** The Space and server of an {@link UpstreamKey}. */
export function parseUpstreamKey(key: UpstreamKey): { spaceId: string; serverId: string } {
  const [spaceId, serverId] = split(key, 1) as [string, string];
  return { spaceId, serverId };
}

/**
 * The key of one connection: the upstream's key and the hash of its resolved config (which covers
 * resolved secrets: the key is never shown).
 * @example connectionKey('work', 'github', 'ab12…') // 'work/github/ab12…'
 */
export function connectionKey(spaceId: string, serverId: string, configHash: string): ConnectionKey {
  return `${upstreamKey(spaceId, serverId)}${SEP}${configHash}` as ConnectionKey;
}

/**
 * The key of a subscription to `uri` on the upstream of `serverId` in `spaceId`.
 * @example subscriptionKey('work', 'files', 'file:///a/b') // 'work/files/file:///a/b'
 */
export function subscriptionKey(spaceId: string, serverId: string, uri: string): SubscriptionKey {
  return `${upstreamKey(spaceId, serverId)}${SEP}${uri}` as SubscriptionKey;
}

/** The Space, server and URI of a {@link SubscriptionKey}. */
export function parseSubscriptionKey(key: SubscriptionKey): {
  spaceId: string;
  serverId: string;
  uri: string;
} {
  const [spaceId, serverId, uri] = split(key, 2) as [string, string, string];
  return { spaceId, serverId, uri };
}

/**
 * The key of the view of `clientId` in `spaceId`.
 * @example viewKey('cursor', 'work') // 'cursor/work'
 */
export function viewKey(clientId: string, spaceId: string): ViewKey {
  return `${clientId}${SEP}${spaceId}` as ViewKey;
}

/** The client and Space of a {@link ViewKey}. */
export function parseViewKey(key: ViewKey): { clientId: string; spaceId: string } {
  const [clientId, spaceId] = split(key, 1) as [string, string];
  return { clientId, spaceId };
}
