import { expect } from "chai";
import { type CommitmentWithRules, countWorkout } from "../../src/services/countWorkout.ts";
import type { MilestoneRules } from "../../src/workouts/index.ts";

const START = 1_795_392_000; // 2026-11-23T00:00:00Z
const WEEK = 7 * 86_400;
const HOUR_MS = 3_600_000;

const RULES: MilestoneRules = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride"] },
  evidence: "device",
};

function commitment(
  id: bigint,
  overrides: Partial<CommitmentWithRules["commitment"]> = {},
  rules: MilestoneRules | null = RULES,
): CommitmentWithRules {
  return {
    commitment: {
      commitmentId: id,
      amount: 300n,
      start: START,
      period: WEEK,
      milestones: 3,
      grace: 86_400,
      milestoneStates: ["Open", "Open", "Open"],
      closed: false,
      ...overrides,
    },
    rules,
  };
}

const run = {
  id: "w1",
  source: "fit" as const,
  sport: "run" as const,
  startTime: START * 1000 + 8 * 24 * HOUR_MS, // day 8: window 1
  durationSec: 2700,
  status: "accepted" as const,
};

describe("countWorkout", () => {
  it("counts an accepted workout for the open window it started in", () => {
    expect(countWorkout(run, [commitment(1n)])).to.deep.equal({
      countsFor: [{ commitmentId: "1", milestoneIndex: 1 }],
      notCounted: [],
    });
  });

  it("gives every counting reason for a commitment it does not count toward", () => {
    const short = { ...run, sport: "walk" as const, durationSec: 600, source: "manual" as const };
    const result = countWorkout(short, [commitment(1n)]);
    expect(result.countsFor).to.deep.equal([]);
    expect(result.notCounted).to.have.length(1);
    expect(result.notCounted[0]?.commitmentId).to.equal("1");
    expect(result.notCounted[0]?.milestoneIndex).to.equal(1);
    expect(result.notCounted[0]?.reasons.map((r) => r.code)).to.deep.equal([
      "manual_not_allowed",
      "activity_not_allowed",
      "too_short",
    ]);
  });

  it("says milestone_settled for a window whose milestone is no longer Open", () => {
    const result = countWorkout(run, [commitment(2n, { milestoneStates: ["Open", "Released", "Open"] })]);
    expect(result.countsFor).to.deep.equal([]);
    expect(result.notCounted).to.deep.equal([
      {
        commitmentId: "2",
        milestoneIndex: 1,
        reasons: [
          {
            code: "milestone_settled",
            message: "Milestone 1 of commitment 2 is already settled (Released).",
          },
        ],
      },
    ]);
  });

  it("still counts a workout for an Appealed milestone (not settled: a late quorum may claim it)", () => {
    const result = countWorkout(run, [commitment(2n, { milestoneStates: ["Open", "Appealed", "Open"] })]);
    expect(result.countsFor).to.deep.equal([{ commitmentId: "2", milestoneIndex: 1 }]);
    expect(result.notCounted).to.deep.equal([]);
  });

  it("says outside_window, without an index, for a commitment that has not started yet", () => {
    const later = commitment(3n, { start: START + 2 * WEEK });
    const result = countWorkout(run, [later]);
    expect(result.countsFor).to.deep.equal([]);
    expect(result.notCounted).to.have.length(1);
    expect(result.notCounted[0]).to.not.have.property("milestoneIndex");
    expect(result.notCounted[0]?.reasons.map((r) => r.code)).to.deep.equal(["outside_window"]);
  });

  it("leaves out commitments that ended before the workout, are closed, or whose rules are unknown", () => {
    const ended = commitment(4n, { start: START - 10 * WEEK });
    const closed = commitment(5n, { closed: true });
    const unknown = commitment(6n, {}, null);
    expect(countWorkout(run, [ended, closed, unknown])).to.deep.equal({ countsFor: [], notCounted: [] });
  });

  it("counts one workout toward several commitments, and nothing for a rejected workout", () => {
    const result = countWorkout(run, [
      commitment(1n),
      commitment(7n, {
        start: START + WEEK,
        period: 86_400,
        milestones: 14,
        milestoneStates: Array(14).fill("Open"),
      }),
    ]);
    expect(result.countsFor).to.deep.equal([
      { commitmentId: "1", milestoneIndex: 1 },
      { commitmentId: "7", milestoneIndex: 1 },
    ]);
    expect(countWorkout({ ...run, status: "rejected" }, [commitment(1n)])).to.deep.equal({
      countsFor: [],
      notCounted: [],
    });
  });
});
