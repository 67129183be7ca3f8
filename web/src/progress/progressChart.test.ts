import { describe, expect, it } from "vitest";
import { shapeProgressChart, toSvg } from "./progressChart.ts";

const H = 3600;
/** Four one-hour windows from t=0; 2 workouts each required. */
const windows = (done: (number | null)[]) =>
  done.map((d, i) => ({ start: i * H, end: (i + 1) * H, done: d, required: d === null ? null : 2 }));

describe("shapeProgressChart", () => {
  it("adds up workouts and the requirement window by window, today inside the third window", () => {
    const data = shapeProgressChart(windows([2, 1, 1, null]), 2 * H + 600);
    expect(data).not.toBeNull();
    if (data === null) return;
    expect(data.rows.map((r) => [r.cumulativeDone, r.cumulativeRequired, r.status])).toEqual([
      [2, 2, "met"],
      [3, 4, "missed"],
      [4, 6, "behind"],
      [null, 8, "upcoming"],
    ]);
    expect(data.road).toEqual([
      { t: 0, value: 0 },
      { t: H, value: 2 },
      { t: 2 * H, value: 4 },
      { t: 3 * H, value: 6 },
      { t: 4 * H, value: 8 },
    ]);
    // The current window's point is at now, not at its end.
    expect(data.actual).toEqual([
      { t: 0, value: 0 },
      { t: H, value: 2 },
      { t: 2 * H, value: 3 },
      { t: 2 * H + 600, value: 4 },
    ]);
    expect(data.today).toEqual({ t: 2 * H + 600, inside: true });
    expect(data.totals).toEqual({ done: 4, required: 8 });
    expect(data.max).toBe(8);
  });

  it("an upcoming window's unknown requirement takes the known one; a met current window is on track", () => {
    const data = shapeProgressChart(windows([3, null]), H / 2);
    expect(data?.rows.map((r) => [r.required, r.status])).toEqual([
      [2, "on-track"],
      [2, "upcoming"],
    ]);
    expect(data?.max).toBe(4);
  });

  it("before the first window: nothing done yet, today clamped to the start and marked outside", () => {
    const data = shapeProgressChart(
      [
        { start: 100, end: 200, done: null, required: 1 },
        { start: 200, end: 300, done: null, required: null },
      ],
      50,
    );
    expect(data?.today).toEqual({ t: 100, inside: false });
    expect(data?.actual).toEqual([{ t: 100, value: 0 }]);
    expect(data?.rows.every((r) => r.status === "upcoming")).toBe(true);
  });

  it("more workouts than required raise the axis to fit them", () => {
    const data = shapeProgressChart(windows([5, 4, null, null]), 2 * H + 1);
    expect(data?.max).toBe(9);
  });

  it("nothing to draw without windows or without any known requirement", () => {
    expect(shapeProgressChart([], 0)).toBeNull();
    expect(shapeProgressChart(windows([null, null]), 10)).toBeNull();
  });
});

describe("toSvg", () => {
  it("maps the span onto the padded box, y upwards", () => {
    const data = { span: { from: 0, to: 100 }, max: 10 };
    const box = { width: 120, height: 70, pad: 10 };
    expect(toSvg({ t: 0, value: 0 }, data, box)).toEqual({ x: 10, y: 60 });
    expect(toSvg({ t: 100, value: 10 }, data, box)).toEqual({ x: 110, y: 10 });
    expect(toSvg({ t: 50, value: 5 }, data, box)).toEqual({ x: 60, y: 35 });
  });
});
