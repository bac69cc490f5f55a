import { useEffect, useState } from 'preact/hooks';

/** The current route: `#/servers/github?space=work` -> `{ parts: ['servers', 'github'], query }`. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?', 2);
  return {
    parts: path
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p)),
    query: new URLSearchParams(search),
  };
}

/** The current route, re-rendering on navigation. Routes live in the hash, so any path serves the app. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** A link target for a console page: `href('servers', 'github', { space: 'work' })`. */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  const query = new URLSearchParams();
  const path: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') path.push(encodeURIComponent(p));
    else for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') query.set(k, v);
  }
  const q = query.toString();
  return `#/${path.join('/')}${q === '' ? '' : `?${q}`}`;
}

/** Goes to a console page (pushes history, so Back works). */
export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}
