import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useApi } from '../hooks';
import { bump } from '../live';
import { href, navigate } from '../router';
import { SpacePicker, useViewedSpace } from '../space-picker';
import type {
  CatalogEntry,
  InstalledServer,
  ServerAdded,
  ServerDefinition,
  ServerDetail,
  SignInState,
  Space,
  TemplatedValues,
} from '../types';
import {
  Dialog,
  DialogActions,
  ErrorText,
  Field,
  Loaded,
  SaveActions,
  StateBadge,
  TableHead,
  useAction,
} from '../ui';

/** `KEY=VALUE` lines -> a record (blank lines skipped). */
function parsePairs(text: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${what}: "${line}" is not KEY=VALUE.`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The patch for an overrides map: what the form holds, plus `null` for each key that was shown and
 * is gone from the form (the API merges key by key; keys it hides, literal values, stay untouched).
 */
function withRemovals(
  before: Record<string, string | null> | undefined,
  after: Record<string, string>,
): Record<string, string | null> {
  const patch: Record<string, string | null> = { ...after };
  for (const [key, value] of Object.entries(before ?? {})) {
    if (value !== null && !(key in after)) patch[key] = null;
  }
  return patch;
}

/** `Header: value` lines -> a record. */
function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Headers: "${line}" is not Name: value.`);
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Record -> lines; literal values the API hides (null) are left out (they stay as they are unless edited). */
const formatPairs = (r: TemplatedValues | undefined, sep: string): string =>
  Object.entries(r ?? {})
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `${k}${sep}${v}`)
    .join('\n');

const CUSTOM = '';

