// Loading, empty and error states, the same on every page.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite" data-testid="loading">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <div class="state state-empty" data-testid="empty">
      {children}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: Error | string; retry?: () => void }) {
  const e = typeof error === 'string' ? null : error;
  const message = typeof error === 'string' ? error : error.message;
  const detail = e instanceof ApiError ? [e.status || null, e.code || null].filter(Boolean).join(' · ') : '';
  return (
    <div class="state state-error" role="alert" data-testid="error">
      <div>
        <strong>{e instanceof ApiError && e.status === 403 ? 'Not allowed. ' : ''}</strong>
        {message}
        {detail && <span class="muted"> ({detail})</span>}
      </div>
      {retry && (
        <button type="button" class="btn btn-small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Renders the right state for an Async value, else its children. */
export function Await<T>({
  state,
  children,
  what,
}: {
  state: { data: T | undefined; error: Error | null; loading: boolean; reload: () => void };
  children: (data: T) => ComponentChildren;
  what?: string;
}) {
  if (state.error && state.data === undefined) return <ErrorBox error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return (
    <>
      {state.error && <ErrorBox error={state.error} retry={state.reload} />}
      {children(state.data)}
    </>
  );
}
