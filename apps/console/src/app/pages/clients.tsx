import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useApi } from '../hooks';
import { bump } from '../live';
import { href, navigate } from '../router';
import type { Client, ConnectSnippet, CreatedClient, FeatureSet, Grant, Space } from '../types';
import {
  CopyButton,
  Dialog,
  DialogActions,
  ErrorText,
  Field,
  Loaded,
  NameIdFields,
  SaveActions,
  TableHead,
  useAction,
  useNamedId,
  when,
} from '../ui';

/** The access key, shown once, plus per-app connect instructions with copy buttons. */
function KeyOnce(props: { clientId: string; accessKey: string; connect?: ConnectSnippet[] }) {
  return (
    <div class="key-once">
      <p role="status">
        This is the only time the access key of <strong>{props.clientId}</strong> is shown. Copy it now; to
        replace it later, rotate the key.
      </p>
      <div class="copy-row">
        <Field label="Access key">
          <input
            readOnly
            value={props.accessKey}
            spellcheck={false}
            onFocus={(e) => e.currentTarget.select()}
          />
        </Field>
        <CopyButton text={props.accessKey} label="Copy access key" />
      </div>
      {props.connect === undefined || props.connect.length === 0 ? null : (
        <>
          <h3>Connect an app</h3>
          {props.connect.map((c) => (
            <details key={c.app}>
              <summary>{c.title}</summary>
              <pre class="snippet">{c.snippet}</pre>
              <CopyButton text={c.snippet} label={`Copy ${c.title} instructions`} />
            </details>
          ))}
        </>
      )}
    </div>
  );
}

