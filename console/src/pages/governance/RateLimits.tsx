// Every rate limit in force: from scope policies and from virtual keys.
import { get, List, wsPath } from '../../api';
import { Section } from '../../components/Bits';
import { Await } from '../../components/States';
import { Table } from '../../components/Table';
import { describeRateLimit } from '../../lib/rateLimit';
import { useAsync } from '../../lib/useAsync';
import type { PageProps } from '../../Shell';
import type { VirtualKey } from '../keys/VirtualKeys';
import type { PolicyRow } from './Policies';

interface Limit {
  scope: string;
  id: string;
  rule: string | null;
  concurrency: number | null;
}

export function RateLimits({ ws }: PageProps) {
  const limits = useAsync(async (signal) => {
    const [policies, keys] = await Promise.all([
      get<List<PolicyRow>>(wsPath(ws, '/policies'), undefined, signal),
      get<List<VirtualKey>>(wsPath(ws, '/virtual-keys'), undefined, signal),
    ]);
    const out: Limit[] = [];
    for (const p of policies.data) {
      const rule = (p.policy?.rate_limit as string) ?? null;
      const concurrency = (p.policy?.max_concurrency as number) ?? null;
      if (rule || concurrency) out.push({ scope: p.scope_type, id: p.scope_id, rule, concurrency });
    }
    for (const k of keys.data) {
      if (k.revoked_at) continue;
      const rule = k.rate_limit ?? (k.policy?.rate_limit as string) ?? null;
      const concurrency = (k.policy?.max_concurrency as number) ?? null;
      if (rule || concurrency) out.push({ scope: 'key', id: k.name ? `${k.name} (${k.id})` : k.id, rule, concurrency });
    }
    return out;
  }, [ws]);
  return (
    <Section title="Rate limits" testid="rate-limits">
      <Await state={limits} what="Loading rate limits">
        {(rows) => (
          <Table
            rows={rows}
            rowKey={(r) => `${r.scope}/${r.id}`}
            empty="No rate limits are set on the workspace, its agents, departments or keys."
            columns={[
              { key: 'scope', label: 'Scope' },
              { key: 'id', label: 'Id' },
              { key: 'rule', label: 'Rule', render: (r) => (r.rule ? <code>{r.rule}</code> : <span class="muted">—</span>) },
              { key: 'meaning', label: 'Meaning', sort: false, render: (r) => describeRateLimit(r.rule).join('; ') || <span class="muted">—</span> },
              { key: 'concurrency', label: 'Max in flight', align: 'right' },
            ]}
          />
        )}
      </Await>
    </Section>
  );
}