function AddServerDialog(props: {
  space: Space;
  catalog: CatalogEntry[];
  initialCatalogId: string;
  onClose: () => void;
}) {
  const [catalogId, setCatalogId] = useState(props.initialCatalogId);
  const [id, setId] = useState(props.initialCatalogId);
  const [transport, setTransport] = useState<'stdio' | 'http'>('stdio');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [env, setEnv] = useState('');
  const [url, setUrl] = useState('');
  const [headers, setHeaders] = useState('');
  const [where, setWhere] = useState<'space' | 'default'>('space');
  const action = useAction();
  const entry = props.catalog.find((c) => c.id === catalogId);
  const submit = () =>
    action.run(async () => {
      const body: Record<string, unknown> = { id: id.trim() };
      if (entry !== undefined) body.catalogId = entry.id;
      else if (transport === 'stdio') {
        body.transport = {
          type: 'stdio',
          command: command.trim(),
          args: args
            .split('\n')
            .map((a) => a.trim())
            .filter((a) => a !== ''),
          env: parsePairs(env, 'Environment'),
        };
      } else {
        body.transport = { type: 'http', url: url.trim(), headers: parseHeaders(headers) };
      }
      if (where === 'default') body.defaultEnabled = true;
      else body.spaceId = props.space.id;
      const added = await api.post<ServerAdded | undefined>('/api/v1/servers', body);
      bump('servers', 'spaces', 'status', 'featuresets', 'features');
      props.onClose();
      // Straight to the new server's page in this Space, where its credentials are set.
      if (where === 'space') navigate(href('servers', added?.id ?? id.trim(), { space: props.space.id }));
    });
  return (
    <Dialog title="Add server" onClose={props.onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Source">
          <select
            value={catalogId}
            onChange={(e) => {
              const next = e.currentTarget.value;
              setCatalogId(next);
              if (next !== CUSTOM) setId(next);
            }}
          >
            <option value={CUSTOM}>Custom command or URL</option>
            {props.catalog.map((c) => (
              <option key={c.id} value={c.id}>
                Catalog: {c.name}
              </option>
            ))}
          </select>
        </Field>
        {entry === undefined ? null : <p class="muted">{entry.description}</p>}
        <Field label="Server ID" hint="Lowercase letters, digits and -.">
          <input value={id} required onInput={(e) => setId(e.currentTarget.value)} />
        </Field>
        {entry === undefined ? (
          <>
            <fieldset>
              <legend>Transport</legend>
              <label class="inline">
                <input
                  type="radio"
                  name="transport"
                  checked={transport === 'stdio'}
                  onChange={() => setTransport('stdio')}
                />{' '}
                Local command (stdio)
              </label>
              <label class="inline">
                <input
                  type="radio"
                  name="transport"
                  checked={transport === 'http'}
                  onChange={() => setTransport('http')}
                />{' '}
                Remote URL (Streamable HTTP)
              </label>
            </fieldset>
            {transport === 'stdio' ? (
              <>
                <Field label="Command">
                  <input value={command} required onInput={(e) => setCommand(e.currentTarget.value)} />
                </Field>
                <Field label="Arguments" hint="One per line.">
                  <textarea rows={3} value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
                </Field>
                <Field
                  label="Environment"
                  hint="KEY=VALUE, one per line. Credentials as ${secret:NAME}: set their values after adding."
                >
                  <textarea rows={3} value={env} onInput={(e) => setEnv(e.currentTarget.value)} />
                </Field>
              </>
            ) : (
              <>
                <Field label="URL">
                  <input type="url" value={url} required onInput={(e) => setUrl(e.currentTarget.value)} />
                </Field>
                <Field label="Headers" hint="Name: value, one per line. Credentials as ${secret:NAME}.">
                  <textarea rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
                </Field>
              </>
            )}
          </>
        ) : null}
        <fieldset>
          <legend>Install</legend>
          <label class="inline">
            <input type="radio" name="where" checked={where === 'space'} onChange={() => setWhere('space')} />{' '}
            Into {props.space.name}
          </label>
          <label class="inline">
            <input
              type="radio"
              name="where"
              checked={where === 'default'}
              onChange={() => setWhere('default')}
            />{' '}
            Default-enabled in every Space
          </label>
        </fieldset>
        <DialogActions submit="Add server" action={action} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function EnabledToggle(props: { space: string; server: InstalledServer | ServerDetail }) {
  const action = useAction();
  // The user's choice, shown until the refetched server arrives (a controlled box would flip back).
  const [pending, setPending] = useState<boolean | undefined>(undefined);
  useEffect(() => setPending(undefined), [props.server]);
  return (
    <>
      <label class="inline">
        <input
          type="checkbox"
          checked={pending ?? props.server.enabled}
          disabled={action.busy}
          onChange={(e) => {
            const enabled = e.currentTarget.checked;
            setPending(enabled);
            void action
              .run(async () => {
                await api.patch(`/api/v1/spaces/${seg(props.space)}/servers/${seg(props.server.id)}`, {
                  enabled,
                });
                bump('servers', 'status', 'features', 'preview');
              })
              .then((ok) => {
                if (!ok) setPending(undefined);
              });
          }}
        />{' '}
        Enabled<span class="offscreen"> {props.server.id}</span>
      </label>
      <ErrorText error={action.error} />
    </>
  );
}

function InstalledRow(props: { space: Space; server: InstalledServer }) {
  const s = props.server;
  const action = useAction();
  const base = `/api/v1/spaces/${seg(props.space.id)}/servers/${seg(s.id)}`;
  return (
    <tr>
      <th scope="row">
        <a href={href('servers', s.id, { space: props.space.id })}>{s.alias}</a>
        {s.defaultEnabled ? <span class="badge neutral">default-enabled</span> : null}
      </th>
      <td>
        <StateBadge state={s.state} />
      </td>
      <td>{s.circuit ? <span class="badge bad">open</span> : 'closed'}</td>
      <td>{s.restarts}</td>
      <td>
        {s.tools} / {s.prompts} / {s.resources}
      </td>
      <td>
        <EnabledToggle space={props.space.id} server={s} />
      </td>
      <td class="row-actions">
        <button
          type="button"
          disabled={action.busy}
          aria-label={`Restart ${s.id}`}
          onClick={() =>
            void action.run(async () => {
              await api.post(`${base}/restart`);
              bump('servers', 'status');
            })
          }
        >
          Restart
        </button>
        {s.defaultEnabled ? null : (
          <button
            type="button"
            disabled={action.busy}
            aria-label={`Uninstall ${s.id} from ${props.space.name}`}
            onClick={() =>
              void action.run(async () => {
                await api.delete(base);
                bump('servers', 'spaces', 'status', 'featuresets', 'features', 'preview');
              })
            }
          >
            Uninstall
          </button>
        )}
        <ErrorText error={action.error} />
      </td>
    </tr>
  );
}

/** Servers: what is installed in a Space, the registry's other servers, the catalog. */
export function ServersPage(props: { space: string | null }) {
  const { spaces, space } = useViewedSpace(props.space);
  const installed = useApi<InstalledServer[]>(
    space === undefined ? null : `/api/v1/spaces/${seg(space.id)}/servers`,
    ['servers'],
  );
  const definitions = useApi<ServerDefinition[]>('/api/v1/servers', ['servers']);
  const catalog = useApi<CatalogEntry[]>('/api/v1/catalog', ['catalog']);
  const [adding, setAdding] = useState<string | null>(null);
  const action = useAction();
  const installedIds = new Set((installed.data ?? []).map((s) => s.id));
  const others = (definitions.data ?? []).filter((d) => !installedIds.has(d.id) && !d.defaultEnabled);
  return (
    <>
      <div class="page-head">
        <h1>Servers</h1>
        <SpacePicker page={['servers']} spaces={spaces} value={space?.id} />
        <button
          type="button"
          class="primary"
          disabled={space === undefined}
          onClick={() => setAdding(CUSTOM)}
        >
          Add server
        </button>
      </div>
      {space === undefined ? (
        <p class="muted">Loading Spaces…</p>
      ) : (
        <>
          <section aria-labelledby="installed">
            <h2 id="installed">Installed in {space.name}</h2>
            <Loaded data={installed.data} error={installed.error} what="servers">
              {(list) =>
                list.length === 0 ? (
                  <p class="muted">No server is installed in {space.name}. Add one from the catalog below.</p>
                ) : (
                  <table>
                    <TableHead
                      columns={[
                        'Server',
                        'State',
                        'Circuit',
                        'Restarts',
                        'Tools / prompts / resources',
                        'Enabled',
                        '',
                      ]}
                    />
                    <tbody>
                      {list.map((s) => (
                        <InstalledRow key={s.id} space={space} server={s} />
                      ))}
                    </tbody>
                  </table>
                )
              }
            </Loaded>
          </section>
          {others.length === 0 ? null : (
            <section aria-labelledby="registry">
              <h2 id="registry">Other servers in the registry</h2>
              <ErrorText error={action.error} />
              <ul class="cards">
                {others.map((d) => (
                  <li key={d.id}>
                    <strong>{d.name}</strong> <code>{d.id}</code> <code>{d.transport.type}</code>{' '}
                    <span class="muted">{d.transport.command ?? d.transport.url ?? ''}</span>
                    <div class="row-actions">
                      <button
                        type="button"
                        disabled={action.busy}
                        aria-label={`Install ${d.id} into ${space.name}`}
                        onClick={() =>
                          void action.run(async () => {
                            await api.put(`/api/v1/spaces/${seg(space.id)}/servers/${seg(d.id)}`);
                            bump('servers', 'spaces', 'status', 'featuresets', 'features', 'preview');
                          })
                        }
                      >
                        Install into {space.name}
                      </button>
                      <button
                        type="button"
                        class="danger"
                        disabled={action.busy}
                        aria-label={`Remove ${d.id} from the registry`}
                        onClick={() =>
                          void action.run(async () => {
                            await api.delete(`/api/v1/servers/${seg(d.id)}`);
                            bump('servers', 'spaces');
                          })
                        }
                      >
                        Remove
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="catalog">
            <h2 id="catalog">Catalog</h2>
            <Loaded data={catalog.data} error={catalog.error} what="the catalog">
              {(list) => (
                <ul class="cards">
                  {list.map((c) => (
                    <li key={c.id}>
                      <strong>{c.name}</strong> <code>{c.transport}</code>
                      <p class="muted">{c.description}</p>
                      {c.secrets.length > 0 ? <p class="muted">Needs: {c.secrets.join(', ')}</p> : null}
                      <button type="button" aria-label={`Add ${c.name}`} onClick={() => setAdding(c.id)}>
                        Add…
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </Loaded>
          </section>
        </>
      )}
      {adding !== null && space !== undefined ? (
        <AddServerDialog
          space={space}
          catalog={catalog.data ?? []}
          initialCatalogId={adding}
          onClose={() => setAdding(null)}
        />
      ) : null}
    </>
  );
}

/** Secret names referenced as `${secret:NAME}` in a definition's env or header values. */
function referencedSecrets(def: ServerDefinition | undefined): string[] {
  if (def === undefined) return [];
  const values = [def.transport.env, def.transport.headers].flatMap((r) =>
    Object.values(r ?? {}).filter((v): v is string => typeof v === 'string'),
  );
  const names = new Set<string>();
  for (const v of values) for (const m of v.matchAll(/\$\{secret:([^}]+)\}/g)) names.add(m[1]!);
  return [...names];
}

/** The credentials stored for a server (names and scopes only, never values). */
function storedSecrets(s: ServerDetail, space: string): { name: string; scope: string }[] {
  return s.secrets.map((x) => (typeof x === 'string' ? { name: x, scope: space } : x));
}

function CredentialRow(props: {
  space: string;
  server: string;
  name: string;
  global: boolean;
  stored?: string | undefined;
}) {
  const [value, setValue] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const scope = props.global ? '_default' : props.space;
  const path = `/api/v1/spaces/${seg(scope)}/servers/${seg(props.server)}/secrets/${seg(props.name)}`;
  return (
    <form
      class="credential"
      onSubmit={(e) => {
        e.preventDefault();
        void action
          .run(async () => {
            await api.put(path, { value });
            bump('servers', 'status');
          })
          .then((ok) => {
            if (ok) {
              setValue('');
              setSaved(true);
            }
          });
      }}
    >
      <Field label={props.name}>
        <input
          type="password"
          autoComplete="new-password"
          spellcheck={false}
          value={value}
          placeholder="write-only: type a new value"
          onInput={(e) => {
            setSaved(false);
            setValue(e.currentTarget.value);
          }}
        />
      </Field>
      <button type="submit" disabled={action.busy || value === ''} aria-label={`Save ${props.name}`}>
        Save
      </button>
      <button
        type="button"
        disabled={action.busy}
        aria-label={`Remove ${props.name}`}
        onClick={() =>
          void action.run(async () => {
            await api.delete(path);
            setSaved(false);
            bump('servers', 'status');
          })
        }
      >
        Remove
      </button>
      <span role="status" class="muted">
        {saved
          ? 'Saved to the vault.'
          : props.stored === undefined
            ? 'Not set.'
            : props.stored === '_default'
              ? 'Stored (global).'
              : 'Stored in this Space.'}
      </span>
      <ErrorText error={action.error} />
    </form>
  );
}

function Credentials(props: {
  space: string;
  server: string;
  names: string[];
  stored: { name: string; scope: string }[];
  defaultEnabled: boolean;
}) {
  const [global, setGlobal] = useState(false);
  const [extra, setExtra] = useState<string[]>([]);
  const [newName, setNewName] = useState('');
  const names = [...new Set([...props.names, ...extra])].sort();
  return (
    <section aria-labelledby="credentials">
      <h2 id="credentials">Credentials</h2>
      <p class="muted">
        Stored encrypted in the vault and injected when the gateway connects. Values are never shown again.
      </p>
      {props.defaultEnabled ? (
        <label class="inline">
          <input type="checkbox" checked={global} onChange={(e) => setGlobal(e.currentTarget.checked)} />{' '}
          Store for every Space (global credential)
        </label>
      ) : null}
      {names.map((n) => (
        <CredentialRow
          key={`${n}/${global}`}
          space={props.space}
          server={props.server}
          name={n}
          global={global}
          stored={props.stored.find((x) => x.name === n && (x.scope === '_default') === global)?.scope}
        />
      ))}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (newName.trim() !== '') setExtra([...extra, newName.trim()]);
          setNewName('');
        }}
      >
        <Field label="New credential name">
          <input value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
        </Field>
        <button type="submit">Add credential</button>
      </form>
    </section>
  );
}

function ConfigForm(props: { space: string; server: ServerDetail }) {
  const overrides = props.server.overrides ?? {};
  const [env, setEnv] = useState(formatPairs(overrides.env, '='));
  const [headers, setHeaders] = useState(formatPairs(overrides.headers, ': '));
  const hidden = [...Object.entries(overrides.env ?? {}), ...Object.entries(overrides.headers ?? {})]
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  return (
    <section aria-labelledby="config">
      <h2 id="config">Configuration in this Space</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(async () => {
              const body: Record<string, unknown> = {};
              if (env !== formatPairs(overrides.env, '=')) {
                body.env = withRemovals(overrides.env, parsePairs(env, 'Environment'));
              }
              if (headers !== formatPairs(overrides.headers, ': ')) {
                body.headers = withRemovals(overrides.headers, parseHeaders(headers));
              }
              await api.patch(`/api/v1/spaces/${seg(props.space)}/servers/${seg(props.server.id)}`, body);
              bump('servers', 'status');
            })
            .then(setSaved);
        }}
      >
        <Field
          label="Environment overrides"
          hint="KEY=VALUE per line; reference credentials as ${secret:NAME} (never paste a key here)."
        >
          <textarea rows={3} value={env} onInput={(e) => setEnv(e.currentTarget.value)} />
        </Field>
        <Field label="Header overrides" hint="Name: value per line (HTTP servers).">
          <textarea rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
        </Field>
        {hidden.length === 0 ? null : (
          <p class="muted">
            Literal values not shown:{' '}
            {hidden.map((key) => (
              <button
                type="button"
                key={key}
                aria-label={`Remove the override ${key}`}
                onClick={() =>
                  void action
                    .run(async () => {
                      const field = key in (overrides.env ?? {}) ? 'env' : 'headers';
                      const path = `/api/v1/spaces/${seg(props.space)}/servers/${seg(props.server.id)}`;
                      await api.patch(path, { [field]: { [key]: null } });
                      bump('servers', 'status');
                    })
                    .then(setSaved)
                }
              >
                {key} ✕
              </button>
            ))}
          </p>
        )}
        <SaveActions submit="Save configuration" action={action} saved={saved} />
      </form>
    </section>
  );
}

/** One installed server: state, circuit, config, credentials, discovered features, recent stderr. */
/** What the server detail says of a sign-in. */
function signInText(oauth: ServerDetail['oauth']): string {
  if (oauth === undefined || (!oauth.signedIn && !oauth.expired)) return 'Not signed in';
  if (oauth.expired) return 'Sign-in expired: sign in again';
  return 'Signed in';
}

/**
 * The OAuth sign-in of an HTTP server in a Space: its state, and a button that starts a sign-in in
 * the gateway and opens the authorization page in a new tab, then follows the sign-in until done.
 */
function SignIn(props: { space: string; server: string; oauth: ServerDetail['oauth'] }) {
  const path = `/api/v1/spaces/${seg(props.space)}/servers/${seg(props.server)}/sign-in`;
  const [progress, setProgress] = useState<SignInState | undefined>(undefined);
  const action = useAction();
  const waiting = progress?.state === 'waiting';
  useEffect(() => {
    if (!waiting) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api.get<SignInState>(path);
        if (!alive) return;
        if (next.state === 'waiting') {
          timer = setTimeout(() => void poll(), 1000);
          return;
        }
        setProgress(next);
        bump('servers');
      } catch (error) {
        if (alive) setProgress({ state: 'failed', message: (error as Error).message });
      }
    };
    timer = setTimeout(() => void poll(), 1000);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [waiting, path]);
  const start = () => {
    // Opened now, inside the click, so no popup blocker stops it; it goes to the URL once known.
    const tab = window.open('', '_blank');
    if (tab !== null) tab.opener = null;
    void action.run(async () => {
      try {
        const { url } = await api.post<{ url: string }>(path);
        if (tab === null) window.open(url, '_blank', 'noopener');
        else tab.location.href = url;
        setProgress({ state: 'waiting' });
      } catch (error) {
        tab?.close();
        throw error;
      }
    });
  };
  return (
    <section aria-labelledby="sign-in">
      <h2 id="sign-in">Sign-in</h2>
      <p>
        <span>{signInText(props.oauth)}</span>
        {props.oauth?.signedInAt === undefined || !props.oauth.signedIn ? null : (
          <span class="muted"> since {new Date(props.oauth.signedInAt).toLocaleString()}</span>
        )}
      </p>
      <div class="actions">
        <button type="button" disabled={action.busy} onClick={start}>
          {props.oauth?.signedIn === true ? 'Sign in again' : 'Sign in'}
        </button>
      </div>
      {progress === undefined ? null : progress.state === 'waiting' ? (
        <p role="status">Waiting for the sign-in in the browser tab…</p>
      ) : progress.state === 'failed' ? (
        <p role="alert" class="error">
          Sign-in failed: {progress.message ?? 'no reason given'}
        </p>
      ) : (
        <p role="status">{progress.message ?? 'Done.'}</p>
      )}
      <ErrorText error={action.error} />
    </section>
  );
}

export function ServerDetailPage(props: { serverId: string; space: string | null }) {
  const { spaces, space } = useViewedSpace(props.space);
  const path = space === undefined ? null : `/api/v1/spaces/${seg(space.id)}/servers/${seg(props.serverId)}`;
  const detail = useApi<ServerDetail>(path, ['servers']);
  const definitions = useApi<ServerDefinition[]>('/api/v1/servers', ['servers']);
  const def = definitions.data?.find((d) => d.id === props.serverId);
  const action = useAction();
  return (
    <>
      <p>
        <a href={href('servers', { space: space?.id })}>← Servers</a>
      </p>
      <div class="page-head">
        <h1>{def?.name ?? props.serverId}</h1>
        <SpacePicker page={['servers', props.serverId]} spaces={spaces} value={space?.id} />
      </div>
      <Loaded data={space === undefined ? undefined : detail.data} error={detail.error} what="the server">
        {(s) => (
          <>
            <dl class="facts">
              <div>
                <dt>State</dt>
                <dd>
                  <StateBadge state={s.state} />
                </dd>
              </div>
              <div>
                <dt>Circuit</dt>
                <dd>{s.circuit ? 'open (restart to close it)' : 'closed'}</dd>
              </div>
              <div>
                <dt>Restarts</dt>
                <dd>{s.restarts}</dd>
              </div>
              <div>
                <dt>Protocol</dt>
                <dd>{s.protocolVersion ?? '—'}</dd>
              </div>
              {def === undefined ? null : (
                <div>
                  <dt>Runs</dt>
                  <dd>
                    <code>
                      {def.transport.type === 'stdio'
                        ? [def.transport.command, ...(def.transport.args ?? [])].join(' ')
                        : def.transport.url}
                    </code>
                  </dd>
                </div>
              )}
            </dl>
            {s.lastError === undefined ? null : (
              <p class="error">
                Last error: <span>{s.lastError}</span>
              </p>
            )}
            <div class="actions">
              <EnabledToggle space={space!.id} server={s} />
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await api.post(`${path}/restart`);
                    bump('servers', 'status');
                  })
                }
              >
                Restart
              </button>
            </div>
            <ErrorText error={action.error} />
            {s.transport === 'http' ? (
              <SignIn key={`${space!.id}/${s.id}`} space={space!.id} server={s.id} oauth={s.oauth} />
            ) : null}
            <ConfigForm key={`${space!.id}/${s.id}`} space={space!.id} server={s} />
            <Credentials
              space={space!.id}
              server={s.id}
              names={[...storedSecrets(s, space!.id).map((x) => x.name), ...referencedSecrets(def)]}
              stored={storedSecrets(s, space!.id)}
              defaultEnabled={s.defaultEnabled}
            />
            <section aria-labelledby="features">
              <h2 id="features">Discovered features</h2>
              {s.features.length === 0 ? (
                <p class="muted">None discovered yet (the server has not connected in this Space).</p>
              ) : (
                <table>
                  <TableHead columns={['Kind', 'Name', 'Description', 'Hints']} />
                  <tbody>
                    {s.features.map((f) => (
                      <tr key={`${f.kind}/${f.name}`}>
                        <td>{f.kind}</td>
                        <th scope="row">{f.name}</th>
                        <td class="wrap">{f.description ?? ''}</td>
                        <td>
                          {f.annotations?.readOnlyHint ? 'read-only ' : ''}
                          {f.annotations?.destructiveHint ? 'destructive' : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section aria-labelledby="log">
              <h2 id="log">Recent stderr log</h2>
              {s.log.length === 0 ? (
                <p class="muted">Nothing logged.</p>
              ) : (
                // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
                <pre class="log" tabIndex={0} role="log" aria-label="Recent stderr log">
                  {s.log.join('\n')}
                </pre>
              )}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}
