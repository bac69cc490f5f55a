import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useApi } from '../hooks';
import { bump } from '../live';
import { href, navigate } from '../router';
import { SpacePicker, useViewedSpace } from '../space-picker';
import type {
  Client,
  DiscoveredFeature,
  FeatureKind,
  FeatureSet,
  FeatureSetKind,
  Member,
  Preview,
  PreviewEntry,
  Selector,
  Space,
} from '../types';
import {
  Dialog,
  DialogActions,
  ErrorText,
  Field,
  Loaded,
  NameIdFields,
  TableHead,
  useAction,
  useNamedId,
} from '../ui';

const KIND_TITLES: Record<FeatureSetKind, { title: string; about: string }> = {
  all: { title: 'All', about: 'Every tool, prompt and resource of every server in the Space.' },
  default: { title: 'Default', about: 'Granted to every client in the Space automatically.' },
  'server-all': { title: 'Server — All', about: 'Everything of one server, created when it first connects.' },
  custom: {
    title: 'Custom',
    about: 'Your own bundles: include and exclude features, other sets, globs or hints.',
  },
};
const KINDS: FeatureSetKind[] = ['all', 'default', 'server-all', 'custom'];

/** A member's selector in words. */
export function describeSelector(s: Selector, sets: FeatureSet[] = []): string {
  switch (s.type) {
    case 'feature':
      return `${s.kind} ${s.server}/${s.name}`;
    case 'server':
      return `every ${s.kind ?? 'feature'} of ${s.server}`;
    case 'featureSet': {
      const set = sets.find((x) => x.id === s.id);
      return `FeatureSet ${set?.name ?? s.id}`;
    }
    case 'annotation': {
      const parts: string[] = [];
      if (s.readOnly !== undefined) parts.push(s.readOnly ? 'read-only' : 'not read-only');
      if (s.destructive !== undefined) parts.push(s.destructive ? 'destructive' : 'not destructive');
      return `features hinted ${parts.length === 0 ? 'with any annotation' : parts.join(' and ')}`;
    }
  }
}

const setName = (sets: FeatureSet[], id: string) => sets.find((s) => s.id === id)?.name ?? id;

/** The explain trail of a preview entry, in words: which grant and set included it, which exclude removed it. */
function describeTrail(entry: PreviewEntry, sets: FeatureSet[]): string {
  const path = (p: string[]) => p.map((id) => setName(sets, id)).join(' › ');
  const inc = (entry.includedBy ?? []).map(path);
  const exc = (entry.excludedBy ?? []).map(path);
  if (entry.allowed) return `Included by ${inc.join('; ') || 'a grant'}`;
  if (exc.length > 0) {
    return `Excluded by ${exc.join('; ')}${inc.length > 0 ? ` — exclude wins over the include by ${inc.join('; ')}` : ''}`;
  }
  return 'Not included by any granted FeatureSet';
}

/** What a chosen client gets in a Space, with the reason for each exclusion. */
function PreviewPanel(props: { space: Space; client: string | null; page: string[]; sets: FeatureSet[] }) {
  const clients = useApi<Client[]>('/api/v1/clients', ['clients']);
  const preview = useApi<Preview>(
    props.client === null
      ? null
      : `/api/v1/spaces/${seg(props.space.id)}/clients/${seg(props.client)}/preview`,
    ['preview', 'featuresets', 'grants', 'features'],
  );
  const rows = (kind: string, list: PreviewEntry[]) =>
    list.map((e) => (
      <tr key={`${kind}/${e.name}`} class={e.allowed ? undefined : 'denied'}>
        <td>{kind}</td>
        <th scope="row">{e.exposedName ?? e.name}</th>
        <td>{e.allowed ? <span class="badge good">Allowed</span> : <span class="badge bad">Hidden</span>}</td>
        <td class="wrap">{describeTrail(e, props.sets)}</td>
      </tr>
    ));
  return (
    <section aria-labelledby="preview" class="preview">
      <h2 id="preview">Preview: what a client gets in {props.space.name}</h2>
      <Field label="Preview client" class="picker">
        <select
          value={props.client ?? ''}
          onChange={(e) =>
            navigate(
              href(...props.page, { space: props.space.id, client: e.currentTarget.value || undefined }),
            )
          }
        >
          <option value="">(choose a client)</option>
          {(clients.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.id})
            </option>
          ))}
        </select>
      </Field>
      {props.client === null ? null : (
        <Loaded data={preview.data} error={preview.error} what="the preview">
          {(p) => {
            const allowed = [...p.tools, ...p.prompts, ...p.resources].filter((e) => e.allowed).length;
            const total = p.tools.length + p.prompts.length + p.resources.length;
            return (
              <>
                <p role="status">
                  {props.client} gets {allowed} of {total} features in {props.space.name}.
                </p>
                <table aria-label={`Preview for ${props.client}`}>
                  <TableHead columns={['Kind', 'Feature', 'Result', 'Why']} />
                  <tbody>
                    {rows('tool', p.tools)}
                    {rows('prompt', p.prompts)}
                    {rows('resource', p.resources)}
                  </tbody>
                </table>
              </>
            );
          }}
        </Loaded>
      )}
    </section>
  );
}

