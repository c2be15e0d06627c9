// Audit events: every admin change and policy decision, filtered, paged.
import { useState } from 'preact/hooks';
import { get, List, wsPath } from '../api';
import { Badge, PageHead, Section } from '../components/Bits';
import { Await } from '../components/States';
import { CursorPager, Table } from '../components/Table';
import { TimeRange } from '../components/TimeRange';
import { fmtTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { href } from '../router';
import type { PageProps } from '../Shell';

interface AuditEvent {
  id: string;
  created_at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  details: unknown;
  request_id: string | null;
}

const FIELDS: [string, string, string][] = [
  ['action', 'Action', 'policy.* or virtual_key.created'],
  ['actor', 'Actor', 'master, system, key:vk_…'],
  ['target_type', 'Target type', 'virtual_key'],
  ['target_id', 'Target id', ''],
  ['request_id', 'Request id', ''],
];

export function Audit({ ws }: PageProps) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [range, setRange] = useState<{ from: number | null; to: number | null }>({ from: null, to: null });
  const [applied, setApplied] = useState<Record<string, string | number | null>>({});
  const [stack, setStack] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const page = useAsync((signal) => get<List<AuditEvent>>(wsPath(ws, '/audit-events'), { ...applied, limit: 50, cursor }, signal), [ws, applied, cursor]);
  const reset = () => {
    setStack([]);
    setCursor(null);
  };
  return (
    <>
      <PageHead title="Audit events">
        <button type="button" class="btn" onClick={page.reload} data-testid="audit-refresh">
          Refresh
        </button>
      </PageHead>
      <Section title="Filters">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ ...draft, from: range.from, to: range.to });
            reset();
          }}
        >
          {FIELDS.map(([k, label, ph]) => (
            <div class="field" key={k}>
              <label for={`a-${k}`}>{label}</label>
              <input id={`a-${k}`} value={draft[k] ?? ''} placeholder={ph} onInput={(e) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value.trim() })} data-testid={`audit-${k}`} />
            </div>
          ))}
          <TimeRange idPrefix="audit" from={range.from} to={range.to} onChange={(from, to) => setRange({ from, to })} />
          <div class="form-actions">
            <button class="btn btn-primary">Apply filters</button>
          </div>
        </form>
      </Section>
      <Section title="Events">
        <Await state={page} what="Loading audit events">
          {(l) => (
            <>
              <Table
                rows={l.data}
                rowKey={(e) => e.id}
                pageSize={0}
                testid="audit-table"
                empty="No audit events match."
                columns={[
                  { key: 'created_at', label: 'Time', render: (e) => fmtTime(e.created_at) },
                  { key: 'action', label: 'Action', render: (e) => <Badge tone={e.action.startsWith('policy.') ? 'warn' : 'neutral'}>{e.action}</Badge> },
                  { key: 'actor', label: 'Actor', render: (e) => <code>{e.actor}</code> },
                  { key: 'target', label: 'Target', sort: (e) => `${e.target_type}/${e.target_id}`, render: (e) => <span>{e.target_type} <code>{e.target_id}</code></span> },
                  { key: 'request_id', label: 'Request', render: (e) => (e.request_id ? <a href={href(['logs', e.request_id])}><code>{e.request_id.slice(0, 13)}…</code></a> : '') },
                  {
                    key: 'details',
                    label: 'Details',
                    sort: false,
                    render: (e) => (
                      <div>
                        <button type="button" class="btn btn-small" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                          {open === e.id ? 'Hide' : 'Show'}
                        </button>
                        {open === e.id && <pre class="json json-inline">{JSON.stringify(e.details, null, 2)}</pre>}
                      </div>
                    ),
                  },
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
