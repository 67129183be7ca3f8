import type { CompactTrackFingerprint } from "./trackFingerprint.ts";
import type { Hex } from "viem";
import type { Clock } from "../clock.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import type { Reason, RejectionCode } from "./reasons.ts";
import { HEART_RATE_BIN_BPM, type SampleSummary, SPEED_BIN_MPS } from "./sampleSummary.ts";
import { GENERAL_LIMITS, SPORT_LIMITS } from "./sportLimits.ts";
import { detectSyntheticTrack } from "./syntheticTrack.ts";

/**
 * Decides whether a parsed activity is genuine, new evidence. PURE: the same activity, clock reading and
 * accepted workouts always give the same verdict; nothing is read from the environment.
 *
 * Checks, in order (every failing check adds its reason; a verdict lists them all, each code at most once):
 * 1. Parse problems the parser found (`corrupt_file`, `no_timestamps`, ...).
 * 2. Time: `invalid_timestamps` for dates before `limits.minValidTime` (FIT's 1989 epoch, GPSBabel's 1901),
 *    times that run backwards (more than twice, or by more than a minute), timestamps that never advance,
 *    or an elapsed time above `limits.maxElapsedSec` (a 27-day "ride" cannot be placed in any window);
 *    `future_timestamp` when the end lies beyond clock.now() + `limits.futureSkewSec`.
 * 3. `not_a_workout`: fewer than two timed samples ("no samples": a session without records, a track without
 *    points), or no movement (fixes within a 50 m box, device distance < 50 m) together with no heart-rate,
 *    power or cadence trace. A strength session without GPS is a workout: its heart rate is the evidence.
 * 4. Plausibility, per sport (sportLimits.ts), skipped when the timeline itself is unusable (1-2 failed):
 *    `implausible_speed` (median moving speed, time spent at burst speed, 30-s power for wheeled sports),
 *    `gps_teleport` (a jump between consecutive fixes >= 1 km at >= 300 km/h), `implausible_heart_rate`
 *    (readings outside 25-230 bpm for at least a minute and 10% of the heart-rate time; 0 means "no reading").
 *    `synthetic_track`: the track or heart rate looks generated (constant pace or spacing, no GPS noise, white
 *    noise instead of a receiver's, a heart rate that never varies; see syntheticTrack.ts).
 * 5. `duplicate`: an accepted workout has the same content hash. `overlaps_existing`: the time range overlaps
 *    an accepted workout with a different hash by more than `limits.overlapToleranceSec`.
 */
export interface VerifyLimits {
  /** Clock skew tolerated for end times in the future, seconds. */
  futureSkewSec: number;
  /** Earliest credible timestamp, ms since the epoch. */
  minValidTime: number;
  /** Longest credible wall time of one workout, seconds. */
  maxElapsedSec: number;
  /** Overlap with an accepted workout tolerated at the edges (back-to-back legs, rounding), seconds. */
  overlapToleranceSec: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyLimits = {
  futureSkewSec: 5 * 60,
  // Consumer GPS logging starts around 2000; FIT's epoch (1989-12-31) is what an unset clock reports.
  minValidTime: Date.UTC(2000, 0, 1),
  // Two days: longer than any single ultra-endurance effort people log as one workout.
  maxElapsedSec: 48 * 3600,
  overlapToleranceSec: 60,
};

/** An accepted workout already on record, as far as this check needs it (times in ms since the epoch). */
export interface ExistingWorkout {
  contentHash: Hex;
  startTime: number;
  endTime: number;
}

export interface VerifyWorkoutContext {
  clock: Clock;
  acceptedExisting: readonly ExistingWorkout[];
  limits?: Partial<VerifyLimits>;
}

export type VerifiableActivity = ParsedActivity & {
  contentHash: Hex;
  /**
   * The track's replay fingerprint, set only by the parse worker (`withFingerprints`); the ingestion trusts it
   * for uploaded files and ignores it for provider data. Absent: computed by the ingestion.
   */
  fingerprint?: CompactTrackFingerprint | undefined;
};

export interface Verdict {
  status: "accepted" | "rejected";
  reasons: Reason<RejectionCode>[];
}

export type VerifyWorkoutParameters = Parameters<typeof verifyWorkout>;
export type VerifyWorkoutReturnType = Verdict;

/** Backward time steps tolerated (a device may re-sync its clock to GPS time once or twice). */
const MAX_BACKWARD_STEPS = 2;
const MAX_BACKWARD_SEC = 60;
/** Share of consecutive samples with the very same timestamp beyond which time does not advance. */
const MAX_REPEATED_SHARE = 0.5;

/** An instant as ISO 8601 for a message; the raw number when it is no date. */
export function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : String(ms);
}

/**
 * `overlaps_existing` when an accepted workout other than this content overlaps [start, end] by more than the
 * tolerance; undefined otherwise. Shared by file and manual verification.
 */