function CreateSetDialog(props: { space: Space; onClose: () => void }) {
  const named = useNamedId();
  const [description, setDescription] = useState('');
  const effectiveId = named.id;
  const name = named.name;
  const action = useAction();
  return (
    <Dialog title="Create FeatureSet" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(() =>
              api.post(`/api/v1/spaces/${seg(props.space.id)}/featuresets`, {
                id: effectiveId,
                name: name.trim(),
                ...(description.trim() === '' ? {} : { description: description.trim() }),
              }),
            )
            .then((ok) => {
              if (ok) {
                bump('featuresets');
                props.onClose();
                navigate(href('featuresets', effectiveId, { space: props.space.id }));
              }
            });
        }}
      >
        <NameIdFields named={named} />
        <Field label="Description">
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        <DialogActions submit="Create FeatureSet" action={action} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

/** FeatureSets: the four kinds in a Space, create a custom set, preview a client. */
export function FeatureSetsPage(props: { space: string | null; client: string | null }) {
  const { spaces, space } = useViewedSpace(props.space);
  const sets = useApi<FeatureSet[]>(
    space === undefined ? null : `/api/v1/spaces/${seg(space.id)}/featuresets`,
    ['featuresets'],
  );
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div class="page-head">
        <h1>FeatureSets</h1>
        <SpacePicker
          page={['featuresets']}
          spaces={spaces}
          value={space?.id}
          keep={{ client: props.client ?? undefined }}
        />
        <button
          type="button"
          class="primary"
          disabled={space === undefined}
          onClick={() => setCreating(true)}
        >
          Create FeatureSet
        </button>
      </div>
      <p class="muted">
        A client sees only what its granted FeatureSets include. Exclude rules always win over include rules.
      </p>
      {space === undefined ? null : (
        <Loaded data={sets.data} error={sets.error} what="FeatureSets">
          {(list) => (
            <>
              {KINDS.map((kind) => {
                const ofKind = list.filter((s) => s.kind === kind);
                return (
                  <section key={kind} aria-labelledby={`kind-${kind}`}>
                    <h2 id={`kind-${kind}`}>{KIND_TITLES[kind].title}</h2>
                    <p class="muted">{KIND_TITLES[kind].about}</p>
                    {ofKind.length === 0 ? (
                      <p class="muted">None.</p>
                    ) : (
                      <ul class="cards">
                        {ofKind.map((s) => (
                          <li key={s.id}>
                            <a href={href('featuresets', s.id, { space: space.id })}>{s.name}</a>{' '}
                            <code>{s.id}</code>
                            {s.description ? <p class="muted">{s.description}</p> : null}
                            {kind === 'custom' || kind === 'default' ? (
                              <p class="muted">
                                {s.members.filter((m) => m.mode === 'include').length} included,{' '}
                                {s.members.filter((m) => m.mode === 'exclude').length} excluded
                              </p>
                            ) : null}
                          </li>
                        ))}
                      </ul>
                    )}
                  </section>
                );
              })}
              <PreviewPanel space={space} client={props.client} page={['featuresets']} sets={list} />
            </>
          )}
        </Loaded>
      )}
      {creating && space !== undefined ? (
        <CreateSetDialog space={space} onClose={() => setCreating(false)} />
      ) : null}
    </>
  );
}

