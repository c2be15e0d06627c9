// One session: its run economics, the tree of its paths with each node's
// requests and totals, and its usage events.
import { useState } from 'preact/hooks';
import { get, wsPath } from '../api';
import { PageHead, Section, Stat, StatusBadge } from '../components/Bits';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtMs, fmtNanos, fmtNum, fmtTime, fmtUsd } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { href } from '../router';
import type { PageProps } from '../Shell';
import { Margin } from './Sessions';

interface Node {
  name: string;
  path: string;
  totals: { requests: number; errors: number; cost_nanos: number; cost_usd?: number; prompt_tokens: number; completion_tokens: number; first_at: number | null; last_at: number | null };
  requests: any[];
  children: Node[];
}

export function SessionDetail({ ws, id }: PageProps & { id: string }) {
  const s = useAsync((signal) => get<any>(wsPath(ws, `/sessions/${encodeURIComponent(id)}`), undefined, signal), [ws, id]);
  return (
    <>
      <PageHead title={`Session ${id}`}>
        <a class="btn" href={href(['sessions'])}>
          ← All sessions
        </a>
        <a class="btn" href={href(['logs'], { session_id: id })}>
          Its logs
        </a>
      </PageHead>
      <Await state={s} what="Loading the session">
        {(d) => {
          const run = d.run ?? d;
          return (
            <div data-testid="session-detail">
              <div class="stats">
                <Stat label="Requests" value={fmtNum(d.requests)} sub={`${fmtNum(d.errors)} errors`} />
                <Stat label="Model cost" value={fmtUsd(run.model_cost_usd)} />
                <Stat label="Tool cost" value={fmtUsd(run.tool_cost_usd)} />
                <Stat label="Revenue" value={fmtUsd(run.revenue_usd)} />
                <Stat label="Margin" value={<Margin usd={run.margin_usd} />} />
                <Stat label="Agent" value={d.agent_id ?? '—'} sub={d.session_name ?? undefined} />
                <Stat label="Span" value={fmtTime(d.first_at)} sub={`to ${fmtTime(d.last_at)}`} />
              </div>
              {d.truncated && <p class="notice">This session is large: only its first 5,000 requests and usage events are listed (totals cover all).</p>}
              <Section title="Tree">
                {d.tree ? (
                  <ul class="tree" role="tree" data-testid="session-tree">
                    <TreeNode node={d.tree} depth={0} />
                  </ul>
                ) : (
                  <p class="muted">No requests.</p>
                )}
              </Section>
              <Section title="Usage events">
                <Table
                  rows={d.usage_events ?? []}
                  rowKey={(r: any) => r.id}
                  empty="No usage events (tools, paid endpoints, revenue) were reported for this session."
                  columns={[
                    { key: 'created_at', label: 'Time', render: (r: any) => fmtTime(r.created_at) },
                    { key: 'kind', label: 'Kind' },
                    { key: 'name', label: 'Name' },
                    { key: 'quantity', label: 'Qty', align: 'right' },
                    { key: 'cost_nanos', label: 'Cost', align: 'right', render: (r: any) => fmtNanos(r.cost_nanos) },
                    { key: 'revenue_nanos', label: 'Revenue', align: 'right', render: (r: any) => fmtNanos(r.revenue_nanos) },
                    { key: 'request_id', label: 'Request', render: (r: any) => (r.request_id ? <a href={href(['logs', r.request_id])}><code>{String(r.request_id).slice(0, 13)}…</code></a> : '') },
                  ]}
                />
              </Section>
            </div>
          );
        }}
      </Await>
    </>
  );
}

function TreeNode({ node, depth }: { node: Node; depth: number }) {
  const [open, setOpen] = useState(depth < 3);
  const t = node.totals;
  const hasChildren = node.children.length > 0 || node.requests.length > 0;
  return (
    <li role="treeitem" aria-expanded={hasChildren ? open : undefined} class="tree-node">
      <div class="tree-row">
        <button type="button" class="tree-toggle" disabled={!hasChildren} onClick={() => setOpen(!open)} aria-label={open ? `Collapse ${node.path}` : `Expand ${node.path}`}>
          {hasChildren ? (open ? '▾' : '▸') : '·'}
        </button>
        <strong>{node.name}</strong>
        <span class="muted"> {node.path !== node.name ? node.path : ''}</span>
        <span class="tree-totals">
          {fmtNum(t.requests)} req · {fmtNum(t.errors)} err · {fmtNanos(t.cost_nanos)} · {fmtNum(t.prompt_tokens + t.completion_tokens)} tok
        </span>
      </div>
      {open && (
        <>
          {node.requests.length > 0 && (
            <table class="table table-compact tree-requests">
              <tbody>
                {node.requests.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <a href={href(['logs', r.id])}>{fmtTime(r.created_at)}</a>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>{r.model ?? '—'}</td>
                    <td class="num">{fmtMs(r.latency_ms)}</td>
                    <td class="num">{fmtNanos(r.cost_nanos)}</td>
                    <td>{r.cache_status ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {node.children.length > 0 && (
            <ul role="group">
              {node.children.map((c) => (
                <TreeNode key={c.path} node={c} depth={depth + 1} />
              ))}
            </ul>
          )}
        </>
      )}
    </li>
  );
}