export function overlapReason(
  acceptedExisting: readonly ExistingWorkout[],
  activity: { contentHash: Hex; startMs: number; endMs: number },
  toleranceSec: number,
): Reason<RejectionCode> | undefined {
  const tolerance = toleranceSec * 1000;
  const overlapping = acceptedExisting.find(
    (w) =>
      w.contentHash !== activity.contentHash &&
      Math.min(activity.endMs, w.endTime) - Math.max(activity.startMs, w.startTime) > tolerance,
  );
  if (overlapping === undefined) return undefined;
  return {
    code: "overlaps_existing",
    message: `It overlaps an accepted workout (${iso(overlapping.startTime)} to ${iso(overlapping.endTime)}).`,
  };
}

function sumBins(bins: readonly number[], fromBin: number, toBin = bins.length): number {
  let total = 0;
  for (let i = Math.max(0, fromBin); i < Math.min(toBin, bins.length); i += 1) total += bins[i] ?? 0;
  return total;
}

/** Time-weighted median of the speed histogram over moving bins (>= one bin width), m/s (bin lower edge). */
function medianMovingSpeed(speedSeconds: readonly number[]): number | undefined {
  const moving = sumBins(speedSeconds, 1);
  if (moving <= 0) return undefined;
  let seen = 0;
  for (let i = 1; i < speedSeconds.length; i += 1) {
    seen += speedSeconds[i] ?? 0;
    if (seen * 2 >= moving) return i * SPEED_BIN_MPS;
  }
  return undefined;
}

function timeChecks(
  activity: VerifiableActivity,
  limits: VerifyLimits,
  now: number,
): Reason<RejectionCode>[] {
  const reasons: Reason<RejectionCode>[] = [];
  const s = activity.samples;
  const endTime = activity.startTime + activity.elapsedSec * 1000;
  const earliest = Math.min(activity.startTime, s.minTime ?? activity.startTime);
  const invalid: string[] = [];
  if (earliest < limits.minValidTime) {
    invalid.push(`it starts on ${iso(earliest)}, before ${iso(limits.minValidTime)}`);
  }
  if (s.backwardSteps > MAX_BACKWARD_STEPS) {
    invalid.push(`time runs backwards ${s.backwardSteps} times`);
  } else if (s.maxBackwardSec > MAX_BACKWARD_SEC) {
    invalid.push(`time jumps back by ${Math.round(s.maxBackwardSec)} s`);
  }
  if (s.timedPoints >= 10 && s.repeatedTimes >= MAX_REPEATED_SHARE * (s.timedPoints - 1)) {
    invalid.push(`${s.repeatedTimes + 1} of ${s.timedPoints} samples share their timestamp`);
  }
  if (activity.elapsedSec > limits.maxElapsedSec) {
    invalid.push(
      `it spans ${(activity.elapsedSec / 86400).toFixed(1)} days, more than ${limits.maxElapsedSec / 3600} h`,
    );
  }
  if (invalid.length > 0) {
    reasons.push({
      code: "invalid_timestamps",
      message: `The timestamps are not credible: ${invalid.join("; ")}.`,
    });
  }
  const latest = Math.max(endTime, s.maxTime ?? endTime);
  if (latest > now + limits.futureSkewSec * 1000) {
    reasons.push({
      code: "future_timestamp",
      message: `The workout ends on ${iso(latest)}, after the current time ${iso(now)}.`,
    });
  }
  return reasons;
}

function workoutEvidence(activity: VerifiableActivity): Reason<RejectionCode> | undefined {
  const s: SampleSummary = activity.samples;
  if (s.timedPoints < 2) {
    return {
      code: "not_a_workout",
      message: `The file holds no timed samples (${s.points} points), only a summary: there is no evidence of a workout.`,
    };
  }
  const g = GENERAL_LIMITS;
  const moved = s.extentM >= g.minMovementM || s.recordedDistanceM >= g.minMovementM;
  const effort =
    s.heartRatePoints >= g.minSignalPoints ||
    s.powerPoints >= g.minSignalPoints ||
    s.cadencePoints >= g.minSignalPoints;
  if (!moved && !effort) {
    return {
      code: "not_a_workout",
      message: `No movement (the track spans ${Math.round(s.extentM)} m) and no heart-rate, power or cadence trace.`,
    };
  }
  return undefined;
}

/**
 * Check 4 alone, for the activity's `sport`: what a declared sport is held to (services/workoutSport.ts keeps,
 * for each sport, the `implausible_speed` this gives, without the cost of a whole verdict per sport).
 */
