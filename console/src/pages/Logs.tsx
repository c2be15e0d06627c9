// Request logs: filters (kept in the URL), cursor paging, a link to each
// request's detail.
import { useEffect, useState } from 'preact/hooks';
import { get, List, Query, wsPath } from '../api';
import { Check } from '../components/Field';
import { PageHead, Section, StatusBadge, Badge } from '../components/Bits';
import { Await } from '../components/States';
import { CursorPager, Table } from '../components/Table';
import { TimeRange } from '../components/TimeRange';
import { fmtMs, fmtNanos, fmtNum, fmtTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { href, navigate } from '../router';
import type { PageProps } from '../Shell';

export interface LogRow {
  id: string;
  created_at: number;
  virtual_key_id: string | null;
  agent_id?: string | null;
  session_id?: string | null;
  endpoint: string;
  provider: string | null;
  model: string | null;
  requested_model?: string | null;
  status: number;
  error_code: string | null;
  latency_ms: number | null;
  ttft_ms?: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_nanos: number | null;
  cache_status: string | null;
  [k: string]: unknown;
}

const TEXT_FILTERS: [string, string, string][] = [
  ['model', 'Model', 'gpt-4o-mini'],
  ['provider', 'Provider', 'openai'],
  ['key_id', 'Key id', 'vk_…'],
  ['agent_id', 'Agent id', 'ag_…'],
  ['session_id', 'Session id', ''],
];

/** The API query from the page's URL query (property=name=value → property.name=value). */
function apiQuery(q: URLSearchParams): Query {
  const out: Query = {};
  for (const k of ['status', 'model', 'provider', 'key_id', 'agent_id', 'session_id', 'cache_status', 'from', 'to', 'endpoint', 'user_id', 'error_code']) {
    const v = q.get(k);
    if (v) out[k] = v;
  }
  const prop = q.get('property');
  if (prop && prop.includes('=')) {
    const [name, ...rest] = prop.split('=');
    if (name.trim()) out[`property.${name.trim()}`] = rest.join('=');
  }
  return out;
}

export function Logs({ ws, query }: PageProps) {
  const filters = Object.fromEntries(query.entries());
  const [draft, setDraft] = useState<Record<string, string>>(filters);
  const [stack, setStack] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  const key = query.toString();
  useEffect(() => {
    setDraft(Object.fromEntries(query.entries()));
    setStack([]);
    setCursor(null);
  }, [key]);
  useEffect(() => {
    if (!live || cursor) return;
    const t = setInterval(() => setTick((n) => n + 1), 5000);
    return () => clearInterval(t);
  }, [live, cursor]);
  const page = useAsync(
    (signal) => get<List<LogRow>>(wsPath(ws, '/logs'), { ...apiQuery(query), limit: 50, cursor }, signal),
    [ws, key, cursor, tick],
  );
  const set = (k: string) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const apply = (next: Record<string, string>) => navigate(['logs'], next);
  return (
    <>
      <PageHead title="Logs">
        <Check label="Auto-refresh" checked={live} onChange={setLive} testid="logs-live" />
        <button type="button" class="btn" data-testid="logs-refresh" onClick={() => (cursor ? (setStack([]), setCursor(null)) : page.reload())}>
          Refresh
        </button>
      </PageHead>
      <Section title="Filters">
        <form
          class="filters"
          data-testid="logs-filters"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <div class="field">
            <label for="f-status">Status</label>
            <select id="f-status" value={draft.status ?? ''} onChange={set('status')} data-testid="filter-status">
              <option value="">any</option>
              <option value="ok">ok (&lt; 400)</option>
              <option value="error">error (≥ 400)</option>
              <option value="4xx">4xx</option>
              <option value="5xx">5xx</option>
              <option value="429">429</option>
            </select>
          </div>
          {TEXT_FILTERS.map(([k, label, ph]) => (
            <div class="field" key={k}>
              <label for={`f-${k}`}>{label}</label>
              <input id={`f-${k}`} value={draft[k] ?? ''} placeholder={ph} onInput={set(k)} data-testid={`filter-${k}`} />
            </div>
          ))}
          <div class="field">
            <label for="f-property">Property (name=value)</label>
            <input id="f-property" value={draft.property ?? ''} placeholder="team=search" onInput={set('property')} data-testid="filter-property" />
          </div>
          <div class="field">
            <label for="f-cache">Cache status</label>
            <select id="f-cache" value={draft.cache_status ?? ''} onChange={set('cache_status')} data-testid="filter-cache_status">
              <option value="">any</option>
              {['HIT', 'SEMANTIC_HIT', 'MISS', 'BYPASS'].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <TimeRange
            idPrefix="logs"
            from={draft.from ? Number(draft.from) : null}
            to={draft.to ? Number(draft.to) : null}
            onChange={(f, t) => setDraft({ ...draft, from: f ? String(f) : '', to: t ? String(t) : '' })}
          />
          <div class="form-actions">
            <button class="btn btn-primary" data-testid="filter-apply">
              Apply filters
            </button>
            <button type="button" class="btn" onClick={() => apply({})} data-testid="filter-clear">
              Clear
            </button>
          </div>
        </form>
      </Section>
      <Section title="Requests">
        <Await state={page} what="Loading logs">
          {(l) => (
            <>
              <LogTable rows={l.data} />
              <CursorPager
                stack={stack}
                next={l.next_cursor}
                count={l.data.length}
                onFirst={() => {
                  setStack([]);
                  setCursor(null);
                }}
                onPrevious={() => {
                  const s = [...stack];
                  const prev = s.pop() ?? null;
                  setStack(s);
                  setCursor(prev === '' ? null : prev);
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

export function LogTable({ rows }: { rows: LogRow[] }) {
  return (
    <Table
      rows={rows}
      rowKey={(r) => r.id}
      pageSize={0}
      testid="logs-table"
      rowTestid={(r) => `log-row-${r.id}`}
      empty="No requests match. Logs are written a few seconds after each request."
      columns={[
        {
          key: 'created_at',
          label: 'Time',
          render: (r) => (
            <a href={href(['logs', r.id])} data-testid={`log-link-${r.id}`}>
              {fmtTime(r.created_at)}
            </a>
          ),
        },
        { key: 'status', label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
        { key: 'model', label: 'Model', render: (r) => r.model ?? r.requested_model ?? <span class="muted">—</span> },
        { key: 'provider', label: 'Provider' },
        { key: 'endpoint', label: 'Endpoint' },
        { key: 'virtual_key_id', label: 'Key', render: (r) => (r.virtual_key_id ? <code>{r.virtual_key_id}</code> : <span class="muted">—</span>) },
        { key: 'latency_ms', label: 'Latency', align: 'right', render: (r) => fmtMs(r.latency_ms) },
        {
          key: 'tokens',
          label: 'Tokens',
          align: 'right',
          sort: (r) => (r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0),
          render: (r) => `${fmtNum(r.prompt_tokens)} / ${fmtNum(r.completion_tokens)}`,
        },
        { key: 'cost_nanos', label: 'Cost', align: 'right', render: (r) => fmtNanos(r.cost_nanos) },
        { key: 'cache_status', label: 'Cache', render: (r) => (r.cache_status ? <Badge tone={r.cache_status.includes('HIT') ? 'ok' : 'neutral'}>{r.cache_status}</Badge> : <span class="muted">—</span>) },
        { key: 'error_code', label: 'Error', render: (r) => (r.error_code ? <code>{r.error_code}</code> : '') },
      ]}
    />
  );
}
