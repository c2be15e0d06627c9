// One request: outcome, attribution, the headers it carried and answered
// with, attempts, policy decisions, cost, and its archived bodies (chat,
// raw JSON, SSE replay) when the principal may read bodies.
import { useState } from 'preact/hooks';
import { ApiError, get, wsPath } from '../api';
import { Badge, Json, KeyValues, PageHead, Section, StatusBadge, Tabs } from '../components/Bits';
import { ChatView } from '../components/ChatView';
import { SseReplay } from '../components/SseReplay';
import { Await, Empty } from '../components/States';
import { Table } from '../components/Table';
import { fmtMs, fmtNanos, fmtNum, fmtTime } from '../lib/format';
import { looksLikeSse } from '../lib/sse';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href } from '../router';
import type { PageProps } from '../Shell';

type Row = Record<string, any>;

async function load(ws: string, id: string, bodies: boolean, signal: AbortSignal): Promise<{ row: Row; bodiesRefused: string | null }> {
  const path = wsPath(ws, `/logs/${encodeURIComponent(id)}`);
  if (!bodies) return { row: await get<Row>(path, undefined, signal), bodiesRefused: null };
  try {
    return { row: await get<Row>(path, { include: 'bodies' }, signal), bodiesRefused: null };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return { row: await get<Row>(path, undefined, signal), bodiesRefused: e.message };
    throw e;
  }
}

export function LogDetail({ ws, id, principal }: PageProps & { id: string }) {
  const mayReadBodies = can.readBodies(principal);
  const state = useAsync((signal) => load(ws, id, mayReadBodies, signal), [ws, id, mayReadBodies]);
  return (
    <>
      <PageHead title="Request">
        <a class="btn" href={href(['logs'])}>
          ← All logs
        </a>
        <button type="button" class="btn" onClick={state.reload} data-testid="log-reload">
          Reload
        </button>
      </PageHead>
      {state.error instanceof ApiError && state.error.status === 404 ? (
        <Empty>
          Request <code>{id}</code> is not in the log (yet): rows are written a few seconds after the request.{' '}
          <button type="button" class="btn btn-small" onClick={state.reload}>
            Look again
          </button>
        </Empty>
      ) : (
        <Await state={state} what="Loading the request">
          {({ row, bodiesRefused }) => <Detail row={row} ws={ws} mayReadBodies={mayReadBodies} bodiesRefused={bodiesRefused} />}
        </Await>
      )}
    </>
  );
}

function headersOf(row: Row): [string, string][] {
  const out: [string, string][] = [];
  const add = (k: string, v: unknown) => v !== null && v !== undefined && v !== '' && out.push([k, String(v)]);
  add('alephant-id', row.id);
  add('alephant-provider', row.provider);
  add('alephant-model', row.provider && row.model ? `${row.provider}/${row.model}` : row.model);
  add('alephant-provider-req-id', row.provider_request_id);
  add('alephant-attempts', Array.isArray(row.attempts) ? row.attempts.length : null);
  add('alephant-cache', row.cache_status);
  add('x-request-id', row.client_request_id);
  return out;
}

function requestHeadersOf(row: Row): [string, string][] {
  const out: [string, string][] = [];
  const add = (k: string, v: unknown) => v !== null && v !== undefined && v !== '' && out.push([k, String(v)]);
  add('alephant-session-id', row.session_id);
  add('alephant-session-path', row.session_path);
  add('alephant-session-name', row.session_name);
  add('alephant-user-id', row.user_id);
  add('alephant-prompt-id', row.prompt_id);
  add('alephant-prompt-version', row.prompt_version);
  const props = row.properties && typeof row.properties === 'object' ? row.properties : {};
  for (const [k, v] of Object.entries(props)) add(`alephant-property-${k}`, v);
  for (const field of ['request_headers', 'headers']) {
    const h = row[field];
    if (h && typeof h === 'object') for (const [k, v] of Object.entries(h)) add(k, v);
  }
  return out;
}

