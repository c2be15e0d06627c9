// A destructive action behind a second, explicit click (no modal dialog).
import { useState } from 'preact/hooks';

export function ConfirmButton({
  label,
  confirm = `Confirm ${label.toLowerCase()}`,
  onConfirm,
  testid,
  disabled,
  danger = true,
}: {
  label: string;
  confirm?: string;
  onConfirm: () => Promise<unknown> | void;
  testid?: string;
  disabled?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!asking)
    return (
      <span class="confirm">
        <button type="button" class={`btn btn-small ${danger ? 'btn-danger-outline' : ''}`} disabled={disabled} data-testid={testid} onClick={() => setAsking(true)}>
          {label}
        </button>
        {error && (
          <span class="error-text" role="alert">
            {error}
          </span>
        )}
      </span>
    );
  return (
    <span class="confirm" role="group" aria-label={confirm}>
      <button
        type="button"
        class={`btn btn-small ${danger ? 'btn-danger' : 'btn-primary'}`}
        disabled={busy}
        data-testid={testid ? `${testid}-confirm` : undefined}
        ref={(el) => el?.focus()}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await onConfirm();
          } catch (e: any) {
            setError(e?.message ?? String(e));
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {busy ? 'Working…' : confirm}
      </button>
      <button type="button" class="btn btn-small" onClick={() => setAsking(false)} data-testid={testid ? `${testid}-cancel` : undefined}>
        Cancel
      </button>
    </span>
  );
}
