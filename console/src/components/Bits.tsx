// Small display pieces: badges, key-value lists, stat cards, bars, tabs.
import type { ComponentChildren } from 'preact';

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'ok' | 'warn' | 'bad' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function StatusBadge({ status }: { status: number | null | undefined }) {
  if (status === null || status === undefined) return <Badge>—</Badge>;
  const tone = status < 300 ? 'ok' : status < 400 ? 'info' : status === 429 || status === 499 ? 'warn' : 'bad';
  return <Badge tone={tone}>{status}</Badge>;
}

export function KeyValues({ items, testid }: { items: [string, ComponentChildren][]; testid?: string }) {
  return (
    <dl class="kv" data-testid={testid}>
      {items.map(([k, v]) => (
        <div class="kv-row" key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? <span class="muted">—</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Stat({ label, value, sub, testid }: { label: string; value: ComponentChildren; sub?: ComponentChildren; testid?: string }) {
  return (
    <div class="stat" data-testid={testid}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class="stat-sub">{sub}</div>}
    </div>
  );
}

/** Spent / reserved / remaining of a limit as one stacked bar. */
export function BudgetBar({ spent, reserved, limit }: { spent: number; reserved: number; limit: number }) {
  const pct = (v: number) => (limit > 0 ? Math.min(100, Math.max(0, (v / limit) * 100)) : v > 0 ? 100 : 0);
  const s = pct(spent);
  const r = Math.min(100 - s, pct(reserved));
  const tone = s + r >= 100 ? 'bad' : s + r >= 80 ? 'warn' : 'ok';
  return (
    <div
      class={`bar bar-${tone}`}
      role="meter"
      aria-valuemin={0}
      aria-valuemax={limit}
      aria-valuenow={spent + reserved}
      aria-label={`${Math.round(s + r)}% used`}
    >
      <span class="bar-spent" style={{ width: `${s}%` }} />
      <span class="bar-reserved" style={{ width: `${r}%` }} />
    </div>
  );
}

export function Tabs<T extends string>({ tabs, current, onChange, label }: { tabs: [T, string][]; current: T; onChange: (t: T) => void; label: string }) {
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map(([id, text]) => (
        <button
          type="button"
          role="tab"
          key={id}
          aria-selected={current === id}
          class={`tab${current === id ? ' tab-active' : ''}`}
          data-testid={`tab-${id}`}
          onClick={() => onChange(id)}
        >
          {text}
        </button>
      ))}
    </div>
  );
}

export function Section({ title, actions, children, testid }: { title: string; actions?: ComponentChildren; children: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={testid} aria-label={title}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{title}</h1>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}

export function Json({ value, testid }: { value: unknown; testid?: string }) {
  return (
    <pre class="json" data-testid={testid}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}
