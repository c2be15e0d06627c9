// Rendering numbers, money and times. Times are shown in the viewer's own
// time zone (Intl picks it); money arrives as nano-dollars or USD floats.

export const TIME_ZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  } catch {
    return 'local time';
  }
})();

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });

export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '—';
  return dateTime.format(new Date(Number(ms)));
}

export function fmtShortTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return shortTime.format(new Date(Number(ms)));
}

/** "3 min ago" style, for recent events. */
export function fmtAgo(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return '—';
  const s = Math.round((now - Number(ms)) / 1000);
  if (s < 0) return fmtTime(ms);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmtTime(ms);
}

export function fmtNum(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '—';
  return Number(n).toLocaleString();
}

/** USD with precision that keeps tiny LLM costs visible. */
export function fmtUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(Number(usd))) return '—';
  const v = Number(usd);
  const a = Math.abs(v);
  const digits = a === 0 ? 2 : a >= 100 ? 2 : a >= 1 ? 3 : a >= 0.01 ? 4 : 6;
  return `${v < 0 ? '−' : ''}$${a.toFixed(digits)}`;
}

export function nanosToUsd(n: number | null | undefined): number | null {
  return n === null || n === undefined ? null : Number(n) / 1e9;
}

export function fmtNanos(n: number | null | undefined): string {
  return fmtUsd(nanosToUsd(n));
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const v = Number(ms);
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

export function fmtPct(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(Number(r))) return '—';
  return `${(Number(r) * 100).toFixed(Number(r) < 0.1 ? 2 : 1)}%`;
}

/** `datetime-local` input value ⇄ ms since the epoch, in local time. */
export function toLocalInput(ms: number | null | undefined): string {
  if (!ms) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
