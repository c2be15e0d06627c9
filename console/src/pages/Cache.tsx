// The cache: generation, hit rate and savings per cache status; purge.
import { useState } from 'preact/hooks';
import { get, post, wsPath } from '../api';
import { KeyValues, PageHead, Section, Stat } from '../components/Bits';
import { ConfirmButton } from '../components/ConfirmButton';
import { Await } from '../components/States';
import { Table } from '../components/Table';
import { fmtNanos, fmtNum, fmtPct, fmtTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { can } from '../roles';
import { href } from '../router';
import type { PageProps } from '../Shell';

interface CacheState {
  workspace_id: string;
  cache_generation: number;
  since: number;
  by_status: { status: string; requests: number; cost_saved_nanos: number }[];
  hit_rate: number | null;
  cost_saved_nanos: number;
}

const SINCE: [string, number][] = [
  ['Last hour', 1],
  ['Last 24 hours', 24],
  ['Last 7 days', 24 * 7],
  ['Last 30 days', 24 * 30],
];

export function Cache({ ws, principal }: PageProps) {
  const [hours, setHours] = useState(24);
  const [since, setSince] = useState(() => Date.now() - 24 * 3_600_000);
  const [purged, setPurged] = useState<string | null>(null);
  const c = useAsync((signal) => get<CacheState>(wsPath(ws, '/cache'), { since }, signal), [ws, since]);
  return (
    <>
      <PageHead title="Cache">
        <label class="inline-field">
          <span>Since</span>
          <select
            value={String(hours)}
            onChange={(e) => {
              const h = Number((e.target as HTMLSelectElement).value);
              setHours(h);
              setSince(Date.now() - h * 3_600_000);
            }}
          >
            {SINCE.map(([label, h]) => (
              <option key={h} value={String(h)}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {can.administer(principal) && (
          <ConfirmButton
            label="Purge cache"
            confirm="Forget every cached answer"
            testid="cache-purge"
            onConfirm={async () => {
              const r = await post<{ cache_generation: number }>(wsPath(ws, '/cache/purge'));
              setPurged(`Purged: the workspace is now on cache generation ${r.cache_generation}. Other locations follow within the config cache TTL.`);
              c.reload();
            }}
          />
        )}
      </PageHead>
      {purged && (
        <div class="notice" role="status" data-testid="cache-purged">
          {purged}
        </div>
      )}
      <Await state={c} what="Loading cache status">
        {(s) => (
          <>
            <div class="stats">
              <Stat label="Hit rate" value={fmtPct(s.hit_rate)} sub="(HIT + SEMANTIC_HIT) / lookups" testid="cache-hit-rate" />
              <Stat label="Saved" value={fmtNanos(s.cost_saved_nanos)} />
              <Stat label="Generation" value={fmtNum(s.cache_generation)} sub="part of every cache key" />
              <Stat label="Requests with a cache status" value={fmtNum(s.by_status.reduce((n, r) => n + r.requests, 0))} sub={`since ${fmtTime(s.since)}`} />
            </div>
            <Section title="By cache status">
              <Table
                rows={s.by_status}
                rowKey={(r) => r.status}
                empty="No request looked the cache up in this period (the cache is off unless a policy or the alephant-cache-* headers turn it on)."
                columns={[
                  { key: 'status', label: 'Status', render: (r) => <a href={href(['logs'], { cache_status: r.status })}>{r.status}</a> },
                  { key: 'requests', label: 'Requests', align: 'right', render: (r) => fmtNum(r.requests) },
                  { key: 'cost_saved_nanos', label: 'Saved', align: 'right', render: (r) => fmtNanos(r.cost_saved_nanos) },
                ]}
              />
            </Section>
            <Section title="About">
              <KeyValues
                items={[
                  ['Workspace', <code>{s.workspace_id}</code>],
                  ['Purging', 'increments the generation: every earlier answer is never read again and expires on its own.'],
                ]}
              />
            </Section>
          </>
        )}
      </Await>
    </>
  );
}
