// Turning analytics groups bucketed by hour or day (UTC) into evenly spaced
// series, with empty buckets filled (zero for counts, gaps for percentiles).

export interface Metrics {
  requests: number;
  errors: number;
  error_rate: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
  cost_nanos?: number;
  cost_usd: number;
  cost_saved_nanos?: number;
  cost_saved_usd: number;
  cache_hits: number;
  cache_misses: number;
  cache_hit_ratio: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms?: number | null;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
}

export interface Group extends Metrics {
  group: Record<string, string | null>;
}

export interface Analytics {
  object: 'analytics';
  from: number;
  to: number;
  group_by: string[];
  totals: Metrics;
  groups: Group[];
  truncated?: boolean;
}

export type Bucket = 'hour' | 'day';

const STEP: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000 };

export function bucketTime(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const t = Date.parse(String(v));
  return Number.isFinite(t) ? t : null;
}

export interface TimeSeries {
  x: number[];
  at: (Metrics | null)[];
}

export function timeSeries(a: Analytics, bucket: Bucket): TimeSeries {
  const step = STEP[bucket];
  const byTime = new Map<number, Metrics>();
  for (const g of a.groups) {
    const t = bucketTime(g.group[bucket]);
    if (t !== null) byTime.set(Math.floor(t / step) * step, g);
  }
  const start = Math.floor(a.from / step) * step;
  const x: number[] = [];
  const at: (Metrics | null)[] = [];
  for (let t = start; t < a.to && x.length < 2000; t += step) {
    x.push(t / 1000);
    at.push(byTime.get(t) ?? null);
  }
  return { x, at };
}

export function pick(ts: TimeSeries, f: (m: Metrics) => number | null, zero: boolean): (number | null)[] {
  return ts.at.map((m) => (m ? f(m) ?? null : zero ? 0 : null));
}
