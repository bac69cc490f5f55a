import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, isLoginExpired, onLoginExpired, seg } from './api';
import { useApi } from './hooks';
import { bump, startLive, stopLive } from './live';
import { ActivityPage } from './pages/activity';
import { ClientDetailPage, ClientsPage } from './pages/clients';
import { ConsentPage } from './pages/consent';
import { DashboardPage } from './pages/dashboard';
import { FeatureSetDetailPage, FeatureSetsPage } from './pages/featuresets';
import { ServerDetailPage, ServersPage } from './pages/servers';
import { SpacesPage } from './pages/spaces';
import { href, useRoute } from './router';
import type { Space } from './types';
import { ErrorText, Field, useAction } from './ui';
import './styles.css';

const NAV: { label: string; path: string }[] = [
  { label: 'Dashboard', path: '' },
  { label: 'Spaces', path: 'spaces' },
  { label: 'Servers', path: 'servers' },
  { label: 'FeatureSets', path: 'featuresets' },
  { label: 'Clients', path: 'clients' },
  { label: 'Activity', path: 'activity' },
];

/** The header's switcher: which Space is active for follow-active clients. */
function ActiveSpaceSwitcher() {
  const spaces = useApi<Space[]>('/api/v1/spaces', ['spaces']);
  const action = useAction();
  const active = spaces.data?.find((s) => s.active);
  return (
    <div class="switcher">
      <Field label="Active Space" class="picker">
        <select
          value={active?.id ?? ''}
          disabled={spaces.data === undefined || action.busy}
          onChange={(e) => {
            const id = e.currentTarget.value;
            void action.run(async () => {
              await api.post(`/api/v1/spaces/${seg(id)}/activate`);
              bump('spaces', 'status', 'servers', 'preview');
            });
          }}
        >
          {active === undefined ? <option value="">(none)</option> : null}
          {(spaces.data ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.icon ? `${s.icon} ` : ''}
              {s.name}
            </option>
          ))}
        </select>
      </Field>
      <ErrorText error={action.error} />
    </div>
  );
}

function LoginExpired() {
  return (
    <main id="main" class="login-expired">
      <h1>Login expired</h1>
      <p>
        Your console session has expired or this browser is not logged in. Run <code>mcpmux ui</code> in a
        terminal for a new login link, then open it.
        {location.hash.startsWith('#/consent/') ? ' Then reload this page to finish signing in the app.' : ''}
      </p>
    </main>
  );
}

function Page() {
  const route = useRoute();
  const [first = '', second] = route.parts;
  const q = route.query;
  switch (first) {
    case '':
      return <DashboardPage />;
    case 'spaces':
      return <SpacesPage />;
    case 'servers':
      return second === undefined ? (
        <ServersPage space={q.get('space')} />
      ) : (
        <ServerDetailPage serverId={second} space={q.get('space')} />
      );
    case 'featuresets':
      return second === undefined ? (
        <FeatureSetsPage space={q.get('space')} client={q.get('client')} />
      ) : (
        <FeatureSetDetailPage setId={second} space={q.get('space')} client={q.get('client')} />
      );
    case 'clients':
      return second === undefined ? <ClientsPage /> : <ClientDetailPage clientId={second} />;
    case 'activity':
      return <ActivityPage />;
    case 'consent':
      return <ConsentPage requestId={second ?? ''} />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page here. Go to the <a href={href()}>dashboard</a>.
          </p>
        </>
      );
  }
}

function App() {
  const [expired, setExpired] = useState(isLoginExpired());
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    const off = onLoginExpired(() => {
      stopLive();
      setExpired(true);
    });
    startLive();
    return off;
  }, []);
  const section = route.parts[0] ?? '';
  // Move focus to the page after navigating (not on first load), so keyboard users start there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route.parts.join('/')]);
  if (expired) return <LoginExpired />;
  return (
    <>
      <header class="top">
        <a class="brand" href={href()}>
          mcpmux
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={href(n.path)} aria-current={section === n.path ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <ActiveSpaceSwitcher />
        <button
          type="button"
          class="quiet"
          onClick={() => {
            void api.logout().finally(() => {
              stopLive();
              setExpired(true);
            });
          }}
        >
          Log out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
