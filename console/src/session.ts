// The signed-in principal: read from GET /admin/session on load, set by
// POST /admin/session (login), cleared by DELETE /admin/session (logout).
// The cookie is HttpOnly (the app never sees it); the CSRF token is kept in
// memory by api.ts only.
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from './api';
import { createStore } from './lib/store';
import { forgetKeys } from './keyring';

export type Role = 'super_admin' | 'owner' | 'admin' | 'developer' | 'viewer';

export interface Principal {
  kind: 'master' | 'token' | 'member';
  id: string;
  name: string;
  workspace_id: string | null;
  role: Role;
  read_bodies: boolean;
  email: string | null;
}

interface SessionBody {
  object: 'session';
  principal: Principal;
  csrf_token: string;
  expires_at: number;
}

export interface SessionState {
  status: 'loading' | 'anonymous' | 'authenticated';
  principal: Principal | null;
  expiresAt: number | null;
  /** Why the user is on the login page (expired session, failed check). */
  notice: string | null;
}

export const session = createStore<SessionState>({ status: 'loading', principal: null, expiresAt: null, notice: null });

function accept(body: SessionBody) {
  setCsrfToken(body.csrf_token);
  session.set({ status: 'authenticated', principal: body.principal, expiresAt: body.expires_at, notice: null });
}

function anonymous(notice: string | null) {
  setCsrfToken(null);
  forgetKeys();
  session.set({ status: 'anonymous', principal: null, expiresAt: null, notice });
}

/** On load: a valid cookie (or Cloudflare Access) signs in directly. */
export async function loadSession() {
  try {
    accept(await api<SessionBody>('GET', '/admin/session'));
  } catch (e) {
    const notice = e instanceof ApiError && e.status !== 401 ? e.message : null;
    anonymous(notice);
  }
}

/** Throws ApiError (401 for a wrong token). */
export async function login(token: string) {
  accept(await api<SessionBody>('POST', '/admin/session', { token }));
}

export async function logout() {
  try {
    await api('DELETE', '/admin/session');
  } finally {
    anonymous(null);
  }
}

setUnauthorizedHandler(() => {
  if (session.get().status === 'authenticated') anonymous('Your session has ended. Sign in again.');
});
