/**
 * The data behind a commitment's Beeminder-style progress chart: cumulative qualifying workouts against the
 * required line (the "road": the per-window requirement added up window by window), with today marked.
 * Pure functions, so the shaping is unit-tested; components/ProgressChart.tsx only draws it.
 */

export interface ChartWindowInput {
  /** Unix seconds. */
  start: number;
  end: number;
  /** Qualifying workouts counted in this window, or null when not known (window not opened, rules unknown). */
  done: number | null;
  /** Workouts this window requires, or null when not known. */
  required: number | null;
}

export type ChartWindowStatus = "met" | "missed" | "on-track" | "behind" | "upcoming";

export interface ChartRow {
  window: number;
  start: number;
  end: number;
  done: number | null;
  required: number;
  /** Qualifying workouts up to the end of this window (or up to now for the current one); null for upcoming. */
  cumulativeDone: number | null;
  /** What the road asks for by the end of this window. */
  cumulativeRequired: number;
  status: ChartWindowStatus;
}

export interface ChartPoint {
  /** Unix seconds. */
  t: number;
  value: number;
}

export interface ProgressChartData {
  rows: ChartRow[];
  /** The road: 0 at the first window's start, then the cumulative requirement at each window's end. */
  road: ChartPoint[];
  /** Cumulative workouts: 0 at the start, each ended window's end, and now (inside the current window). */
  actual: ChartPoint[];
  /** Now, clamped to the chart's span; `inside` is false before the first or after the last window. */
  today: { t: number; inside: boolean };
  span: { from: number; to: number };
  /** The y axis top: the larger of the total requirement and the workouts done, at least 1. */
  max: number;
  totals: { done: number; required: number };
}

/**
 * Shapes the chart; null when there is nothing to draw (no window, or no window says what it requires).
 * A window whose requirement is unknown takes the first known one (the rules ask the same of every window).
 */
export function shapeProgressChart(windows: ChartWindowInput[], nowSec: number): ProgressChartData | null {
  if (windows.length === 0) return null;
  const known = windows.find((w) => w.required !== null)?.required;
  if (known === undefined || known === null) return null;
  const first = windows[0];
  const last = windows[windows.length - 1];
  if (first === undefined || last === undefined) return null;
  const rows: ChartRow[] = [];
  const road: ChartPoint[] = [{ t: first.start, value: 0 }];
  const actual: ChartPoint[] = [{ t: first.start, value: 0 }];
  let cumulativeRequired = 0;
  let cumulativeDone = 0;
  windows.forEach((w, i) => {
    const required = w.required ?? known;
    cumulativeRequired += required;
    road.push({ t: w.end, value: cumulativeRequired });
    const opened = w.start <= nowSec;
    const ended = w.end <= nowSec;
    const done = opened ? (w.done ?? 0) : null;
    let status: ChartWindowStatus;
    if (!opened) status = "upcoming";
    else if (ended) status = (done ?? 0) >= required ? "met" : "missed";
    else status = (done ?? 0) >= required ? "on-track" : "behind";
    if (done !== null) {
      cumulativeDone += done;
      actual.push({ t: ended ? w.end : nowSec, value: cumulativeDone });
    }
    rows.push({
      window: i + 1,
      start: w.start,
      end: w.end,
      done,
      required,
      cumulativeDone: done === null ? null : cumulativeDone,
      cumulativeRequired,
      status,
    });
  });
  const inside = nowSec >= first.start && nowSec <= last.end;
  const t = Math.min(Math.max(nowSec, first.start), last.end);
  return {
    rows,
    road,
    actual,
    today: { t, inside },
    span: { from: first.start, to: last.end },
    max: Math.max(1, cumulativeRequired, cumulativeDone),
    totals: { done: cumulativeDone, required: cumulativeRequired },
  };
}

/** Scales a chart point into an SVG box with padding; y grows downwards in SVG. */
export function toSvg(
  point: ChartPoint,
  data: Pick<ProgressChartData, "span" | "max">,
  box: { width: number; height: number; pad: number },
): { x: number; y: number } {
  const spanSec = Math.max(1, data.span.to - data.span.from);
  const x = box.pad + ((point.t - data.span.from) / spanSec) * (box.width - 2 * box.pad);
  const y = box.height - box.pad - (point.value / data.max) * (box.height - 2 * box.pad);
  return { x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 };
}