function HeaderTable({ rows, testid }: { rows: [string, string][]; testid: string }) {
  if (!rows.length) return <p class="muted">None recorded.</p>;
  return (
    <table class="table table-compact" data-testid={testid}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">
              <code>{k}</code>
            </th>
            <td>
              <code>{v}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A list of objects as a table whose columns are their keys. */
function ObjectTable({ items, testid, empty }: { items: unknown; testid: string; empty: string }) {
  if (items === null || items === undefined || (Array.isArray(items) && !items.length)) return <p class="muted">{empty}</p>;
  if (!Array.isArray(items) || !items.every((x) => x && typeof x === 'object')) return <Json value={items} testid={testid} />;
  const keys = [...new Set(items.flatMap((x) => Object.keys(x)))];
  const rows = items.map((x, i) => ({ ...x, __i: i }));
  return (
    <Table
      rows={rows}
      rowKey={(r: any) => String(r.__i)}
      testid={testid}
      pageSize={0}
      columns={keys.map((k) => ({
        key: k,
        label: k,
        render: (r: any) =>
          k === 'status' && typeof r[k] === 'number' ? (
            <StatusBadge status={r[k]} />
          ) : r[k] !== null && typeof r[k] === 'object' ? (
            <code>{JSON.stringify(r[k])}</code>
          ) : r[k] === undefined || r[k] === null ? (
            <span class="muted">—</span>
          ) : (
            String(r[k])
          ),
      }))}
    />
  );
}

function Detail({ row, ws, mayReadBodies, bodiesRefused }: { row: Row; ws: string; mayReadBodies: boolean; bodiesRefused: string | null }) {
  const policy = row.policy;
  const decisions = Array.isArray(policy) ? policy : policy && typeof policy === 'object' ? (Array.isArray(policy.decisions) ? policy.decisions : [policy]) : null;
  return (
    <div data-testid="log-detail">
      <div class="grid-2">
        <Section title="Outcome">
          <KeyValues
            testid="log-summary"
            items={[
              ['Id', <code data-testid="log-id">{row.id}</code>],
              ['Time', fmtTime(row.created_at)],
              ['Status', <StatusBadge status={row.status} />],
              ['Error', row.error_code ? <span><code>{row.error_code}</code> {row.error_type ? `(${row.error_type})` : ''} {row.error_message ?? ''}</span> : null],
              ['Endpoint', row.endpoint],
              ['Requested model', row.requested_model],
              ['Model', <span data-testid="log-model">{row.model}</span>],
              ['Provider', row.provider],
              ['Stream', row.stream === null || row.stream === undefined ? null : row.stream ? 'yes' : 'no'],
              ['Router / target', [row.router_id, row.target && (typeof row.target === 'string' ? row.target : JSON.stringify(row.target))].filter(Boolean).join(' · ')],
            ]}
          />
        </Section>
        <Section title="Cost and time">
          <KeyValues
            testid="log-cost"
            items={[
              ['Cost', <span data-testid="log-cost-value">{fmtNanos(row.cost_nanos)}{row.usage_estimated ? <> <Badge tone="warn">estimated</Badge></> : null}</span>],
              ['Tokens', `${fmtNum(row.prompt_tokens)} prompt · ${fmtNum(row.completion_tokens)} completion`],
              ['Cached / reasoning tokens', `${fmtNum(row.cached_tokens)} · ${fmtNum(row.reasoning_tokens)}`],
              ['Latency', fmtMs(row.latency_ms)],
              ['Upstream latency', fmtMs(row.upstream_latency_ms)],
              ['Time to first token', fmtMs(row.ttft_ms)],
              ['Cache', row.cache_status ? <span>{row.cache_status} {row.cost_saved_nanos ? `· saved ${fmtNanos(row.cost_saved_nanos)}` : ''} {row.cache_detail ? <span class="muted">({row.cache_detail})</span> : null}</span> : null],
            ]}
          />
        </Section>
        <Section title="Attribution">
          <KeyValues
            items={[
              ['Key', row.virtual_key_id ? <a href={href(['logs'], { key_id: row.virtual_key_id })}><code>{row.virtual_key_id}</code></a> : null],
              ['Agent', row.agent_id ? <a href={href(['logs'], { agent_id: row.agent_id })}>{row.agent_id}</a> : null],
              ['Department', row.department],
              ['Session', row.session_id ? <a href={href(['sessions', row.session_id])}>{row.session_id}</a> : null],
              ['User', row.user_id],
              ['Country', row.country],
              ['Client IP', row.client_ip],
              ['Prompt', row.prompt_id ? <a href={href(['prompts', row.prompt_id])}>{row.prompt_id} v{row.prompt_version}</a> : null],
            ]}
          />
        </Section>
        <Section title="Headers">
          <h3 class="sub">Answered with</h3>
          <HeaderTable rows={headersOf(row)} testid="log-response-headers" />
          <h3 class="sub">Sent by the client</h3>
          <HeaderTable rows={requestHeadersOf(row)} testid="log-request-headers" />
        </Section>
      </div>
      <Section title="Attempts" testid="log-attempts">
        <ObjectTable items={row.attempts} testid="attempts-table" empty="No upstream attempt (answered by the gateway)." />
      </Section>
      <Section title="Policy decisions" testid="log-policy">
        <ObjectTable items={decisions} testid="policy-table" empty="No policy decision was recorded for this request." />
      </Section>
      <Bodies row={row} ws={ws} mayReadBodies={mayReadBodies} refused={bodiesRefused} />
    </div>
  );
}

function Bodies({ row, mayReadBodies, refused }: { row: Row; ws: string; mayReadBodies: boolean; refused: string | null }) {
  const sse = looksLikeSse(row.response_body);
  const [tab, setTab] = useState<'chat' | 'raw' | 'sse'>('chat');
  let content;
  if (!mayReadBodies || refused)
    content = <p class="muted">{refused ?? 'Your role does not include reading request and response bodies.'}</p>;
  else if (row.request_body == null && row.response_body == null)
    content = (
      <p class="muted">
        {row.body_missing
          ? 'The archive has no body for this request any more (retention, or a failed write).'
          : 'Bodies were not archived for this request (archiving is off unless a policy or the alephant-archive header asks).'}
      </p>
    );
  else
    content = (
      <>
        <Tabs
          label="Body views"
          current={tab}
          onChange={setTab}
          tabs={[['chat', 'Chat'], ['raw', 'Raw JSON'], ...(sse ? ([['sse', 'SSE replay']] as ['sse', string][]) : [])]}
        />
        <div role="tabpanel" data-testid={`body-${tab}`}>
          {tab === 'chat' && <ChatView request={row.request_body} response={sse ? null : row.response_body} testid="body-chat-view" />}
          {tab === 'chat' && sse && <p class="muted">The answer was an event stream: see SSE replay.</p>}
          {tab === 'raw' && (
            <div class="grid-2">
              <div>
                <h3 class="sub">Request</h3>
                <Json value={row.request_body} testid="body-request-raw" />
              </div>
              <div>
                <h3 class="sub">Response</h3>
                <Json value={row.response_body} testid="body-response-raw" />
              </div>
            </div>
          )}
          {tab === 'sse' && sse && <SseReplay transcript={row.response_body} />}
        </div>
      </>
    );
  return (
    <Section title="Bodies" testid="log-bodies">
      {content}
    </Section>
  );
}
