import { useState } from 'preact/hooks';
import { api } from '../api';
import { useApi } from '../hooks';
import type { AuditEntry, Client, Space } from '../types';
import { ErrorText, Field, Loaded, TableHead, useAction, when } from '../ui';

interface Filters {
  client: string;
  space: string;
  server: string;
  decision: string;
  outcome: string;
}

const EMPTY: Filters = { client: '', space: '', server: '', decision: '', outcome: '' };

function query(f: Filters, before?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== '') q.set(k, v);
  q.set('limit', '100');
  if (before !== undefined) q.set('before', before);
  return `/api/v1/audit?${q}`;
}

/** Activity: the audit log, newest first, filterable, live (new calls appear as they happen). */
export function ActivityPage() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [done, setDone] = useState(false);
  const audit = useApi<AuditEntry[]>(query(filters), ['audit']);
  const clients = useApi<Client[]>('/api/v1/clients', ['clients']);
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const more = useAction();
  const set = (k: keyof Filters) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => {
    setOlder([]);
    setDone(false);
    setFilters({ ...filters, [k]: e.currentTarget.value });
  };
  const entries = [...(audit.data ?? []), ...older];
  return (
    <>
      <h1>Activity</h1>
      <form class="filters" aria-label="Filter activity" onSubmit={(e) => e.preventDefault()}>
        <Field label="Client">
          <select value={filters.client} onChange={set('client')}>
            <option value="">any</option>
            {(clients.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Space">
          <select value={filters.space} onChange={set('space')}>
            <option value="">any</option>
            {(spaces.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Server">
          <input value={filters.server} placeholder="server id" onChange={set('server')} />
        </Field>
        <Field label="Decision">
          <select value={filters.decision} onChange={set('decision')}>
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
        </Field>
        <Field label="Outcome">
          <select value={filters.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="timeout">timeout</option>
          </select>
        </Field>
      </form>
      <Loaded data={audit.data} error={audit.error} what="activity">
        {() =>
          entries.length === 0 ? (
            <p class="muted">No activity matches. Calls through the gateway appear here as they happen.</p>
          ) : (
            <>
              <table aria-label="Audit log">
                <TableHead
                  columns={['When', 'Client', 'Space', 'Action', 'Feature', 'Decision', 'Outcome', 'ms']}
                />
                <tbody>
                  {entries.map((e, i) => (
                    <tr key={`${e.at}/${i}`}>
                      <td>{when(e.at)}</td>
                      <td>{e.clientId}</td>
                      <td>{e.spaceId ?? ''}</td>
                      <td>{e.action}</td>
                      <td>{e.feature === undefined ? '' : `${e.feature.server}/${e.feature.name}`}</td>
                      <td>
                        <span class={`badge ${e.decision === 'deny' ? 'bad' : 'good'}`}>{e.decision}</span>
                      </td>
                      <td>
                        <span class={`badge ${e.outcome === 'ok' ? 'good' : 'bad'}`}>{e.outcome}</span>
                      </td>
                      <td>{e.durationMs}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {done ? null : (
                <button
                  type="button"
                  disabled={more.busy}
                  onClick={() =>
                    void more.run(async () => {
                      const last = entries[entries.length - 1];
                      const page = await api.get<AuditEntry[]>(query(filters, last?.at));
                      if (page.length === 0) setDone(true);
                      setOlder([...older, ...page]);
                    })
                  }
                >
                  Load older
                </button>
              )}
              <ErrorText error={more.error} />
            </>
          )
        }
      </Loaded>
    </>
  );
}