function ModeFields(props: {
  spaces: Space[];
  mode: Client['mode'];
  pinned: string;
  setMode: (m: Client['mode']) => void;
  setPinned: (s: string) => void;
}) {
  return (
    <>
      <fieldset>
        <legend>Mode</legend>
        <label class="inline">
          <input
            type="radio"
            name="mode"
            checked={props.mode === 'follow-active'}
            onChange={() => props.setMode('follow-active')}
          />{' '}
          Follow active Space
        </label>
        <label class="inline">
          <input
            type="radio"
            name="mode"
            checked={props.mode === 'pinned'}
            onChange={() => props.setMode('pinned')}
          />{' '}
          Pinned to one Space
        </label>
      </fieldset>
      {props.mode === 'pinned' ? (
        <Field label="Pinned Space">
          <select value={props.pinned} required onChange={(e) => props.setPinned(e.currentTarget.value)}>
            <option value="">(choose a Space)</option>
            {props.spaces.map((s) => (
              <option key={s.id} value={s.id}>
                {s.icon ? `${s.icon} ` : ''}
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
    </>
  );
}

function AddClientDialog(props: { spaces: Space[]; onClose: () => void }) {
  const named = useNamedId();
  const [mode, setMode] = useState<Client['mode']>('follow-active');
  const [pinned, setPinned] = useState('');
  const [created, setCreated] = useState<CreatedClient | undefined>(undefined);
  const action = useAction();
  const effectiveId = named.id;
  const name = named.name;
  if (created !== undefined) {
    return (
      <Dialog title={`Client ${created.client.name} added`} onClose={props.onClose} wide>
        <KeyOnce clientId={created.client.id} accessKey={created.accessKey} connect={created.connect} />
        <div class="actions">
          <button type="button" class="primary" onClick={props.onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Add client" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const result = await api.post<CreatedClient>('/api/v1/clients', {
              id: effectiveId,
              name: name.trim() === '' ? effectiveId : name.trim(),
              mode,
              ...(mode === 'pinned' ? { pinnedSpaceId: pinned } : {}),
            });
            setCreated(result);
            bump('clients', 'spaces');
          });
        }}
      >
        <NameIdFields named={named} />
        <ModeFields
          spaces={props.spaces}
          mode={mode}
          pinned={pinned}
          setMode={setMode}
          setPinned={setPinned}
        />
        <DialogActions submit="Add client" action={action} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

/** Clients: every AI app with its mode, keys and last use; add one. */
export function ClientsPage() {
  const clients = useApi<Client[]>('/api/v1/clients', ['clients']);
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const [adding, setAdding] = useState(false);
  const spaceName = (id: string | undefined) => spaces.data?.find((s) => s.id === id)?.name ?? id ?? '';
  return (
    <>
      <div class="page-head">
        <h1>Clients</h1>
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          Add client
        </button>
      </div>
      <p class="muted">
        Each AI app connects with its own access key. It follows the active Space or is pinned to one, and
        sees what its FeatureSet grants in that Space allow.
      </p>
      <Loaded data={clients.data} error={clients.error} what="clients">
        {(list) =>
          list.length === 0 ? (
            <p class="muted">No client yet. Add one to get an access key.</p>
          ) : (
            <table>
              <TableHead columns={['Client', 'ID', 'Mode', 'Keys', 'Last used']} />
              <tbody>
                {list.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">
                      <a href={href('clients', c.id)}>{c.name}</a>
                    </th>
                    <td>
                      <code>{c.id}</code>
                    </td>
                    <td>
                      {c.mode === 'pinned' ? `Pinned to ${spaceName(c.pinnedSpaceId)}` : 'Follows active'}
                      {c.lean ? ', lean' : ''}
                    </td>
                    <td>{c.keys}</td>
                    <td>{when(c.lastUsedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      {adding ? <AddClientDialog spaces={spaces.data ?? []} onClose={() => setAdding(false)} /> : null}
    </>
  );
}

function SpaceGrants(props: { client: string; space: Space; grants: Grant[] }) {
  const sets = useApi<FeatureSet[]>(`/api/v1/spaces/${seg(props.space.id)}/featuresets`, ['featuresets']);
  const action = useAction();
  // What the user just ticked, shown until the refetched grants arrive (a controlled box would flip back).
  const [pending, setPending] = useState<Record<string, boolean>>({});
  useEffect(() => setPending({}), [props.grants]);
  const stored = new Set(props.grants.filter((g) => g.spaceId === props.space.id).map((g) => g.setId));
  const isGranted = (id: string) => pending[id] ?? stored.has(id);
  return (
    <fieldset class="grants">
      <legend>
        {props.space.icon ? `${props.space.icon} ` : ''}
        {props.space.name}
        {props.space.active ? ' (active)' : ''}
      </legend>
      <Loaded data={sets.data} error={sets.error} what="FeatureSets">
        {(list) =>
          list.length === 0 ? (
            <p class="muted">No FeatureSets in this Space.</p>
          ) : (
            <ul class="checks">
              {list.map((s) => (
                <li key={s.id}>
                  <label class="inline">
                    <input
                      type="checkbox"
                      checked={isGranted(s.id) || s.kind === 'default'}
                      disabled={action.busy || s.kind === 'default'}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setPending({ ...pending, [s.id]: on });
                        void action
                          .run(async () => {
                            const path = `/api/v1/clients/${seg(props.client)}/grants/${seg(props.space.id)}/${seg(s.id)}`;
                            if (on) await api.put(path);
                            else await api.delete(path);
                            bump('grants', 'preview', 'clients');
                          })
                          .then((ok) => {
                            if (!ok) setPending(({ [s.id]: _, ...rest }) => rest);
                          });
                      }}
                    />{' '}
                    {s.name}
                    {s.kind === 'default' ? ' (granted to every client)' : ''}
                  </label>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <p>
        <a href={href('featuresets', { space: props.space.id, client: props.client })}>
          Preview what {props.client} gets in {props.space.name}
        </a>
      </p>
      <ErrorText error={action.error} />
    </fieldset>
  );
}

function ModeForm(props: { client: Client; spaces: Space[] }) {
  const [mode, setMode] = useState(props.client.mode);
  const [pinned, setPinned] = useState(props.client.pinnedSpaceId ?? '');
  const [name, setName] = useState(props.client.name);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action
          .run(async () => {
            await api.patch(`/api/v1/clients/${seg(props.client.id)}`, {
              name: name.trim(),
              mode,
              ...(mode === 'pinned' ? { pinnedSpaceId: pinned } : {}),
            });
            bump('clients', 'preview', 'spaces');
          })
          .then(setSaved);
      }}
    >
      <Field label="Name">
        <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <ModeFields spaces={props.spaces} mode={mode} pinned={pinned} setMode={setMode} setPinned={setPinned} />
      <SaveActions submit="Save client" action={action} saved={saved} />
    </form>
  );
}

/** Exposed tool names from text: one per line, or separated by commas or spaces. */
function parseToolNames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((t) => t !== ''))];
}

/**
 * Lean mode (docs/lean-mode.md): a switch that saves at once, and the pinned tools a lean client
 * keeps listed. Apps connected as the client get list_changed.
 */
function LeanForm(props: { client: Client }) {
  const [pinned, setPinned] = useState(props.client.pinnedTools.join('\n'));
  const [saved, setSaved] = useState(false);
  // What the user just switched to, shown until the refetched client arrives.
  const [pendingLean, setPendingLean] = useState<boolean | undefined>(undefined);
  useEffect(() => setPendingLean(undefined), [props.client.lean]);
  const toggle = useAction();
  const action = useAction();
  const path = `/api/v1/clients/${seg(props.client.id)}`;
  const lean = pendingLean ?? props.client.lean;
  return (
    <>
      <label class="inline">
        <input
          type="checkbox"
          role="switch"
          aria-checked={lean}
          checked={lean}
          disabled={toggle.busy}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setPendingLean(on);
            void toggle
              .run(async () => {
                await api.patch(path, { lean: on });
                bump('clients');
              })
              .then((ok) => {
                if (!ok) setPendingLean(undefined);
              });
          }}
        />{' '}
        Lean mode (tool search)
      </label>
      <p class="muted">
        {lean
          ? 'Apps see mcpmux_search_tools, mcpmux_describe_tool and mcpmux_call_tool plus the pinned tools below, instead of every tool. They find and call the other tools through search, with the same grants.'
          : 'Apps see every tool the client may use. Turn lean mode on when that is hundreds of tools.'}
      </p>
      <ErrorText error={toggle.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(async () => {
              await api.patch(path, { pinnedTools: parseToolNames(pinned) });
              bump('clients');
            })
            .then(setSaved);
        }}
      >
        <Field
          label="Pinned tools"
          hint="Exposed names (e.g. github_create_issue), one per line; listed even in lean mode."
        >
          <textarea
            rows={3}
            value={pinned}
            spellcheck={false}
            onInput={(e) => setPinned(e.currentTarget.value)}
          />
        </Field>
        <SaveActions submit="Save pinned tools" action={action} saved={saved} />
      </form>
    </>
  );
}

/** One client: name and mode, lean mode, grants per Space, rotate, revoke, delete. */
export function ClientDetailPage(props: { clientId: string }) {
  const clients = useApi<Client[]>('/api/v1/clients', ['clients']);
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const grants = useApi<Grant[]>(`/api/v1/clients/${seg(props.clientId)}/grants`, ['grants']);
  const [rotated, setRotated] = useState<string | undefined>(undefined);
  const [confirm, setConfirm] = useState<'revoke' | 'delete' | null>(null);
  const action = useAction();
  const client = clients.data?.find((c) => c.id === props.clientId);
  const base = `/api/v1/clients/${seg(props.clientId)}`;
  return (
    <>
      <p>
        <a href={href('clients')}>← Clients</a>
      </p>
      <h1>{client?.name ?? props.clientId}</h1>
      <Loaded data={clients.data} error={clients.error} what="the client">
        {() =>
          client === undefined ? (
            <p>There is no client {props.clientId}.</p>
          ) : (
            <>
              <dl class="facts">
                <div>
                  <dt>ID</dt>
                  <dd>
                    <code>{client.id}</code>
                  </dd>
                </div>
                <div>
                  <dt>Access keys</dt>
                  <dd>{client.keys}</dd>
                </div>
                <div>
                  <dt>Last used</dt>
                  <dd>{when(client.lastUsedAt)}</dd>
                </div>
              </dl>
              <section aria-labelledby="settings">
                <h2 id="settings">Name and mode</h2>
                <ModeForm
                  key={`${client.mode}/${client.pinnedSpaceId}`}
                  client={client}
                  spaces={spaces.data ?? []}
                />
              </section>
              <section aria-labelledby="lean">
                <h2 id="lean">Tool search</h2>
                <LeanForm key={client.pinnedTools.join(',')} client={client} />
              </section>
              <section aria-labelledby="grants">
                <h2 id="grants">FeatureSet grants per Space</h2>
                <Loaded data={grants.data} error={grants.error} what="grants">
                  {(g) => (
                    <>
                      {(spaces.data ?? []).map((s) => (
                        <SpaceGrants key={s.id} client={client.id} space={s} grants={g} />
                      ))}
                    </>
                  )}
                </Loaded>
              </section>
              <section aria-labelledby="keys">
                <h2 id="keys">Access key</h2>
                <div class="actions">
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        const r = await api.post<{ accessKey: string }>(`${base}/rotate`);
                        setRotated(r.accessKey);
                        bump('clients');
                      })
                    }
                  >
                    Rotate key
                  </button>
                  <button type="button" class="danger" onClick={() => setConfirm('revoke')}>
                    Revoke keys
                  </button>
                  <button type="button" class="danger" onClick={() => setConfirm('delete')}>
                    Delete client
                  </button>
                </div>
                <ErrorText error={action.error} />
              </section>
            </>
          )
        }
      </Loaded>
      {rotated === undefined ? null : (
        <Dialog title="New access key" onClose={() => setRotated(undefined)} wide>
          <KeyOnce clientId={props.clientId} accessKey={rotated} />
          <div class="actions">
            <button type="button" class="primary" onClick={() => setRotated(undefined)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {confirm === null ? null : (
        <Dialog
          title={confirm === 'revoke' ? `Revoke every key of ${props.clientId}` : `Delete ${props.clientId}`}
          onClose={() => setConfirm(null)}
        >
          <p>
            {confirm === 'revoke'
              ? 'Apps using this client stop working at once. The client and its grants stay; rotate to get a new key.'
              : 'The client, its keys and its grants are deleted. Apps using it stop working at once.'}
          </p>
          <ErrorText error={action.error} />
          <div class="actions">
            <button
              type="button"
              class="danger"
              disabled={action.busy}
              onClick={() =>
                void action
                  .run(async () => {
                    if (confirm === 'revoke') await api.post(`${base}/revoke`);
                    else await api.delete(base);
                  })
                  .then((ok) => {
                    if (!ok) return;
                    setConfirm(null);
                    // Leave the deleted client's page before refetching (its reads would answer 404).
                    if (confirm === 'delete') navigate(href('clients'));
                    bump('clients', 'spaces', 'status');
                  })
              }
            >
              {confirm === 'revoke' ? 'Revoke keys' : 'Delete client'}
            </button>
            <button type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
