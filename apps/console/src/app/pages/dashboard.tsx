import { useApi } from '../hooks';
import { href } from '../router';
import type { Space, Status } from '../types';
import { Loaded, StateBadge, TableHead } from '../ui';

/** Calls and errors per minute as bars, with the totals in text (the chart is decoration). */
function MinuteChart(props: { minutes: Status['minutes'] }) {
  const minutes = props.minutes.slice(-60);
  const calls = minutes.reduce((n, m) => n + m.calls, 0);
  const errors = minutes.reduce((n, m) => n + m.errors, 0);
  const peak = Math.max(1, ...minutes.map((m) => m.calls));
  const width = 600;
  const bar = width / Math.max(60, minutes.length);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} 100`}
        role="img"
        aria-label={`Calls per minute, last hour: ${calls} calls, ${errors} errors`}
      >
        {minutes.map((m, i) => {
          const h = (m.calls / peak) * 96;
          const e = (m.errors / peak) * 96;
          return (
            <g key={m.minute}>
              <rect class="calls" x={i * bar} y={100 - h} width={Math.max(1, bar - 1)} height={h} />
              <rect class="errors" x={i * bar} y={100 - e} width={Math.max(1, bar - 1)} height={e} />
            </g>
          );
        })}
      </svg>
      <figcaption>
        Last hour: <strong>{calls}</strong> calls, <strong>{errors}</strong> errors
        {minutes.length > 0 ? ` (peak ${peak} calls in one minute)` : ''}.
      </figcaption>
    </figure>
  );
}

/** Dashboard: gateway health, upstream states, sessions per client, calls and errors per minute. */
export function DashboardPage() {
  const status = useApi<Status>('/api/v1/status', ['status']);
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const nameOf = (id: string) => {
    const s = spaces.data?.find((x) => x.id === id);
    return s === undefined ? id : `${s.icon ? `${s.icon} ` : ''}${s.name}`;
  };
  return (
    <>
      <h1>Dashboard</h1>
      <Loaded data={status.data} error={status.error} what="gateway status">
        {(s) => {
          const failing = s.upstreams.filter((u) => u.state !== 'ready');
          const sessions = Object.entries(s.sessionsByClient).sort(([a], [b]) => a.localeCompare(b));
          return (
            <>
              <section aria-labelledby="health">
                <h2 id="health">Gateway health</h2>
                <dl class="facts">
                  <div>
                    <dt>Gateway</dt>
                    <dd>
                      <StateBadge state="ok" /> version {s.version}
                    </dd>
                  </div>
                  <div>
                    <dt>Active Space</dt>
                    <dd>{s.activeSpaceId === null ? 'none' : nameOf(s.activeSpaceId)}</dd>
                  </div>
                  <div>
                    <dt>Upstreams</dt>
                    <dd>
                      {s.upstreams.length} ({failing.length} not ready)
                    </dd>
                  </div>
                  <div>
                    <dt>Open sessions</dt>
                    <dd>{sessions.reduce((n, [, c]) => n + c, 0)}</dd>
                  </div>
                </dl>
              </section>
              <section aria-labelledby="upstreams">
                <h2 id="upstreams">Upstream servers</h2>
                {s.upstreams.length === 0 ? (
                  <p class="muted">
                    No server is running. <a href={href('servers')}>Install a server</a> into the active
                    Space.
                  </p>
                ) : (
                  <table>
                    <TableHead
                      columns={[
                        'Server',
                        'Space',
                        'State',
                        'Restarts',
                        'Tools',
                        'Prompts',
                        'Resources',
                        'Last error',
                      ]}
                    />
                    <tbody>
                      {s.upstreams.map((u) => (
                        <tr key={`${u.spaceId}/${u.serverId}`}>
                          <th scope="row">
                            <a href={href('servers', u.serverId, { space: u.spaceId })}>{u.serverId}</a>
                          </th>
                          <td>{nameOf(u.spaceId)}</td>
                          <td>
                            <StateBadge state={u.state} />
                          </td>
                          <td>{u.restarts}</td>
                          <td>{u.tools}</td>
                          <td>{u.prompts}</td>
                          <td>{u.resources}</td>
                          <td class="wrap">{u.lastError ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section aria-labelledby="sessions">
                <h2 id="sessions">Sessions per client</h2>
                {sessions.length === 0 ? (
                  <p class="muted">No client is connected.</p>
                ) : (
                  <table>
                    <TableHead columns={['Client', 'Sessions']} />
                    <tbody>
                      {sessions.map(([id, n]) => (
                        <tr key={id}>
                          <th scope="row">
                            <a href={href('clients', id)}>{id}</a>
                          </th>
                          <td>{n}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section aria-labelledby="calls">
                <h2 id="calls">Calls and errors per minute</h2>
                <MinuteChart minutes={s.minutes} />
              </section>
            </>
          );
        }}
      </Loaded>
    </>
  );
}
