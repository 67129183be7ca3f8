/**
 * A commitment's progress chart (Beeminder style): the dashed road is the cumulative requirement window by
 * window, the solid line the cumulative qualifying workouts, the vertical line today. An accessible SVG
 * (role="img" with a title and a description that says where things stand) and, for screen readers and anyone
 * who prefers numbers, the same data as a table in a details element.
 */
import { useId } from "react";
import { formatDateTime, fromUnix } from "../format/time.ts";
import { type ChartWindowStatus, type ProgressChartData, toSvg } from "./progressChart.ts";

const BOX = { width: 320, height: 140, pad: 14 };

const STATUS_WORDS: Record<ChartWindowStatus, string> = {
  met: "met",
  missed: "missed",
  "on-track": "met so far",
  behind: "behind",
  upcoming: "not started",
};

/** A line from the chart's top down to its time axis at `x` (the value axis, a window's end, today). */
function VerticalLine(props: { x: number; top: number; stroke: string; width: string; testId?: string }) {
  const { x, top, stroke, width, testId } = props;
  return (
    <line
      x1={x}
      y1={top}
      x2={x}
      y2={BOX.height - BOX.pad}
      stroke={stroke}
      strokeWidth={width}
      data-testid={testId}
    />
  );
}

function describe(data: ProgressChartData): string {
  const current = data.rows.find((r) => r.status === "on-track" || r.status === "behind");
  const met = data.rows.filter((r) => r.status === "met" || r.status === "on-track").length;
  const base = `${data.totals.done} qualifying workout${data.totals.done === 1 ? "" : "s"} of ${data.totals.required} required over ${data.rows.length} window${data.rows.length === 1 ? "" : "s"}; ${met} window${met === 1 ? "" : "s"} met.`;
  if (current === undefined) return base;
  return `${base} Window ${current.window} is open: ${current.done ?? 0} of ${current.required} done.`;
}

export function ProgressChart({ commitmentId, data }: { commitmentId: bigint; data: ProgressChartData }) {
  const id = useId();
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const line = (points: ProgressChartData["road"]) =>
    points
      .map((p) => toSvg(p, data, BOX))
      .map(({ x, y }) => `${x},${y}`)
      .join(" ");
  const today = toSvg({ t: data.today.t, value: 0 }, data, BOX);
  const top = toSvg({ t: data.span.from, value: data.max }, data, BOX);
  return (
    <figure className="progress-chart" data-testid="progress-chart">
      <svg
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        viewBox={`0 0 ${BOX.width} ${BOX.height}`}
        preserveAspectRatio="none"
        width="100%"
        height={BOX.height}
      >
        <title id={titleId}>Progress of commitment #{commitmentId.toString()}</title>
        <desc id={descId}>{describe(data)}</desc>
        <line
          x1={BOX.pad}
          y1={BOX.height - BOX.pad}
          x2={BOX.width - BOX.pad}
          y2={BOX.height - BOX.pad}
          stroke="#6b7280"
          strokeWidth="1"
        />
        <VerticalLine x={BOX.pad} top={top.y} stroke="#6b7280" width="1" />
        {data.rows.map((r) => {
          const { x } = toSvg({ t: r.end, value: 0 }, data, BOX);
          return <VerticalLine key={r.window} x={x} top={top.y} stroke="#e3e8e6" width="1" />;
        })}
        <polyline
          points={line(data.road)}
          fill="none"
          stroke="#b45309"
          strokeWidth="2"
          strokeDasharray="5 4"
          data-testid="chart-road"
        />
        <polyline
          points={line(data.actual)}
          fill="none"
          stroke="#0b6e4f"
          strokeWidth="2.5"
          data-testid="chart-actual"
        />
        {data.actual.slice(1).map((p) => {
          const { x, y } = toSvg(p, data, BOX);
          return <circle key={p.t} cx={x} cy={y} r="3" fill="#0b6e4f" />;
        })}
        {data.today.inside ? (
          <VerticalLine x={today.x} top={top.y} stroke="#1d4ed8" width="1.5" testId="chart-today" />
        ) : null}
      </svg>
      <figcaption className="hint">
        <span className="legend legend-actual">workouts</span> ·{" "}
        <span className="legend legend-road">required</span>
        {data.today.inside ? (
          <>
            {" "}
            · <span className="legend legend-today">today</span>
          </>
        ) : null}
      </figcaption>
      <details>
        <summary>Progress as a table</summary>
        <table className="progress-table" data-testid="progress-table">
          <caption className="visually-hidden">
            Workouts per window of commitment #{commitmentId.toString()}
          </caption>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col">Done</th>
              <th scope="col">Total</th>
              <th scope="col">Needed by then</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {data.rows.map((r) => (
              <tr key={r.window} data-status={r.status}>
                <th scope="row" title={`ends ${formatDateTime(fromUnix(r.end))}`}>
                  {r.window}
                </th>
                <td>{r.done === null ? "–" : `${r.done} of ${r.required}`}</td>
                <td>{r.cumulativeDone ?? "–"}</td>
                <td>{r.cumulativeRequired}</td>
                <td>{STATUS_WORDS[r.status]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
