// Live updates: one EventSource on /api/v1/events. Each event bumps the topics it concerns; pages
// that read a topic refetch it, so a change made with the CLI shows without a reload.

/** What a page's data depends on. */
export type Topic =
  | 'spaces'
  | 'status'
  | 'catalog'
  | 'servers'
  | 'featuresets'
  | 'features'
  | 'preview'
  | 'clients'
  | 'grants'
  | 'audit';

const ALL: Topic[] = [
  'spaces',
  'status',
  'catalog',
  'servers',
  'featuresets',
  'features',
  'preview',
  'clients',
  'grants',
  'audit',
];

/** The topics each store change kind concerns (`StoreChange` kinds of `@mcpmux/space-store`). */
const BY_KIND: Record<string, Topic[]> = {
  space: ['spaces', 'status', 'featuresets', 'clients', 'grants'],
  'active-space': ['spaces', 'status', 'servers', 'preview'],
  server: ['servers', 'status', 'spaces', 'features', 'featuresets', 'preview'],
  installation: ['servers', 'spaces', 'status', 'featuresets', 'features', 'preview'],
  featureset: ['featuresets', 'preview', 'grants'],
  client: ['clients', 'spaces', 'preview', 'grants'],
  grant: ['grants', 'clients', 'preview'],
  discovered: ['servers', 'features', 'featuresets', 'preview', 'status'],
  secret: ['servers'],
};

type Listener = (topics: ReadonlySet<Topic>) => void;
const listeners = new Set<Listener>();

/** Tells every subscriber that these topics changed. */
export function bump(...topics: Topic[]): void {
  const set = new Set(topics);
  for (const listener of listeners) listener(set);
}

/** Subscribes to topic changes. Returns an unsubscribe. */
export function onTopics(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function parse(data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The topics of one `change` event (its `kind`, or `kinds`; unknown kinds concern everything). */
export function topicsOfChange(data: Record<string, unknown>): Topic[] {
  const kinds = Array.isArray(data.kinds) ? data.kinds : [data.kind];
  const topics = new Set<Topic>();
  for (const kind of kinds) {
    for (const t of typeof kind === 'string' && kind in BY_KIND ? BY_KIND[kind]! : ALL) topics.add(t);
  }
  return [...topics];
}

let source: EventSource | undefined;

/** Opens the event stream (once). EventSource reconnects by itself after a drop. */
export function startLive(): void {
  if (source !== undefined) return;
  source = new EventSource('/api/v1/events');
  source.addEventListener('change', (e) => bump(...topicsOfChange(parse((e as MessageEvent<string>).data))));
  source.addEventListener('upstream', () => bump('status', 'servers', 'features', 'featuresets', 'preview'));
  source.addEventListener('call', () => bump('status', 'audit'));
  source.addEventListener('session', () => bump('status', 'clients'));
  // After a reconnect, anything may have changed while the stream was down.
  source.addEventListener('open', () => bump(...ALL));
}

/** Closes the event stream (on logout or an expired session). */
export function stopLive(): void {
  source?.close();
  source = undefined;
}