export function plausibility(activity: VerifiableActivity): Reason<RejectionCode>[] {
  const reasons: Reason<RejectionCode>[] = [];
  const s = activity.samples;
  const limits = SPORT_LIMITS[activity.sport];
  const g = GENERAL_LIMITS;

  const speedProblems: string[] = [];
  const movingSec = sumBins(s.speedSeconds, 1);
  if (movingSec >= g.minMovingSecForSpeed) {
    const median = medianMovingSpeed(s.speedSeconds);
    if (median !== undefined && median > limits.maxMedianSpeedMps) {
      speedProblems.push(
        `a median moving speed of ${(median * 3.6).toFixed(1)} km/h (limit ${(limits.maxMedianSpeedMps * 3.6).toFixed(1)})`,
      );
    }
  }
  const burstSec = sumBins(s.speedSeconds, Math.ceil(limits.burstSpeedMps / SPEED_BIN_MPS));
  if (burstSec > limits.burstAllowanceSec) {
    speedProblems.push(
      `${Math.round(burstSec)} s at ${(limits.burstSpeedMps * 3.6).toFixed(0)} km/h or more (${limits.burstAllowanceSec} s tolerated)`,
    );
  }
  if (
    limits.maxPeakPowerW !== undefined &&
    s.peakPowerW !== undefined &&
    s.peakPowerW > limits.maxPeakPowerW
  ) {
    speedProblems.push(
      `motion that would need ${Math.round(s.peakPowerW)} W for 30 s (limit ${limits.maxPeakPowerW} W: a motor, not legs)`,
    );
  }
  if (speedProblems.length > 0) {
    reasons.push({
      code: "implausible_speed",
      message: `Not plausible for ${activity.sport}: ${speedProblems.join("; ")}.`,
    });
  }

  const teleports = s.jumps.filter(
    (j) =>
      j.distanceM >= g.teleportMinDistanceM &&
      j.distanceM / Math.max(j.dtSec, 0.001) >= g.teleportMinSpeedMps,
  );
  const first = teleports[0];
  if (first !== undefined) {
    reasons.push({
      code: "gps_teleport",
      message: `The track jumps ${Math.round(first.distanceM)} m in ${first.dtSec} s at ${iso(first.time)}${
        teleports.length > 1 ? ` (and ${teleports.length - 1} more such jumps)` : ""
      }.`,
    });
  }

  const heartRateTime = sumBins(s.heartRateSeconds, 0);
  const low = sumBins(s.heartRateSeconds, 0, Math.ceil(g.minHeartRateBpm / HEART_RATE_BIN_BPM));
  const high = sumBins(s.heartRateSeconds, Math.ceil(g.maxHeartRateBpm / HEART_RATE_BIN_BPM));
  const outside = low + high;
  if (
    heartRateTime > 0 &&
    outside >= g.heartRateOutsideMinSec &&
    outside >= g.heartRateOutsideMinShare * heartRateTime
  ) {
    reasons.push({
      code: "implausible_heart_rate",
      message: `Heart rate outside ${g.minHeartRateBpm}-${g.maxHeartRateBpm} bpm for ${Math.round(outside)} s (of ${Math.round(heartRateTime)} s).`,
    });
  }
  return reasons;
}

/** `synthetic_track` when the track or heart rate looks generated (syntheticTrack.ts). */
function syntheticTrack(activity: VerifiableActivity): Reason<RejectionCode> | undefined {
  const { signs } = detectSyntheticTrack(activity.samples);
  if (signs.length === 0) return undefined;
  return {
    code: "synthetic_track",
    message: `The track looks generated, not recorded: ${signs.join("; ")}.`,
  };
}

export function verifyWorkout(activity: VerifiableActivity, context: VerifyWorkoutContext): Verdict {
  const limits: VerifyLimits = { ...DEFAULT_VERIFY_LIMITS, ...context.limits };
  const now = context.clock.now();
  const reasons: Reason<RejectionCode>[] = [];
  const add = (reason: Reason<RejectionCode> | undefined) => {
    if (reason !== undefined && !reasons.some((r) => r.code === reason.code)) reasons.push(reason);
  };

  for (const problem of activity.problems) add(problem);
  const unreadable = reasons.some((r) => r.code === "corrupt_file" || r.code === "no_timestamps");
  if (!unreadable) {
    for (const reason of timeChecks(activity, limits, now)) add(reason);
  }
  const timelineBroken = reasons.some(
    (r) => r.code === "corrupt_file" || r.code === "no_timestamps" || r.code === "invalid_timestamps",
  );
  if (!timelineBroken) {
    const noEvidence = workoutEvidence(activity);
    add(noEvidence);
    if (noEvidence === undefined) {
      for (const reason of plausibility(activity)) add(reason);
      add(syntheticTrack(activity));
    }
  }

  const duplicate = context.acceptedExisting.find((w) => w.contentHash === activity.contentHash);
  if (duplicate !== undefined) {
    add({ code: "duplicate", message: "This exact file was already accepted." });
  }
  if (!unreadable) {
    const startMs = activity.startTime;
    const overlap = overlapReason(
      context.acceptedExisting,
      { contentHash: activity.contentHash, startMs, endMs: startMs + activity.elapsedSec * 1000 },
      limits.overlapToleranceSec,
    );
    if (overlap !== undefined) add(overlap);
  }
  return { status: reasons.length === 0 ? "accepted" : "rejected", reasons };
}
