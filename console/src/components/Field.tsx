// Form pieces with real labels.
import type { ComponentChildren } from 'preact';

let next = 0;
export const newId = (prefix = 'f') => `${prefix}-${++next}`;

export function Field({ label, id, hint, children, wide }: { label: string; id: string; hint?: ComponentChildren; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class={`field${wide ? ' field-wide' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && <div class="hint" id={`${id}-hint`}>{hint}</div>}
    </div>
  );
}

export function Check({ label, checked, onChange, testid }: { label: string; checked: boolean; onChange: (v: boolean) => void; testid?: string }) {
  return (
    <label class="check">
      <input type="checkbox" checked={checked} data-testid={testid} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
      {label}
    </label>
  );
}

export function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <div class="form-error" role="alert" data-testid="form-error">
      {error}
    </div>
  );
}
