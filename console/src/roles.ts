// What the signed-in principal may do, mirroring the gateway's roles. The
// gateway enforces them (403 naming the role needed); the app only hides or
// disables what would be refused.
import type { Principal, Role } from './session';

const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3, super_admin: 4 };

export function atLeast(p: Principal | null, role: Role): boolean {
  return !!p && RANK[p.role] >= RANK[role];
}

export const can = {
  /** Virtual keys that only narrow: name, expiry, model and provider allowlists. */
  createKey: (p: Principal | null) => atLeast(p, 'developer'),
  /** Agent, department, rate limit and policy on keys. */
  keyLimits: (p: Principal | null) => atLeast(p, 'admin'),
  /** Create, version and delete routers; create and version prompts. */
  editConfig: (p: Principal | null) => atLeast(p, 'developer'),
  /** Provider keys, policies, budgets, domains, cache purge, deletions. */
  administer: (p: Principal | null) => atLeast(p, 'admin'),
  /** Workspace tokens and members. */
  manageAccess: (p: Principal | null) => atLeast(p, 'owner'),
  /** Archived request and response bodies. */
  readBodies: (p: Principal | null) => atLeast(p, 'admin') || !!p?.read_bodies,
  /** Every workspace (the master key). */
  allWorkspaces: (p: Principal | null) => p?.role === 'super_admin',
};

export const ROLE_LABEL: Record<Role, string> = {
  super_admin: 'super admin',
  owner: 'owner',
  admin: 'admin',
  developer: 'developer',
  viewer: 'viewer',
};
