// A table sortable by any column (header buttons, aria-sort) and paged on
// the client; server-paged lists pass `pageSize={0}` and use CursorPager.
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { Empty } from './States';

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ComponentChildren;
  /** The value to sort by (default: row[key]); false: not sortable. */
  sort?: ((row: T) => unknown) | false;
  align?: 'right' | 'left';
  class?: string;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function Table<T>({
  columns,
  rows,
  rowKey,
  pageSize = 25,
  empty = 'Nothing here yet.',
  testid,
  rowTestid,
  caption,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  pageSize?: number;
  empty?: ComponentChildren;
  testid?: string;
  rowTestid?: (row: T) => string;
  caption?: string;
}) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [page, setPage] = useState(0);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return rows;
    const value = typeof col.sort === 'function' ? col.sort : (r: T) => (r as any)[col.key];
    return [...rows].sort((a, b) => {
      const av = value(a);
      const bv = value(b);
      // Empty values stay last in both directions.
      if (av === null || av === undefined || av === '') return bv === null || bv === undefined || bv === '' ? 0 : 1;
      if (bv === null || bv === undefined || bv === '') return -1;
      return compare(av, bv) * sort.dir;
    });
  }, [rows, sort, columns]);
  if (!rows.length) return <Empty>{empty}</Empty>;
  const pages = pageSize > 0 ? Math.max(1, Math.ceil(sorted.length / pageSize)) : 1;
  const current = Math.min(page, pages - 1);
  const shown = pageSize > 0 ? sorted.slice(current * pageSize, (current + 1) * pageSize) : sorted;
  const toggle = (key: string) =>
    setSort((s) => (s?.key === key ? (s.dir === 1 ? { key, dir: -1 } : null) : { key, dir: 1 }));
  return (
    <div class="table-wrap">
      <table class="table" data-testid={testid}>
        {caption && <caption class="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              const aria = active ? (sort!.dir === 1 ? 'ascending' : 'descending') : undefined;
              return (
                <th key={c.key} scope="col" aria-sort={aria} class={c.align === 'right' ? 'num' : undefined}>
                  {c.sort === false ? (
                    c.label
                  ) : (
                    <button type="button" class="th-sort" onClick={() => toggle(c.key)}>
                      {c.label}
                      <span class="sort-mark" aria-hidden="true">
                        {active ? (sort!.dir === 1 ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={rowKey(r)} data-testid={rowTestid?.(r)}>
              {columns.map((c) => (
                <td key={c.key} class={[c.align === 'right' ? 'num' : '', c.class ?? ''].join(' ').trim() || undefined}>
                  {c.render ? c.render(r) : fallback((r as any)[c.key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="pager" aria-label="Table pages">
          <button type="button" class="btn btn-small" disabled={current === 0} onClick={() => setPage(current - 1)}>
            ← Previous
          </button>
          <span>
            Page {current + 1} of {pages} · {sorted.length} rows
          </span>
          <button type="button" class="btn btn-small" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next →
          </button>
        </nav>
      )}
    </div>
  );
}

function fallback(v: unknown): ComponentChildren {
  if (v === null || v === undefined || v === '') return <span class="muted">—</span>;
  if (typeof v === 'object') return <code>{JSON.stringify(v)}</code>;
  return String(v);
}

/** "Newer / Next page" over a cursor-paged list (cursors kept in a stack). */
export function CursorPager({
  stack,
  next,
  onFirst,
  onNext,
  onPrevious,
  count,
}: {
  stack: string[];
  next: string | null | undefined;
  onFirst: () => void;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  count: number;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="btn btn-small" disabled={!stack.length} onClick={onFirst} data-testid="page-first">
        ⇤ Newest
      </button>
      <button type="button" class="btn btn-small" disabled={!stack.length} onClick={onPrevious} data-testid="page-previous">
        ← Newer
      </button>
      <span>
        Page {stack.length + 1} · {count} rows
      </span>
      <button type="button" class="btn btn-small" disabled={!next} onClick={() => next && onNext(next)} data-testid="page-next">
        Next page →
      </button>
    </nav>
  );
}
