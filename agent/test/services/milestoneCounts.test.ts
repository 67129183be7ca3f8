/**
 * `milestoneCountsOf` (what `GET /api/commitments/:id` counts from the workouts read with the commitment) gives
 * each milestone exactly what `milestoneProgressOf` gives it from the store: done, required, met and the
 * qualifying workouts in order.
 */
import { expect } from "chai";
import { milestoneCountsOf, milestoneProgressOf } from "../../src/services/milestoneProgress.ts";
import type { WorkoutRecord } from "../../src/store/workoutsRepository.ts";
import type { MilestoneRules } from "../../src/workouts/index.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 23) / 1000;
const PERIOD = 7 * 86_400;
const COMMITMENT = {
  amount: 1000n,
  start: START,
  period: PERIOD,
  milestones: 3,
  grace: 86_400,
  milestoneStates: ["Open", "Open", "Open"] as const,
};
const RULES: MilestoneRules = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 2, minMinutes: 30, activities: ["run", "strength", "other"] },
  evidence: "any",
};

let ids = 0;
function record(startMs: number, minutes: number, overrides: Partial<WorkoutRecord> = {}): WorkoutRecord {
  ids += 1;
  return {
    id: `00000000-0000-4000-8000-${String(ids).padStart(12, "0")}`,
    owner: "0x0000000000000000000000000000000000000001",
    source: "fit",
    contentHash: `0x${String(ids).padStart(64, "0")}`,
    sport: "run",
    startTime: new Date(startMs),
    endTime: new Date(startMs + minutes * 60_000),
    durationSec: minutes * 60,
    elapsedSec: minutes * 60,
    distanceM: null,
    avgHeartRate: null,
    verdict: { status: "accepted", reasons: [] },
    provider: null,
    providerActivityId: null,
    notes: null,
    createdAt: new Date(startMs),
    sportOrigin: "named",
    sportDetail: null,
    ...overrides,
  };
}

describe("milestoneCountsOf", () => {
  it("counts each milestone as milestoneProgressOf does from the same workouts", async () => {
    const t0 = START * 1000;
    // Oldest first, as the store reads them.
    const workouts = [
      record(t0 - HOUR / 2, 60), // started before the first window: counts nowhere
      record(t0 + HOUR, 45),
      record(t0 + 2 * HOUR, 20), // too short
      record(t0 + 3 * HOUR, 40, { sport: "yoga" }), // a sport the rules do not know: other
      record(t0 + 4 * HOUR, 40, { sport: "swim" }), // not among the activities
      record(t0 + PERIOD * 1000 + HOUR, 50, { source: "manual" }),
      record(t0 + 2 * PERIOD * 1000 - HOUR / 2, 60), // ends in the third window, counts in the second
      record(t0 + 3 * PERIOD * 1000 - HOUR / 4, 30), // ends after the last window
    ];
    const repositories = { workouts: { acceptedOverlapping: async () => workouts } };
    const progress = await milestoneProgressOf({
      repositories: repositories as never,
      owner: workouts[0]?.owner ?? "",
      commitment: COMMITMENT,
      rules: RULES,
    });
    const counts = milestoneCountsOf({
      commitment: COMMITMENT,
      rules: RULES,
      workouts: workouts.map((w) => ({
        id: w.id,
        source: w.source,
        sport: w.sport,
        startTime: w.startTime.getTime(),
        durationSec: w.durationSec,
      })),
    });
    expect(counts).to.have.length(3);
    counts.forEach((count, index) => {
      const expected = progress.get(index);
      expect(count).to.deep.equal({
        done: expected?.done,
        required: expected?.required,
        met: expected?.met,
        qualifyingIds: expected?.qualifying.map((w) => w.id),
      });
    });
    expect(counts.map((c) => c.done)).to.deep.equal([2, 2, 1]);
  });
});
