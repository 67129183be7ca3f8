import { expect } from "chai";
import type { Hex } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { assembleActivity, type DeclaredSummary } from "../../src/workouts/assembleActivity.ts";
import type { ParseProblemCode, Reason } from "../../src/workouts/reasons.ts";
import { buildSampleSummary } from "../../src/workouts/sampleSummary.ts";
import { SPORT_LIMITS } from "../../src/workouts/sportLimits.ts";
import type { Sport } from "../../src/workouts/sport.ts";
import {
  DEFAULT_VERIFY_LIMITS,
  type ExistingWorkout,
  type VerifiableActivity,
  verifyWorkout,
} from "../../src/workouts/verifyWorkout.ts";
import { METRES_PER_DEGREE_LAT, samplePoints, T0, type TrackPoint, track } from "./fixtures.ts";

const HASH_A: Hex = `0x${"aa".repeat(32)}`;
const HASH_B: Hex = `0x${"bb".repeat(32)}`;
const clock = new ManualClock(T0 + 86_400_000);

function activity(
  points: TrackPoint[],
  options: {
    sport?: Sport;
    declared?: DeclaredSummary;
    problems?: Reason<ParseProblemCode>[];
    hash?: Hex;
  } = {},
): VerifiableActivity {
  return {
    ...assembleActivity({
      source: "gpx",
      index: 0,
      sport: options.sport ?? "run",
      samples: buildSampleSummary(samplePoints(points)),
      declared: options.declared ?? {},
      problems: options.problems ?? [],
    }),
    contentHash: options.hash ?? HASH_A,
  };
}

function codes(a: VerifiableActivity, existing: ExistingWorkout[] = [], at = clock): string[] {
  return verifyWorkout(a, { clock: at, acceptedExisting: existing }).reasons.map((r) => r.code);
}

/** A 30-min run at 3 m/s with heart rate, then `extra` appended (each shifted to follow it). */
function run(extra: (start: number, lat: number) => TrackPoint[] = () => []): TrackPoint[] {
  const base = track({ start: T0, seconds: 1800, speedMps: 3, heartRate: 150 });
  const last = base[base.length - 1] as TrackPoint;
  return [...base, ...extra((last.time ?? 0) + 1000, last.lat ?? 47)];
}

/** Points standing still with a few metres of GPS jitter. */
function standing(start: number, seconds: number, heartRate?: number): TrackPoint[] {
  return track({ start, seconds, speedMps: 0, ...(heartRate !== undefined ? { heartRate } : {}) }).map(
    (p, i) => ({
      ...p,
      lat: 47 + ((i % 7) - 3) / METRES_PER_DEGREE_LAT,
      lon: 8 + ((i % 5) - 2) / METRES_PER_DEGREE_LAT,
    }),
  );
}

