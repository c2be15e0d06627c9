// Virtual keys created in this browser tab, for the Playground: kept in
// memory only (never storage), and never rendered after their creation panel
// is closed — the Playground lists them by name and prefix.
import { createStore } from './lib/store';

export interface HeldKey {
  id: string;
  name: string;
  prefix: string;
  workspace: string;
  token: string;
}

export const keyring = createStore<HeldKey[]>([]);

export function holdKey(k: HeldKey) {
  keyring.update((list) => [...list.filter((x) => x.id !== k.id), k]);
}

export function dropKey(id: string) {
  keyring.update((list) => list.filter((x) => x.id !== id));
}

export function forgetKeys() {
  keyring.set([]);
}
