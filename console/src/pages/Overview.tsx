// Overview: totals, time series (requests, spend, tokens, latency) and the
// top models, keys and agents over a chosen range.
import { useMemo, useState } from 'preact/hooks';
import { get, List, wsPath } from '../api';
import { PageHead, Section, Stat } from '../components/Bits';
import { Chart } from '../components/Chart';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtMs, fmtNum, fmtPct, fmtUsd } from '../lib/format';
import { Analytics, Bucket, Group, pick, timeSeries } from '../lib/series';
import { useAsync } from '../lib/useAsync';
import { href } from '../router';
import type { PageProps } from '../Shell';

const RANGES: [string, string, number, Bucket][] = [
  ['24h', 'Last 24 hours', 24, 'hour'],
  ['7d', 'Last 7 days', 24 * 7, 'hour'],
  ['30d', 'Last 30 days', 24 * 30, 'day'],
];

export function Overview({ ws }: PageProps) {
  const [range, setRange] = useState('24h');
  const [bucket, setBucket] = useState<Bucket>('hour');
  const [now, setNow] = useState(() => Date.now());
  const hours = RANGES.find((r) => r[0] === range)![2];
  const from = now - hours * 3_600_000;
  const a = useAsync(
    (signal) => get<Analytics>(wsPath(ws, '/analytics'), { from, to: now, group_by: bucket, limit: 1000 }, signal),
    [ws, from, now, bucket],
  );
  const top = useAsync(
    async (signal) => {
      const q = (dim: string) => get<Analytics>(wsPath(ws, '/analytics'), { from, to: now, group_by: dim, limit: 10 }, signal);
      const names = async (path: string) =>
        get<List<{ id: string; name: string }>>(wsPath(ws, path), undefined, signal).then(
          (l) => new Map(l.data.map((x) => [x.id, x.name])),
          () => new Map<string, string>(),
        );
      const [models, keys, agents, keyNames, agentNames] = await Promise.all([q('model'), q('key'), q('agent'), names('/virtual-keys'), names('/agents')]);
      return { models, keys, agents, keyNames, agentNames };
    },
    [ws, from, now],
  );
  return (
    <>
      <PageHead title="Overview">
        <label class="inline-field">
          <span>Range</span>
          <select
            value={range}
            data-testid="overview-range"
            onChange={(e) => {
              const r = RANGES.find((x) => x[0] === (e.target as HTMLSelectElement).value)!;
              setRange(r[0]);
              setBucket(r[3]);
              setNow(Date.now());
            }}
          >
            {RANGES.map((r) => (
              <option key={r[0]} value={r[0]}>
                {r[1]}
              </option>
            ))}
          </select>
        </label>
        <label class="inline-field">
          <span>By</span>
          <select value={bucket} data-testid="overview-bucket" onChange={(e) => setBucket((e.target as HTMLSelectElement).value as Bucket)}>
            <option value="hour">hour</option>
            <option value="day">day</option>
          </select>
        </label>
        <button type="button" class="btn" data-testid="overview-refresh" onClick={() => setNow(Date.now())}>
          Refresh
        </button>
      </PageHead>
      <Await state={a} what="Loading analytics">
        {(data) => <Totals data={data} bucket={bucket} />}
      </Await>
      <div class="grid-3">
        <Await state={top} what="Loading top models">
          {(t) => (
            <>
              <TopTable title="Top models" dim="model" groups={t.models.groups} testid="top-models" />
              <TopTable title="Top keys" dim="key" groups={t.keys.groups} names={t.keyNames} testid="top-keys" />
              <TopTable title="Top agents" dim="agent" groups={t.agents.groups} names={t.agentNames} testid="top-agents" />
            </>
          )}
        </Await>
      </div>
    </>
  );
}

