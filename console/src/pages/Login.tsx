// Sign in with a workspace token (wt-…) or the master key. The token is sent
// once to POST /admin/session and never kept: the session is an HttpOnly cookie.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { login } from '../session';

export function Login({ notice }: { notice: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="center-page">
      <form
        class="login card"
        data-testid="login-page"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await login(token.trim());
            setToken('');
          } catch (err: any) {
            setError(
              err instanceof ApiError && err.status === 401
                ? `That token was not accepted: ${err.message}`
                : err?.message ?? String(err),
            );
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>
          <span class="brand-mark" aria-hidden="true">◆</span> Alephant console
        </h1>
        <p class="muted">Sign in with a workspace token or the gateway's master key.</p>
        {notice && (
          <div class="notice" role="status">
            {notice}
          </div>
        )}
        <div class="field">
          <label for="login-token">Token</label>
          <input
            id="login-token"
            type="password"
            autoComplete="off"
            placeholder="wt-… or master key"
            required
            value={token}
            data-testid="login-token"
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
        </div>
        {error && (
          <div class="form-error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button class="btn btn-primary btn-block" disabled={busy || !token.trim()} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">With Cloudflare Access in front of the gateway you are signed in directly.</p>
      </form>
    </div>
  );
}
