// The shell: login page or the app (header, navigation, current page).
import { useEffect } from 'preact/hooks';
import { Loading } from './components/States';
import { Login } from './pages/Login';
import { Shell } from './Shell';
import { session } from './session';
import { useStore } from './lib/store';
import { loadWorkspaces } from './workspace';

export function App() {
  const s = useStore(session);
  useEffect(() => {
    if (s.status === 'authenticated') loadWorkspaces();
  }, [s.status, s.principal?.id]);
  if (s.status === 'loading')
    return (
      <div class="center-page">
        <Loading what="Checking your session" />
      </div>
    );
  if (s.status === 'anonymous' || !s.principal) return <Login notice={s.notice} />;
  return <Shell principal={s.principal} />;
}