type MemberType = 'feature' | 'featureSet' | 'glob' | 'annotation';
type Tri = '' | 'true' | 'false';

function AddMemberForm(props: { space: Space; set: FeatureSet; sets: FeatureSet[] }) {
  const features = useApi<DiscoveredFeature[]>(`/api/v1/spaces/${seg(props.space.id)}/features`, [
    'features',
  ]);
  const [mode, setMode] = useState<'include' | 'exclude'>('include');
  const [type, setType] = useState<MemberType>('feature');
  const [feature, setFeature] = useState('');
  const [otherSet, setOtherSet] = useState('');
  const [server, setServer] = useState('*');
  const [name, setName] = useState('*');
  const [kind, setKind] = useState<FeatureKind>('tool');
  const [readOnly, setReadOnly] = useState<Tri>('');
  const [destructive, setDestructive] = useState<Tri>('');
  const action = useAction();
  const others = props.sets.filter((s) => s.id !== props.set.id);
  const featureList = features.data ?? [];

  const selector = (): Selector => {
    switch (type) {
      case 'feature': {
        const f = featureList[Number(feature)];
        if (f === undefined) throw new Error('Choose a feature.');
        return { type: 'feature', kind: f.kind, server: f.serverId, name: f.name };
      }
      case 'featureSet':
        if (otherSet === '') throw new Error('Choose a FeatureSet.');
        return { type: 'featureSet', id: otherSet };
      case 'glob':
        return { type: 'feature', kind, server: server.trim(), name: name.trim() };
      case 'annotation':
        return {
          type: 'annotation',
          ...(readOnly === '' ? {} : { readOnly: readOnly === 'true' }),
          ...(destructive === '' ? {} : { destructive: destructive === 'true' }),
        };
    }
  };

  return (
    <form
      class="add-member"
      aria-labelledby="add-member"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          const member: Member = { mode, selector: selector() };
          await api.post(
            `/api/v1/spaces/${seg(props.space.id)}/featuresets/${seg(props.set.id)}/members`,
            member,
          );
          bump('featuresets', 'preview');
        });
      }}
    >
      <h2 id="add-member">Add member</h2>
      <Field label="Mode">
        <select value={mode} onChange={(e) => setMode(e.currentTarget.value as 'include' | 'exclude')}>
          <option value="include">Include</option>
          <option value="exclude">Exclude</option>
        </select>
      </Field>
      <Field label="Member type">
        <select value={type} onChange={(e) => setType(e.currentTarget.value as MemberType)}>
          <option value="feature">Discovered feature</option>
          <option value="featureSet">Another FeatureSet</option>
          <option value="glob">Glob pattern</option>
          <option value="annotation">Annotation hints</option>
        </select>
      </Field>
      {type === 'feature' ? (
        <Field label="Feature">
          <select value={feature} onChange={(e) => setFeature(e.currentTarget.value)}>
            <option value="">(choose a feature)</option>
            {featureList.map((f, i) => (
              <option key={`${f.serverId}/${f.kind}/${f.name}`} value={String(i)}>
                {f.kind} {f.serverId}/{f.name}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {type === 'featureSet' ? (
        <Field label="FeatureSet">
          <select value={otherSet} onChange={(e) => setOtherSet(e.currentTarget.value)}>
            <option value="">(choose a FeatureSet)</option>
            {others.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.id})
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {type === 'glob' ? (
        <>
          <Field label="Kind">
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value as FeatureKind)}>
              <option value="tool">tool</option>
              <option value="prompt">prompt</option>
              <option value="resource">resource</option>
            </select>
          </Field>
          <Field label="Server pattern" hint="* and ? match any text / one character.">
            <input value={server} required onInput={(e) => setServer(e.currentTarget.value)} />
          </Field>
          <Field label="Name pattern" hint="e.g. delete_* or *_read*">
            <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
        </>
      ) : null}
      {type === 'annotation' ? (
        <>
          <Field label="Read-only hint">
            <select value={readOnly} onChange={(e) => setReadOnly(e.currentTarget.value as Tri)}>
              <option value="">any</option>
              <option value="true">read-only</option>
              <option value="false">not read-only</option>
            </select>
          </Field>
          <Field label="Destructive hint">
            <select value={destructive} onChange={(e) => setDestructive(e.currentTarget.value as Tri)}>
              <option value="">any</option>
              <option value="true">destructive</option>
              <option value="false">not destructive</option>
            </select>
          </Field>
        </>
      ) : null}
      <ErrorText error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Add member
        </button>
      </div>
    </form>
  );
}

/** One FeatureSet: its members (include/exclude), adding members, deleting it, the client preview. */
export function FeatureSetDetailPage(props: { setId: string; space: string | null; client: string | null }) {
  const { spaces, space } = useViewedSpace(props.space);
  const sets = useApi<FeatureSet[]>(
    space === undefined ? null : `/api/v1/spaces/${seg(space.id)}/featuresets`,
    ['featuresets'],
  );
  const action = useAction();
  const set = sets.data?.find((s) => s.id === props.setId);
  const editable = set?.kind === 'custom' || set?.kind === 'default';
  const base = space === undefined ? '' : `/api/v1/spaces/${seg(space.id)}/featuresets/${seg(props.setId)}`;
  return (
    <>
      <p>
        <a href={href('featuresets', { space: space?.id, client: props.client ?? undefined })}>
          ← FeatureSets
        </a>
      </p>
      <div class="page-head">
        <h1>{set?.name ?? props.setId}</h1>
        <SpacePicker
          page={['featuresets', props.setId]}
          spaces={spaces}
          value={space?.id}
          keep={{ client: props.client ?? undefined }}
        />
      </div>
      <Loaded data={space === undefined ? undefined : sets.data} error={sets.error} what="the FeatureSet">
        {(list) =>
          set === undefined ? (
            <p>
              There is no FeatureSet <code>{props.setId}</code> in {space?.name}.
            </p>
          ) : (
            <>
              <p class="muted">
                {KIND_TITLES[set.kind].title}: {KIND_TITLES[set.kind].about} {set.description ?? ''}
              </p>
              <section aria-labelledby="members">
                <h2 id="members">Members</h2>
                {set.kind === 'all' || set.kind === 'server-all' ? (
                  <p class="muted">Managed by mcpmux: its contents follow the servers in the Space.</p>
                ) : set.members.length === 0 ? (
                  <p class="muted">No members yet: this set grants nothing.</p>
                ) : (
                  <table>
                    <TableHead columns={['Mode', 'Member', '']} />
                    <tbody>
                      {set.members.map((m) => {
                        const text = describeSelector(m.selector, list);
                        return (
                          <tr key={`${m.mode}/${JSON.stringify(m.selector)}`}>
                            <td>
                              <span class={`badge ${m.mode === 'exclude' ? 'bad' : 'good'}`}>{m.mode}</span>
                            </td>
                            <th scope="row">{text}</th>
                            <td>
                              <button
                                type="button"
                                disabled={action.busy}
                                aria-label={`Remove ${m.mode} ${text}`}
                                onClick={() =>
                                  void action.run(async () => {
                                    await api.delete(`${base}/members`, m);
                                    bump('featuresets', 'preview');
                                  })
                                }
                              >
                                Remove
                              </button>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                )}
                <ErrorText error={action.error} />
              </section>
              {editable && space !== undefined ? <AddMemberForm space={space} set={set} sets={list} /> : null}
              {set.kind === 'custom' ? (
                <p>
                  <button
                    type="button"
                    class="danger"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        await api.delete(base);
                        bump('featuresets', 'preview', 'grants');
                        navigate(href('featuresets', { space: space?.id }));
                      })
                    }
                  >
                    Delete FeatureSet
                  </button>
                </p>
              ) : null}
              {space === undefined ? null : (
                <PreviewPanel
                  space={space}
                  client={props.client}
                  page={['featuresets', set.id]}
                  sets={list}
                />
              )}
            </>
          )
        }
      </Loaded>
    </>
  );
}
