// The workspace the console shows: a token's own, or the one the master key
// picked (remembered in localStorage: an id, not a secret).
import { get, List } from './api';
import { createStore } from './lib/store';
import { session } from './session';

export interface Workspace {
  id: string;
  name: string;
  created_at?: number;
}

export interface WorkspaceState {
  current: string | null;
  list: Workspace[];
  error: string | null;
}

const REMEMBER = 'alephant.console.workspace';

export const workspaces = createStore<WorkspaceState>({ current: null, list: [], error: null });

export async function loadWorkspaces() {
  const p = session.get().principal;
  if (!p) return;
  try {
    const l = await get<List<Workspace>>('/admin/workspaces', { limit: 1000 });
    const list = l.data ?? [];
    let current = p.workspace_id;
    if (!current) {
      const remembered = safeGet(REMEMBER);
      current = list.find((w) => w.id === remembered)?.id ?? list[0]?.id ?? null;
    }
    workspaces.set({ current, list, error: null });
  } catch (e: any) {
    // A token may not list workspaces: it still knows its own.
    workspaces.set({
      current: p.workspace_id,
      list: p.workspace_id ? [{ id: p.workspace_id, name: p.workspace_id }] : [],
      error: p.workspace_id ? null : e.message,
    });
  }
}

export function selectWorkspace(id: string) {
  safeSet(REMEMBER, id);
  workspaces.update((s) => ({ ...s, current: id }));
}

function safeGet(k: string): string | null {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
}
function safeSet(k: string, v: string) {
  try {
    localStorage.setItem(k, v);
  } catch {
    /* private mode */
  }
}
