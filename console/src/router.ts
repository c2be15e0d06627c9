// Hash routing: #/logs?status=5xx, so the static host needs no fallback.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments after '#/', decoded. */
  parts: string[];
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { parts, query: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** '#/a/b?x=1' from segments and query values (empty values dropped). */
export function href(parts: string[], query?: Record<string, string | undefined | null>): string {
  const path = parts.map(encodeURIComponent).join('/');
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const q = p.toString();
  return `#/${path}${q ? `?${q}` : ''}`;
}

export function navigate(parts: string[], query?: Record<string, string | undefined | null>) {
  const next = href(parts, query);
  if (location.hash !== next) location.hash = next;
}
