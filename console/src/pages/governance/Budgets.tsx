// Budgets with their live state this period: spent, reserved, remaining.
import { useState } from 'preact/hooks';
import { del, get, List, post, wsPath } from '../../api';
import { BudgetBar, Section } from '../../components/Bits';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Field, FormError } from '../../components/Field';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { fmtPct, fmtUsd } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { can } from '../../roles';
import type { PageProps } from '../../Shell';

interface Budget {
  id: string;
  scope_type: string;
  scope_id: string;
  period: string;
  limit_usd?: number;
  limit_nanos: number;
  soft_threshold: number | null;
  unpriced: string;
  current_period?: string;
  spent_usd?: number;
  reserved_usd?: number;
  remaining_usd?: number;
}

export function Budgets({ ws, principal }: PageProps) {
  const budgets = useAsync((signal) => get<List<Budget>>(wsPath(ws, '/budgets'), undefined, signal), [ws]);
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState({ scope_type: 'workspace', scope_id: '', period: 'monthly', limit_usd: '', soft_threshold: '', unpriced: 'refuse' });
  const [error, setError] = useState<string | null>(null);
  const admin = can.administer(principal);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <Section
      title="Budgets"
      testid="budgets"
      actions={
        admin && !adding ? (
          <button type="button" class="btn" onClick={() => setAdding(true)} data-testid="budget-add-open">
            Add budget
          </button>
        ) : null
      }
    >
      {adding && (
        <form
          class="form form-inline-card"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            const body: Record<string, unknown> = { scope_type: f.scope_type, period: f.period, limit_usd: Number(f.limit_usd), unpriced: f.unpriced };
            if (f.scope_type !== 'workspace') body.scope_id = f.scope_id.trim();
            if (f.soft_threshold) body.soft_threshold = Number(f.soft_threshold) / 100;
            try {
              await post(wsPath(ws, '/budgets'), body);
              setAdding(false);
              budgets.reload();
            } catch (err: any) {
              setError(err.param ? `${err.param}: ${err.message}` : err.message);
            }
          }}
        >
          <div class="form-grid">
            <Field label="Scope" id="b-scope">
              <select id="b-scope" value={f.scope_type} onChange={set('scope_type')}>
                {['workspace', 'key', 'agent', 'department'].map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </Field>
            {f.scope_type !== 'workspace' && (
              <Field label={f.scope_type === 'key' ? 'Key id' : f.scope_type === 'agent' ? 'Agent id' : 'Department'} id="b-id">
                <input id="b-id" required value={f.scope_id} onInput={set('scope_id')} />
              </Field>
            )}
            <Field label="Period" id="b-period">
              <select id="b-period" value={f.period} onChange={set('period')}>
                {['daily', 'weekly', 'monthly', 'total'].map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </Field>
            <Field label="Limit (USD)" id="b-limit">
              <input id="b-limit" type="number" min="0" step="0.01" required value={f.limit_usd} onInput={set('limit_usd')} />
            </Field>
            <Field label="Soft threshold (%)" id="b-soft" hint="Audit event (and webhook) once per period when crossed.">
              <input id="b-soft" type="number" min="0" max="100" value={f.soft_threshold} onInput={set('soft_threshold')} />
            </Field>
            <Field label="Models without a price" id="b-unpriced">
              <select id="b-unpriced" value={f.unpriced} onChange={set('unpriced')}>
                <option value="refuse">refuse</option>
                <option value="allow">allow at zero cost</option>
              </select>
            </Field>
          </div>
          <FormError error={error} />
          <div class="form-actions">
            <button class="btn btn-primary">Add budget</button>
            <button type="button" class="btn" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <Await state={budgets} what="Loading budgets">
        {(l) => (
          <Table
            rows={l.data}
            rowKey={(b) => b.id}
            testid="budget-table"
            empty="No budgets: spending is not capped."
            columns={[
              { key: 'scope', label: 'Scope', sort: (b) => `${b.scope_type}/${b.scope_id}`, render: (b) => <span>{b.scope_type} <code>{b.scope_id}</code></span> },
              { key: 'period', label: 'Period', render: (b) => `${b.period}${b.current_period ? ` (${b.current_period})` : ''}` },
              { key: 'limit_usd', label: 'Limit', align: 'right', sort: (b) => b.limit_nanos, render: (b) => fmtUsd(b.limit_usd ?? b.limit_nanos / 1e9) },
              {
                key: 'usage',
                label: 'Spent · reserved',
                sort: (b) => ((b.spent_usd ?? 0) + (b.reserved_usd ?? 0)) / Math.max(1e-12, b.limit_usd ?? b.limit_nanos / 1e9),
                render: (b) => {
                  const limit = b.limit_usd ?? b.limit_nanos / 1e9;
                  if (b.spent_usd === undefined) return <span class="muted">ledger unavailable</span>;
                  return (
                    <div class="budget-cell">
                      <BudgetBar spent={b.spent_usd} reserved={b.reserved_usd ?? 0} limit={limit} />
                      <span class="muted">
                        {fmtUsd(b.spent_usd)} spent · {fmtUsd(b.reserved_usd)} reserved
                      </span>
                    </div>
                  );
                },
              },
              { key: 'remaining_usd', label: 'Remaining', align: 'right', render: (b) => fmtUsd(b.remaining_usd) },
              { key: 'soft_threshold', label: 'Soft', align: 'right', render: (b) => (b.soft_threshold === null ? '—' : fmtPct(b.soft_threshold)) },
              { key: 'unpriced', label: 'Unpriced' },
              {
                key: 'actions',
                label: 'Actions',
                sort: false,
                render: (b) =>
                  admin ? (
                    <ConfirmButton
                      label="Delete"
                      onConfirm={async () => {
                        await del(wsPath(ws, `/budgets/${encodeURIComponent(b.id)}`));
                        budgets.reload();
                      }}
                    />
                  ) : null,
              },
            ]}
          />
        )}
      </Await>
      <p class="legend">
        <span class="swatch swatch-spent" /> spent <span class="swatch swatch-reserved" /> reserved by requests in flight
      </p>
    </Section>
  );
}