describe("verifyWorkout", () => {
  it("accepts a genuine run, and is pure: same verdict twice, input and clock untouched", () => {
    const a = activity(run());
    const frozen = structuredClone(a);
    const first = verifyWorkout(a, { clock, acceptedExisting: [] });
    const second = verifyWorkout(a, { clock, acceptedExisting: [] });
    expect(first).to.deep.equal({ status: "accepted", reasons: [] });
    expect(second).to.deep.equal(first);
    expect(a).to.deep.equal(frozen);
    expect(clock.now()).to.equal(T0 + 86_400_000);
  });

  it("passes parse problems through and skips the checks they make meaningless", () => {
    const corrupt = activity(run(), { problems: [{ code: "corrupt_file", message: "damaged" }] });
    expect(verifyWorkout(corrupt, { clock, acceptedExisting: [] })).to.deep.equal({
      status: "rejected",
      reasons: [{ code: "corrupt_file", message: "damaged" }],
    });
  });

  describe("time", () => {
    it("rejects dates before 2000 (FIT epoch, 1901) as invalid_timestamps", () => {
      const fitEpoch = Date.UTC(1989, 11, 31);
      expect(codes(activity(track({ start: fitEpoch, seconds: 600, speedMps: 3 })))).to.deep.equal([
        "invalid_timestamps",
      ]);
    });

    it("rejects time running backwards (3 steps, or one step over a minute) but tolerates a 1-s re-sync", () => {
      const points = run();
      const withSteps = (steps: [index: number, ms: number][]) =>
        points.map((p, i) => {
          const step = steps.find(([index]) => index === i);
          return step !== undefined ? { ...p, time: (p.time ?? 0) - step[1] } : p;
        });
      expect(codes(activity(withSteps([[100, 2000]])))).to.deep.equal([]);
      expect(
        codes(
          activity(
            withSteps([
              [100, 2000],
              [200, 2000],
              [300, 2000],
            ]),
          ),
        ),
      ).to.deep.equal(["invalid_timestamps"]);
      expect(codes(activity(withSteps([[100, 120_000]])))).to.deep.equal(["invalid_timestamps"]);
    });

    it("rejects an elapsed time over 48 hours", () => {
      const points = [
        ...run(),
        ...track({ start: T0 + 49 * 3600_000, seconds: 60, speedMps: 3, lat0: 47.2 }),
      ];
      const verdict = verifyWorkout(activity(points), {
        clock: new ManualClock(T0 + 4 * 86_400_000),
        acceptedExisting: [],
      });
      expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["invalid_timestamps"]);
      expect(verdict.reasons[0]?.message).to.match(/spans 2\.0 days, more than 48 h/);
    });

    it("rejects an end beyond now + 5 minutes as future_timestamp", () => {
      const a = activity(run());
      const end = T0 + 1800_000;
      expect(codes(a, [], new ManualClock(end - 4 * 60_000))).to.deep.equal([]);
      expect(codes(a, [], new ManualClock(end - 6 * 60_000))).to.deep.equal(["future_timestamp"]);
      expect(
        verifyWorkout(a, {
          clock: new ManualClock(end - 6 * 60_000),
          acceptedExisting: [],
          limits: { futureSkewSec: 600 },
        }).status,
      ).to.equal("accepted");
    });
  });

  describe("not_a_workout", () => {
    it("rejects an activity without timed samples (a summary only)", () => {
      const summaryOnly = activity([], { declared: { startTime: T0, timerSec: 19, elapsedSec: 38 } });
      expect(codes(summaryOnly)).to.deep.equal(["not_a_workout"]);
    });

    it("rejects standing still without heart rate, power or cadence; accepts it with a heart-rate trace", () => {
      const still = standing(T0, 1800);
      expect(activity(still).samples.pathM).to.be.above(1000); // jitter adds path, not extent
      expect(codes(activity(still))).to.deep.equal(["not_a_workout"]);
      expect(codes(activity(standing(T0, 1800, 120), { sport: "strength" }))).to.deep.equal([]);
    });
  });

  describe("implausible_speed", () => {
    it("rejects a run whose median speed is beyond any runner (8 m/s)", () => {
      expect(codes(activity(track({ start: T0, seconds: 1800, speedMps: 8 })))).to.deep.equal([
        "implausible_speed",
      ]);
    });

    it("tolerates 60 s of bursts over 11 m/s in a run, not 90 s", () => {
      const burst = (seconds: number) => (start: number, lat: number) =>
        track({ start, seconds, speedMps: 12, lat0: lat + 12 / METRES_PER_DEGREE_LAT });
      expect(codes(activity(run(burst(50))))).to.deep.equal([]);
      expect(codes(activity(run(burst(90))))).to.deep.equal(["implausible_speed"]);
    });

    it("applies each sport's own limits", () => {
      const at = (speedMps: number) => track({ start: T0, seconds: 1800, speedMps });
      expect(codes(activity(at(5), { sport: "walk" }))).to.deep.equal(["implausible_speed"]);
      expect(codes(activity(at(4), { sport: "walk" }))).to.deep.equal([]);
      expect(codes(activity(at(3), { sport: "swim" }))).to.deep.equal(["implausible_speed"]);
      expect(codes(activity(at(1.5), { sport: "swim" }))).to.deep.equal([]);
      expect(codes(activity(at(6), { sport: "row" }))).to.deep.equal([]);
      expect(codes(activity(at(12), { sport: "ride" }))).to.deep.equal([]);
      expect(codes(activity(at(18), { sport: "ride" }))).to.deep.equal(["implausible_speed"]);
    });

    it("rejects a 'ride' holding 25 m/s uphill: it would need kilowatts (a car), though no speed limit is hit", () => {
      const flat = track({ start: T0 - 1800_000, seconds: 1799, speedMps: 8, ele: () => 200 });
      const lat0 = (flat[flat.length - 1]?.lat ?? 0) + 25 / METRES_PER_DEGREE_LAT;
      const uphill = track({ start: T0, seconds: 120, speedMps: 25, lat0, ele: (s) => 200 + 0.5 * s });
      const car = activity([...flat, ...uphill], { sport: "ride" });
      expect(car.samples.peakPowerW).to.be.above(SPORT_LIMITS.ride.maxPeakPowerW ?? 0);
      expect(codes(car)).to.deep.equal(["implausible_speed"]);
    });
  });

  describe("gps_teleport", () => {
    it("rejects a jump of 2 km in 2 s; a single 800 m glitch is not a teleport", () => {
      const jump = (metres: number) =>
        track({ start: T0, seconds: 1800, speedMps: 3, heartRate: 150, teleportAt: 900, teleportM: metres });
      expect(codes(activity(jump(2000)))).to.deep.equal(["gps_teleport"]);
      expect(codes(activity(jump(800)))).to.deep.equal([]);
    });
  });

  describe("implausible_heart_rate", () => {
    it("rejects heart rates outside 25-230 bpm lasting a minute and 10% of the time, ignores zeros", () => {
      const withHr = (hr: (s: number) => number) =>
        activity(track({ start: T0, seconds: 1800, speedMps: 3, heartRate: hr }));
      expect(codes(withHr((s) => (s < 600 ? 250 : 150)))).to.deep.equal(["implausible_heart_rate"]);
      expect(codes(withHr((s) => (s < 600 ? 15 : 150)))).to.deep.equal(["implausible_heart_rate"]);
      expect(codes(withHr((s) => (s < 30 ? 240 : 150)))).to.deep.equal([]);
      expect(codes(withHr(() => 0))).to.deep.equal([]);
    });
  });

  describe("duplicate and overlaps_existing", () => {
    const existing = (hash: Hex, startOffsetSec: number, seconds: number): ExistingWorkout => ({
      contentHash: hash,
      startTime: T0 + startOffsetSec * 1000,
      endTime: T0 + (startOffsetSec + seconds) * 1000,
    });

    it("rejects the same content hash as duplicate (and not as an overlap of itself)", () => {
      expect(codes(activity(run()), [existing(HASH_A, 0, 1800)])).to.deep.equal(["duplicate"]);
    });

    it("rejects an overlap of more than a minute with another accepted workout", () => {
      expect(codes(activity(run()), [existing(HASH_B, 1200, 3600)])).to.deep.equal(["overlaps_existing"]);
      expect(codes(activity(run()), [existing(HASH_B, 1770, 3600)])).to.deep.equal([]);
      expect(codes(activity(run()), [existing(HASH_B, -3600, 3600)])).to.deep.equal([]);
      expect(
        verifyWorkout(activity(run()), {
          clock,
          acceptedExisting: [existing(HASH_B, 1770, 3600)],
          limits: { overlapToleranceSec: 0 },
        }).reasons.map((r) => r.code),
      ).to.deep.equal(["overlaps_existing"]);
    });
  });

  it("lists every failing check once, in a stable order", () => {
    const car = activity(track({ start: T0 + 2 * 86_400_000, seconds: 1800, speedMps: 20, heartRate: 250 }));
    expect(
      codes(car, [{ contentHash: HASH_B, startTime: T0 + 2 * 86_400_000, endTime: T0 + 3 * 86_400_000 }]),
    ).to.deep.equal(["future_timestamp", "implausible_speed", "implausible_heart_rate", "overlaps_existing"]);
  });

  it("exposes its defaults", () => {
    expect(DEFAULT_VERIFY_LIMITS).to.deep.equal({
      futureSkewSec: 300,
      minValidTime: Date.UTC(2000, 0, 1),
      maxElapsedSec: 172_800,
      overlapToleranceSec: 60,
    });
  });
});
