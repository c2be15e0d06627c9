// A time-series line chart on uPlot. x is in seconds; uPlot draws the axis
// in the viewer's time zone.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: boolean;
  /** Draw each value as a point too (sparse series such as percentiles). */
  points?: boolean;
}

/** 1, 2, 5, 10, 20, 50, … : tick steps for counts, which have no fractions. */
const INTEGER_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

export function Chart({
  title,
  x,
  series,
  fmt = (v: number) => String(v),
  height = 200,
  integer = false,
  testid,
}: {
  title: string;
  x: number[];
  series: Series[];
  fmt?: (v: number) => string;
  height?: number;
  integer?: boolean;
  testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== 0).length, 0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e2e5ea' } },
        {
          stroke: '#5b6472',
          grid: { stroke: '#eef0f3' },
          ticks: { stroke: '#e2e5ea' },
          // Wide enough for the longest label ("$0.000004").
          size: (_u: uPlot, values: string[]) => (values?.length ? Math.max(...values.map((v) => v.length)) * 7.5 + 16 : 40),
          incrs: integer ? INTEGER_STEPS : undefined,
          values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v))),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: series.length === 1 ? `${s.color}22` : undefined,
          dash: s.dash ? [6, 4] : undefined,
          spanGaps: true,
          points: { show: s.points || x.length < 3, size: 6 },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : fmt(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, series, height]);
  return (
    <figure class="chart" data-testid={testid} data-points={points}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${title}: ${x.length} time buckets`} />
    </figure>
  );
}
