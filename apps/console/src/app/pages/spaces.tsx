import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useApi } from '../hooks';
import { bump } from '../live';
import { href } from '../router';
import type { Space, SpaceDeletion } from '../types';
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

function CreateSpaceDialog(props: { onClose: () => void }) {
  const named = useNamedId();
  const [icon, setIcon] = useState('');
  const action = useAction();
  const effectiveId = named.id;
  const name = named.name;
  return (
    <Dialog title="Create Space" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(() =>
              api.post('/api/v1/spaces', {
                id: effectiveId,
                name: name.trim() === '' ? effectiveId : name.trim(),
                ...(icon.trim() === '' ? {} : { icon: icon.trim() }),
              }),
            )
            .then((ok) => {
              if (ok) {
                bump('spaces');
                props.onClose();
              }
            });
        }}
      >
        <NameIdFields named={named} idHint="Lowercase letters, digits and -; used by the CLI (--space ID)." />
        <Field label="Icon" hint="Optional: an emoji such as 💼 or 🏠.">
          <input value={icon} maxLength={8} onInput={(e) => setIcon(e.currentTarget.value)} />
        </Field>
        <DialogActions submit="Create Space" action={action} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function RenameSpaceDialog(props: { space: Space; onClose: () => void }) {
  const [name, setName] = useState(props.space.name);
  const [icon, setIcon] = useState(props.space.icon ?? '');
  const action = useAction();
  return (
    <Dialog title={`Rename ${props.space.name}`} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(() =>
              api.patch(`/api/v1/spaces/${seg(props.space.id)}`, { name: name.trim(), icon: icon.trim() }),
            )
            .then((ok) => {
              if (ok) {
                bump('spaces', 'status');
                props.onClose();
              }
            });
        }}
      >
        <Field label="Name">
          <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Icon" hint="An emoji, or empty for none.">
          <input value={icon} maxLength={8} onInput={(e) => setIcon(e.currentTarget.value)} />
        </Field>
        <DialogActions submit="Save" action={action} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function DeletionList(props: { title: string; items: string[] }) {
  if (props.items.length === 0) return null;
  return (
    <>
      <h3>{props.title}</h3>
      <ul>
        {props.items.map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
    </>
  );
}

function DeleteSpaceDialog(props: { space: Space; onClose: () => void }) {
  // Read once when the dialog opens: refetching after the Space is gone would only answer 404.
  const deletion = useApi<SpaceDeletion>(`/api/v1/spaces/${seg(props.space.id)}/deletion`, []);
  const [confirm, setConfirm] = useState('');
  const action = useAction();
  const id = props.space.id;
  return (
    <Dialog title={`Delete ${props.space.name}`} onClose={props.onClose}>
      {props.space.active ? (
        <p role="alert" class="error">
          {props.space.name} is the active Space. Switch to another Space first, then delete it.
        </p>
      ) : null}
      <p>
        Deleting a Space removes all its server configurations and stored credentials. This cannot be undone.
        Server definitions stay in the registry; only this Space's installations and credentials go.
      </p>
      <Loaded data={deletion.data} error={deletion.error} what="what will be deleted">
        {(d) => {
          const nothing =
            d.installations.length +
              d.featureSets.length +
              d.grants.length +
              d.secrets.length +
              d.pinnedClients.length ===
            0;
          return (
            <section aria-label="What will be deleted" class="deletion">
              {nothing ? <p>Nothing else is stored in this Space.</p> : null}
              <DeletionList title="Server installations" items={d.installations} />
              <DeletionList title="FeatureSets" items={d.featureSets} />
              <DeletionList title="Client grants" items={d.grants.map((g) => `${g.clientId}: ${g.setId}`)} />
              <DeletionList title="Credentials" items={d.secrets.map((s) => `${s.serverId}: ${s.name}`)} />
              <DeletionList
                title="Clients pinned to this Space (they must be re-pinned)"
                items={d.pinnedClients}
              />
            </section>
          );
        }}
      </Loaded>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(() => api.delete(`/api/v1/spaces/${seg(id)}?confirm=${encodeURIComponent(confirm)}`))
            .then((ok) => {
              if (ok) {
                props.onClose();
                bump('spaces', 'status', 'clients', 'grants');
              }
            });
        }}
      >
        <Field label={`Type ${id} to confirm`}>
          <input value={confirm} autoComplete="off" onInput={(e) => setConfirm(e.currentTarget.value)} />
        </Field>
        <ErrorText error={action.error} />
        <div class="actions">
          <button
            type="submit"
            class="danger"
            disabled={action.busy || confirm !== id || props.space.active || deletion.data === undefined}
          >
            Delete Space
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

type Open = { kind: 'create' } | { kind: 'rename'; space: Space } | { kind: 'delete'; space: Space } | null;

/** Spaces: icons, create, rename, switch, delete with a confirmation that names what goes. */
export function SpacesPage() {
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const [open, setOpen] = useState<Open>(null);
  const activate = useAction();
  return (
    <>
      <div class="page-head">
        <h1>Spaces</h1>
        <button type="button" class="primary" onClick={() => setOpen({ kind: 'create' })}>
          Create Space
        </button>
      </div>
      <p class="muted">
        Each Space has its own installed servers, credentials, FeatureSets and client grants. One Space is
        active: clients in “Follow active” mode use it.
      </p>
      <ErrorText error={activate.error} />
      <Loaded data={spaces.data} error={spaces.error} what="Spaces">
        {(list) => (
          <table>
            <TableHead columns={['Space', 'ID', 'Servers', 'Clients', 'Status', '']} />
            <tbody>
              {list.map((s) => (
                <tr key={s.id} aria-current={s.active ? 'true' : undefined}>
                  <th scope="row">
                    <span class="icon" aria-hidden="true">
                      {s.icon ?? '▫️'}
                    </span>{' '}
                    {s.name}
                  </th>
                  <td>
                    <code>{s.id}</code>
                  </td>
                  <td>
                    <a href={href('servers', { space: s.id })}>{s.servers}</a>
                  </td>
                  <td>{s.clients}</td>
                  <td>{s.active ? <span class="badge good">Active</span> : null}</td>
                  <td class="row-actions">
                    {s.active ? null : (
                      <button
                        type="button"
                        disabled={activate.busy}
                        aria-label={`Set ${s.name} active`}
                        onClick={() =>
                          void activate.run(async () => {
                            await api.post(`/api/v1/spaces/${seg(s.id)}/activate`);
                            bump('spaces', 'status', 'servers', 'preview');
                          })
                        }
                      >
                        Set active
                      </button>
                    )}
                    <button
                      type="button"
                      aria-label={`Rename ${s.name}`}
                      onClick={() => setOpen({ kind: 'rename', space: s })}
                    >
                      Rename
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete ${s.name}`}
                      onClick={() => setOpen({ kind: 'delete', space: s })}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      {open?.kind === 'create' ? <CreateSpaceDialog onClose={() => setOpen(null)} /> : null}
      {open?.kind === 'rename' ? (
        <RenameSpaceDialog space={open.space} onClose={() => setOpen(null)} />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteSpaceDialog space={open.space} onClose={() => setOpen(null)} />
      ) : null}
    </>
  );
}
