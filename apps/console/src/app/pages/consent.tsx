import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useApi } from '../hooks';
import type { Client, FeatureSet, Space } from '../types';
import { ErrorText, Field, Loaded, slugify, useAction } from '../ui';

/** A pending OAuth sign-in, as `GET /api/v1/consent/:request` answers it. */
interface ConsentRequest {
  id: string;
  app: { name: string; clientId: string; registration: 'dcr' | 'cimd'; redirectUri: string };
  scope?: string;
  expiresAt: string;
}

/** Where the app receives its answer, shown so the admin can tell apps apart. */
function redirectHost(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}

function GrantPicker(props: {
  spaces: Space[];
  space: string;
  set: string;
  onSpace: (id: string) => void;
  onSet: (id: string) => void;
}) {
  const sets = useApi<FeatureSet[]>(
    props.space === '' ? null : `/api/v1/spaces/${seg(props.space)}/featuresets`,
    ['featuresets'],
  );
  return (
    <>
      <Field label="Grant in Space">
        <select value={props.space} onChange={(e) => props.onSpace(e.currentTarget.value)}>
          <option value="">(no new grant)</option>
          {props.spaces.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </Field>
      {props.space === '' ? null : (
        <Field label="FeatureSet" hint="What the app may use in that Space.">
          <select value={props.set} onChange={(e) => props.onSet(e.currentTarget.value)}>
            {(sets.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.id})
              </option>
            ))}
          </select>
        </Field>
      )}
    </>
  );
}

function ConsentForm(props: { request: ConsentRequest; clients: Client[]; spaces: Space[] }) {
  const { request, clients, spaces } = props;
  const [target, setTarget] = useState<'new' | 'existing'>('new');
  const [newName, setNewName] = useState(request.app.name);
  const [newId, setNewId] = useState(slugify(request.app.name) || 'oauth-app');
  const [existing, setExisting] = useState(clients[0]?.id ?? '');
  const [mode, setMode] = useState<'follow-active' | 'pinned'>('follow-active');
  const [pinned, setPinned] = useState(spaces.find((s) => s.active)?.id ?? spaces[0]?.id ?? '');
  const [grantSpace, setGrantSpace] = useState(spaces.find((s) => s.active)?.id ?? '');
  const [grantSet, setGrantSet] = useState('default');
  const action = useAction();

  useEffect(() => setGrantSet('default'), [grantSpace]);

  const decide = (decision: 'approve' | 'deny') =>
    action.run(async () => {
      const body =
        decision === 'deny'
          ? { decision }
          : {
              decision,
              client:
                target === 'new'
                  ? {
                      id: newId,
                      create: true,
                      name: newName,
                      mode,
                      ...(mode === 'pinned' ? { pinnedSpaceId: pinned } : {}),
                    }
                  : { id: existing, mode, ...(mode === 'pinned' ? { pinnedSpaceId: pinned } : {}) },
              grants: grantSpace === '' ? [] : [{ space: grantSpace, set: grantSet }],
            };
      const { redirectTo } = await api.post<{ redirectTo: string }>(
        `/api/v1/consent/${seg(request.id)}`,
        body,
      );
      location.assign(redirectTo);
    });

  return (
    <form
      class="consent"
      onSubmit={(e) => {
        e.preventDefault();
        void decide('approve');
      }}
    >
      <p>
        <strong>{request.app.name}</strong> wants to use this gateway. It will receive the answer at{' '}
        <code>{redirectHost(request.app.redirectUri)}</code>
        {request.app.registration === 'cimd' ? (
          <>
            {' '}
            (it identifies itself as <code>{request.app.clientId}</code>)
          </>
        ) : null}
        . Approve only if you started this sign-in.
      </p>
      <fieldset>
        <legend>The app becomes</legend>
        <label>
          <input type="radio" name="target" checked={target === 'new'} onChange={() => setTarget('new')} /> A
          new client
        </label>
        <label>
          <input
            type="radio"
            name="target"
            checked={target === 'existing'}
            disabled={clients.length === 0}
            onChange={() => setTarget('existing')}
          />{' '}
          An existing client
        </label>
      </fieldset>
      {target === 'new' ? (
        <>
          <Field label="Client name">
            <input value={newName} required onInput={(e) => setNewName(e.currentTarget.value)} />
          </Field>
          <Field label="Client ID" hint="Lowercase letters, digits and -; what the CLI calls it.">
            <input
              value={newId}
              required
              pattern="[a-z0-9][a-z0-9\-]*"
              onInput={(e) => setNewId(e.currentTarget.value)}
            />
          </Field>
        </>
      ) : (
        <Field label="Client">
          <select value={existing} onChange={(e) => setExisting(e.currentTarget.value)}>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.id})
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label="Mode">
        <select value={mode} onChange={(e) => setMode(e.currentTarget.value as 'follow-active' | 'pinned')}>
          <option value="follow-active">Follow the active Space</option>
          <option value="pinned">Pinned to one Space</option>
        </select>
      </Field>
      {mode === 'pinned' ? (
        <Field label="Pinned Space">
          <select value={pinned} onChange={(e) => setPinned(e.currentTarget.value)}>
            {spaces.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      <GrantPicker
        spaces={spaces}
        space={grantSpace}
        set={grantSet}
        onSpace={setGrantSpace}
        onSet={setGrantSet}
      />
      <ErrorText error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Approve
        </button>
        <button type="button" disabled={action.busy} onClick={() => void decide('deny')}>
          Deny
        </button>
      </div>
    </form>
  );
}

/** The consent page of an app signing in with OAuth: which client it becomes, its mode and grants. */
export function ConsentPage(props: { requestId: string }) {
  const request = useApi<ConsentRequest>(`/api/v1/consent/${seg(props.requestId)}`, []);
  const clients = useApi<Client[]>('/api/v1/clients', ['clients']);
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  return (
    <>
      <h1>Sign in an app</h1>
      <Loaded data={request.data} error={request.error} what="the sign-in request">
        {(r) => (
          <Loaded data={clients.data} error={clients.error} what="clients">
            {(c) => (
              <Loaded data={spaces.data} error={spaces.error} what="Spaces">
                {(s) => <ConsentForm request={r} clients={c} spaces={s} />}
              </Loaded>
            )}
          </Loaded>
        )}
      </Loaded>
    </>
  );
}
