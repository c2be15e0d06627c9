// Header with workspace and principal, the side navigation, and the page
// the hash names.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Badge } from './components/Bits';
import { Empty, ErrorBox, Loading } from './components/States';
import { TIME_ZONE } from './lib/format';
import { useStore } from './lib/store';
import { can, ROLE_LABEL } from './roles';
import { href, useRoute } from './router';
import { logout, Principal } from './session';
import { selectWorkspace, workspaces } from './workspace';
import { CreateWorkspace } from './pages/CreateWorkspace';
import { Overview } from './pages/Overview';
import { Logs } from './pages/Logs';
import { LogDetail } from './pages/LogDetail';
import { Sessions } from './pages/Sessions';
import { SessionDetail } from './pages/SessionDetail';
import { Keys } from './pages/Keys';
import { Governance } from './pages/Governance';
import { Routers } from './pages/Routers';
import { RouterDetail } from './pages/RouterDetail';
import { Prompts } from './pages/Prompts';
import { PromptDetail } from './pages/PromptDetail';
import { Cache } from './pages/Cache';
import { Domains } from './pages/Domains';
import { Audit } from './pages/Audit';
import { Playground } from './pages/Playground';

export interface PageProps {
  ws: string;
  principal: Principal;
  id?: string;
  query: URLSearchParams;
}

const PAGES: [string, string][] = [
  ['overview', 'Overview'],
  ['logs', 'Logs'],
  ['sessions', 'Sessions & runs'],
  ['keys', 'Keys & access'],
  ['governance', 'Governance'],
  ['routers', 'Routers'],
  ['prompts', 'Prompts'],
  ['cache', 'Cache'],
  ['domains', 'Domains'],
  ['audit', 'Audit events'],
  ['playground', 'Playground'],
];

function page(name: string, props: PageProps): ComponentChildren {
  const detail = !!props.id;
  switch (name) {
    case 'overview':
      return <Overview {...props} />;
    case 'logs':
      return detail ? <LogDetail {...props} id={props.id!} /> : <Logs {...props} />;
    case 'sessions':
      return detail ? <SessionDetail {...props} id={props.id!} /> : <Sessions {...props} />;
    case 'keys':
      return <Keys {...props} />;
    case 'governance':
      return <Governance {...props} />;
    case 'routers':
      return detail ? <RouterDetail {...props} id={props.id!} /> : <Routers {...props} />;
    case 'prompts':
      return detail ? <PromptDetail {...props} id={props.id!} /> : <Prompts {...props} />;
    case 'cache':
      return <Cache {...props} />;
    case 'domains':
      return <Domains {...props} />;
    case 'audit':
      return <Audit {...props} />;
    case 'playground':
      return <Playground {...props} />;
    default:
      return (
        <Empty>
          No page “{name}”. <a href="#/overview">Go to the overview</a>.
        </Empty>
      );
  }
}

export function Shell({ principal }: { principal: Principal }) {
  const route = useRoute();
  const w = useStore(workspaces);
  const [leaving, setLeaving] = useState(false);
  const name = route.parts[0] ?? 'overview';
  const current = w.list.find((x) => x.id === w.current);
  return (
    <div class="layout" data-testid="app-shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/overview">
          <span class="brand-mark" aria-hidden="true">◆</span> Alephant <span class="muted">console</span>
        </a>
        <div class="topbar-ws">
          {can.allWorkspaces(principal) ? (
            <label class="ws-picker">
              <span>Workspace</span>
              <select
                value={w.current ?? ''}
                data-testid="workspace-picker"
                onChange={(e) => selectWorkspace((e.target as HTMLSelectElement).value)}
              >
                {w.list.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name} ({x.id})
                  </option>
                ))}
                {!w.list.length && <option value="">No workspaces</option>}
              </select>
            </label>
          ) : (
            <span class="ws-name" data-testid="workspace-name">
              <span class="muted">Workspace</span> {current?.name && current.name !== w.current ? `${current.name} · ` : ''}
              <code>{w.current}</code>
            </span>
          )}
        </div>
        <div class="topbar-user">
          <span class="who" data-testid="principal">
            {principal.email ?? principal.name ?? principal.id} <Badge tone="info">{ROLE_LABEL[principal.role]}</Badge>
          </span>
          <button
            type="button"
            class="btn btn-small"
            data-testid="logout"
            disabled={leaving}
            onClick={async () => {
              setLeaving(true);
              try {
                await logout();
              } finally {
                setLeaving(false);
              }
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <nav class="sidenav" aria-label="Pages">
        <ul>
          {PAGES.map(([id, label]) => (
            <li key={id}>
              <a href={href([id])} class={name === id ? 'active' : undefined} aria-current={name === id ? 'page' : undefined} data-testid={`nav-${id}`}>
                {label}
              </a>
            </li>
          ))}
        </ul>
        <p class="tz-note">Times in {TIME_ZONE}</p>
      </nav>
      <main id="main" tabIndex={-1} class="main" data-testid={`page-${name}`}>
        {w.error && !w.current ? (
          <ErrorBox error={w.error} />
        ) : !w.current ? (
          w.list.length === 0 && can.allWorkspaces(principal) ? (
            <CreateWorkspace />
          ) : (
            <Loading what="Loading workspaces" />
          )
        ) : (
          <div key={`${w.current}/${name}/${route.parts[1] ?? ''}`}>
            {page(name, { ws: w.current, principal, id: route.parts[1], query: route.query })}
          </div>
        )}
      </main>
    </div>
  );
}
