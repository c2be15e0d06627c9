// Sessions and runs: what each cost (model and tools), earned and kept.
import { useState } from 'preact/hooks';
import { get, List, wsPath } from '../api';
import { PageHead, Section, Tabs } from '../components/Bits';
import { Await } from '../components/States';
import { CursorPager, Table } from '../components/Table';
import { TimeRange } from '../components/TimeRange';
import { fmtNum, fmtTime, fmtUsd } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { href } from '../router';
import type { PageProps } from '../Shell';

export interface SessionRow {
  session_id: string;
  session_name: string | null;
  agent_id: string | null;
  first_at: number;
  last_at: number;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  usage_events: number;
  cost_usd: number;
  model_cost_usd: number;
  tool_cost_usd: number;
  revenue_usd: number;
  margin_usd: number;
}

export function Margin({ usd }: { usd: number | null | undefined }) {
  if (usd === null || usd === undefined) return <span class="muted">—</span>;
  return <span class={usd < 0 ? 'neg' : usd > 0 ? 'pos' : ''}>{fmtUsd(usd)}</span>;
}

export function Sessions({ ws, query }: PageProps) {
  const [kind, setKind] = useState<'sessions' | 'runs'>(query.get('kind') === 'runs' ? 'runs' : 'sessions');
  const [agent, setAgent] = useState(query.get('agent_id') ?? '');
  const [applied, setApplied] = useState({ agent: query.get('agent_id') ?? '', from: null as number | null, to: null as number | null });
  const [range, setRange] = useState<{ from: number | null; to: number | null }>({ from: null, to: null });
  const [stack, setStack] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useAsync(
    (signal) =>
      get<List<SessionRow>>(wsPath(ws, `/${kind}`), { agent_id: applied.agent, from: applied.from, to: applied.to, limit: 50, cursor }, signal),
    [ws, kind, applied, cursor],
  );
  const reset = () => {
    setStack([]);
    setCursor(null);
  };
  return (
    <>
      <PageHead title="Sessions & runs">
        <button type="button" class="btn" onClick={page.reload} data-testid="sessions-refresh">
          Refresh
        </button>
      </PageHead>
      <Tabs
        label="List"
        current={kind}
        onChange={(k) => {
          setKind(k);
          reset();
        }}
        tabs={[
          ['sessions', 'Sessions'],
          ['runs', 'Runs (sessions with an agent)'],
        ]}
      />
      <Section title="Filters">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ agent: agent.trim(), ...range });
            reset();
          }}
        >
          <div class="field">
            <label for="s-agent">Agent id</label>
            <input id="s-agent" value={agent} onInput={(e) => setAgent((e.target as HTMLInputElement).value)} data-testid="sessions-agent" />
          </div>
          <TimeRange idPrefix="sessions" from={range.from} to={range.to} onChange={(from, to) => setRange({ from, to })} />
          <div class="form-actions">
            <button class="btn btn-primary">Apply</button>
          </div>
        </form>
      </Section>
      <Section title={kind === 'runs' ? 'Runs' : 'Sessions'}>
        <Await state={page} what={`Loading ${kind}`}>
          {(l) => (
            <>
              <Table
                rows={l.data}
                rowKey={(r) => r.session_id}
                pageSize={0}
                testid="sessions-table"
                empty={kind === 'runs' ? 'No runs: a run is a session whose requests came from a key bound to an agent.' : 'No sessions: requests join one with the alephant-session-id header.'}
                columns={[
                  { key: 'session_id', label: 'Session', render: (r) => <a href={href(['sessions', r.session_id])}>{r.session_name ? `${r.session_name} · ` : ''}<code>{r.session_id}</code></a> },
                  { key: 'agent_id', label: 'Agent' },
                  { key: 'first_at', label: 'Started', render: (r) => fmtTime(r.first_at) },
                  { key: 'requests', label: 'Requests', align: 'right', render: (r) => fmtNum(r.requests) },
                  { key: 'errors', label: 'Errors', align: 'right', render: (r) => fmtNum(r.errors) },
                  { key: 'tokens', label: 'Tokens', align: 'right', sort: (r) => r.prompt_tokens + r.completion_tokens, render: (r) => fmtNum(r.prompt_tokens + r.completion_tokens) },
                  { key: 'model_cost_usd', label: 'Model cost', align: 'right', render: (r) => fmtUsd(r.model_cost_usd ?? r.cost_usd) },
                  { key: 'tool_cost_usd', label: 'Tool cost', align: 'right', render: (r) => fmtUsd(r.tool_cost_usd) },
                  { key: 'revenue_usd', label: 'Revenue', align: 'right', render: (r) => fmtUsd(r.revenue_usd) },
                  { key: 'margin_usd', label: 'Margin', align: 'right', render: (r) => <Margin usd={r.margin_usd} /> },
                ]}
              />
              <CursorPager
                stack={stack}
                next={l.next_cursor}
                count={l.data.length}
                onFirst={reset}
                onPrevious={() => {
                  const s = [...stack];
                  const prev = s.pop() ?? '';
                  setStack(s);
                  setCursor(prev || null);
                }}
                onNext={(c) => {
                  setStack([...stack, cursor ?? '']);
                  setCursor(c);
                }}
              />
            </>
          )}
        </Await>
      </Section>
    </>
  );
}
