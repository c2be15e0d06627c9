// The fetch wrapper every admin call goes through: same-origin cookie
// credentials, the CSRF header on every non-GET call, and the gateway's
// error shape {"error":{"message","type","code","param"}} turned into ApiError.
// The CSRF token lives in this module's memory only (never in storage).

export class ApiError extends Error {
  status: number;
  type: string;
  code: string;
  param: string | null;
  constructor(status: number, message: string, type = 'api_error', code = '', param: string | null = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

/** Called when an admin call answers 401 (the session expired). */
export function setUnauthorizedHandler(fn: (() => void) | null) {
  onUnauthorized = fn;
}

export type Query = Record<string, string | number | boolean | null | undefined | (string | number)[]>;

/** `?a=1&b=x&b=y`, skipping empty values. */
export function qs(query?: Query): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `/admin/workspaces/{ws}{rest}` */
export function wsPath(ws: string, rest = ''): string {
  return `/admin/workspaces/${encodeURIComponent(ws)}${rest}`;
}

export interface CallOptions {
  signal?: AbortSignal;
  query?: Query;
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let r: Response;
  try {
    r = await fetch(path + qs(opts.query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e: any) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, `The gateway could not be reached (${e?.message ?? e}).`, 'network_error', 'network_error');
  }
  if (r.status === 204) return null as T;
  const text = await r.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    const e = json?.error;
    const err = new ApiError(
      r.status,
      e?.message ?? `The gateway answered ${r.status} ${r.statusText || ''}`.trim(),
      e?.type,
      e?.code ?? '',
      e?.param ?? null,
    );
    if (r.status === 401 && !path.startsWith('/admin/session')) onUnauthorized?.();
    throw err;
  }
  return json as T;
}

export const get = <T = any>(path: string, query?: Query, signal?: AbortSignal) => api<T>('GET', path, undefined, { query, signal });
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T = any>(path: string) => api<T>('DELETE', path);

export interface List<T> {
  object: 'list';
  data: T[];
  next_cursor?: string | null;
}
