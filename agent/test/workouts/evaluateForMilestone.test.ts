import { expect } from "chai";
import {
  type CountableWorkout,
  evaluateForMilestone,
  type MilestoneRules,
  summarizeWindow,
} from "../../src/workouts/evaluateForMilestone.ts";

const rules: MilestoneRules = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};
const WEEK = 7 * 86_400_000;
const window = {
  startMs: Date.parse("2026-11-23T00:00:00Z"),
  endMs: Date.parse("2026-11-23T00:00:00Z") + WEEK,
};

function workout(overrides: Partial<CountableWorkout> = {}): CountableWorkout {
  return {
    id: "w1",
    source: "fit",
    sport: "run",
    startTime: Date.parse("2026-11-24T07:00:00Z"),
    durationSec: 2820,
    ...overrides,
  };
}

const codes = (w: CountableWorkout, r = rules) =>
  evaluateForMilestone(w, r, window).reasons.map((x) => x.code);

describe("evaluateForMilestone", () => {
  it("counts a device workout of an allowed sport, long enough, started inside the window", () => {
    expect(evaluateForMilestone(workout(), rules, window)).to.deep.equal({ counts: true, reasons: [] });
  });

  it("refuses manual logs when the rules require device evidence, not when they accept any", () => {
    expect(codes(workout({ source: "manual" }))).to.deep.equal(["manual_not_allowed"]);
    expect(codes(workout({ source: "manual" }), { ...rules, evidence: "any" })).to.deep.equal([]);
    expect(codes(workout({ source: "provider" }))).to.deep.equal([]);
  });

  it("refuses a sport the rules do not list", () => {
    expect(codes(workout({ sport: "walk" }))).to.deep.equal(["activity_not_allowed"]);
  });

  it("refuses less moving time than minMinutes, to the second", () => {
    expect(codes(workout({ durationSec: 1799.9 }))).to.deep.equal(["too_short"]);
    expect(codes(workout({ durationSec: 1800 }))).to.deep.equal([]);
  });

  it("counts a workout for the window it started in: [start, end)", () => {
    expect(codes(workout({ startTime: window.startMs }))).to.deep.equal([]);
    expect(codes(workout({ startTime: window.endMs - 1 }))).to.deep.equal([]);
    expect(codes(workout({ startTime: window.endMs }))).to.deep.equal(["outside_window"]);
    expect(codes(workout({ startTime: window.startMs - 1 }))).to.deep.equal(["outside_window"]);
  });

  it("gives every failing reason at once", () => {
    expect(codes(workout({ source: "manual", sport: "swim", durationSec: 60, startTime: 0 }))).to.deep.equal([
      "manual_not_allowed",
      "activity_not_allowed",
      "too_short",
      "outside_window",
    ]);
  });
});

describe("summarizeWindow", () => {
  it("counts accepted qualifying workouts, earliest first, and says whether the milestone is met", () => {
    const day = (d: number, h = 7) => Date.parse(`2026-11-${String(23 + d).padStart(2, "0")}T0${h}:00:00Z`);
    const workouts = [
      { ...workout({ id: "c", startTime: day(3) }), status: "accepted" as const },
      { ...workout({ id: "a", startTime: day(1) }), status: "accepted" as const },
      { ...workout({ id: "rejected", startTime: day(2) }), status: "rejected" as const },
      { ...workout({ id: "short", startTime: day(2), durationSec: 600 }), status: "accepted" as const },
      { ...workout({ id: "b", startTime: day(1) }), status: "accepted" as const },
    ];
    expect(summarizeWindow(workouts, rules, window)).to.deep.equal({
      done: 3,
      required: 3,
      met: true,
      qualifyingIds: ["a", "b", "c"],
    });
    expect(summarizeWindow(workouts.slice(0, 2), rules, window)).to.deep.equal({
      done: 2,
      required: 3,
      met: false,
      qualifyingIds: ["a", "c"],
    });
  });
});