function Totals({ data, bucket }: { data: Analytics; bucket: Bucket }) {
  const t = data.totals;
  const charts = useMemo(() => {
    const ts = timeSeries(data, bucket);
    return {
      x: ts.x,
      requests: [
        { label: 'Requests', color: '#2f6fde', values: pick(ts, (m) => m.requests, true) },
        { label: 'Errors', color: '#d0453a', values: pick(ts, (m) => m.errors, true) },
      ],
      spend: [
        { label: 'Spend', color: '#2f6fde', values: pick(ts, (m) => m.cost_usd, true) },
        { label: 'Cache savings', color: '#2e9a5b', values: pick(ts, (m) => m.cost_saved_usd, true), dash: true },
      ],
      tokens: [
        { label: 'Prompt tokens', color: '#7a52c7', values: pick(ts, (m) => m.prompt_tokens, true) },
        { label: 'Completion tokens', color: '#d08a1e', values: pick(ts, (m) => m.completion_tokens, true) },
      ],
      latency: [
        { label: 'Latency p50', color: '#2f6fde', values: pick(ts, (m) => m.latency_p50_ms, false), points: true },
        { label: 'Latency p95', color: '#2f6fde', values: pick(ts, (m) => m.latency_p95_ms, false), dash: true, points: true },
        { label: 'TTFT p50', color: '#2e9a5b', values: pick(ts, (m) => m.ttft_p50_ms, false), points: true },
        { label: 'TTFT p95', color: '#2e9a5b', values: pick(ts, (m) => m.ttft_p95_ms, false), dash: true, points: true },
      ],
      cache: [
        { label: 'Cache hits', color: '#2e9a5b', values: pick(ts, (m) => m.cache_hits, true) },
        { label: 'Cache misses', color: '#8a93a3', values: pick(ts, (m) => m.cache_misses, true) },
      ],
      rates: [
        { label: 'Error rate', color: '#d0453a', values: pick(ts, (m) => m.error_rate, false), points: true },
        { label: 'Cache hit ratio', color: '#2e9a5b', values: pick(ts, (m) => m.cache_hit_ratio, false), points: true },
      ],
    };
  }, [data, bucket]);
  return (
    <>
      <div class="stats" data-testid="overview-stats">
        <Stat label="Requests" value={fmtNum(t.requests)} sub={`${fmtNum(t.errors)} errors`} testid="stat-requests" />
        <Stat label="Spend" value={fmtUsd(t.cost_usd)} testid="stat-spend" />
        <Stat label="Tokens" value={fmtNum((t.prompt_tokens ?? 0) + (t.completion_tokens ?? 0))} sub={`${fmtNum(t.prompt_tokens)} in · ${fmtNum(t.completion_tokens)} out`} testid="stat-tokens" />
        <Stat label="Cache savings" value={fmtUsd(t.cost_saved_usd)} sub={`hit ratio ${fmtPct(t.cache_hit_ratio)}`} testid="stat-cache" />
        <Stat label="Error rate" value={fmtPct(t.error_rate)} testid="stat-error-rate" />
        <Stat label="Latency p50 / p95" value={`${fmtMs(t.latency_p50_ms)} / ${fmtMs(t.latency_p95_ms)}`} testid="stat-latency" />
        <Stat label="TTFT p50 / p95" value={`${fmtMs(t.ttft_p50_ms)} / ${fmtMs(t.ttft_p95_ms)}`} testid="stat-ttft" />
      </div>
      {t.requests === 0 && <p class="muted">No requests in this range yet: the charts fill in as traffic arrives.</p>}
      <div class="grid-2">
        <Chart title="Requests and errors" x={charts.x} series={charts.requests} fmt={(v) => fmtNum(Math.round(v))} integer testid="chart-requests" />
        <Chart title="Spend and cache savings (USD)" x={charts.x} series={charts.spend} fmt={fmtUsd} testid="chart-spend" />
        <Chart title="Latency and time to first token" x={charts.x} series={charts.latency} fmt={fmtMs} testid="chart-latency" />
        <Chart title="Tokens" x={charts.x} series={charts.tokens} fmt={(v) => fmtNum(Math.round(v))} integer testid="chart-tokens" />
        <Chart title="Error rate and cache hit ratio" x={charts.x} series={charts.rates} fmt={fmtPct} testid="chart-rates" />
        <Chart title="Cache lookups" x={charts.x} series={charts.cache} fmt={(v) => fmtNum(Math.round(v))} integer testid="chart-cache" />
      </div>
    </>
  );
}

function TopTable({ title, dim, groups, names, testid }: { title: string; dim: string; groups: Group[]; names?: Map<string, string>; testid: string }) {
  const rows = groups.map((g) => ({ ...g, name: g.group[dim] ?? null }));
  const filter = dim === 'key' ? 'key_id' : dim === 'agent' ? 'agent_id' : dim;
  return (
    <Section title={title} testid={testid}>
      <Table
        rows={rows}
        rowKey={(r) => String(r.name)}
        pageSize={10}
        empty="No requests in this range."
        columns={[
          {
            key: 'name',
            label: dim,
            render: (r) =>
              r.name === null ? (
                <span class="muted">(none)</span>
              ) : (
                <a href={href(['logs'], { [filter]: r.name })} title={`Logs for ${r.name}`}>
                  {names?.get(r.name) ?? r.name}
                </a>
              ),
          },
          { key: 'requests', label: 'Requests', align: 'right', render: (r) => fmtNum(r.requests) },
          { key: 'cost_usd', label: 'Spend', align: 'right', render: (r) => fmtUsd(r.cost_usd) },
          { key: 'error_rate', label: 'Errors', align: 'right', render: (r) => fmtPct(r.error_rate) },
        ]}
      />
    </Section>
  );
}
