/**
 * The verdict on a manual log (or a provider's manually entered activity): there are no samples to judge, so
 * only what the person claims is checked, with the same limits and reason codes as `verifyWorkout`. PURE.
 *
 * - `invalid_timestamps`: it starts before `limits.minValidTime`, lasts longer than `limits.maxElapsedSec`, or
 *   claims more moving time than wall time;
 * - `future_timestamp`: it ends after clock.now() + `limits.futureSkewSec`;
 * - `implausible_speed`: the claimed distance over the moving time beats the sport's median-speed limit
 *   (sportLimits.ts), e.g. a 30-km "run" in an hour;
 * - `duplicate` / `overlaps_existing`: as for files, against the accepted workouts given.
 */
import type { Hex } from "viem";
import type { Clock } from "../clock.ts";
import {
  DEFAULT_VERIFY_LIMITS,
  type ExistingWorkout,
  type Reason,
  type RejectionCode,
  type Sport,
  type Verdict,
  type VerifyLimits,
} from "../workouts/index.ts";
import { SPORT_LIMITS } from "../workouts/sportLimits.ts";
import { iso, overlapReason } from "../workouts/verifyWorkout.ts";

/** A workout known only from what was entered: no samples. */
export interface ManualActivity {
  contentHash: Hex;
  sport: Sport;
  /** ms since the epoch. */
  startTime: number;
  /** Moving time, seconds. */
  durationSec: number;
  /** Wall time, seconds; the moving time when absent. */
  elapsedSec?: number;
  distanceM?: number;
  avgHeartRate?: number;
  notes?: string;
}

export interface VerifyManualWorkoutContext {
  clock: Clock;
  acceptedExisting: readonly ExistingWorkout[];
  limits?: Partial<VerifyLimits>;
}

export type VerifyManualWorkoutParameters = Parameters<typeof verifyManualWorkout>;
export type VerifyManualWorkoutReturnType = Verdict;

export function verifyManualWorkout(activity: ManualActivity, context: VerifyManualWorkoutContext): Verdict {
  const limits: VerifyLimits = { ...DEFAULT_VERIFY_LIMITS, ...context.limits };
  const reasons: Reason<RejectionCode>[] = [];
  const elapsedSec = activity.elapsedSec ?? activity.durationSec;
  const start = activity.startTime;
  const end = start + elapsedSec * 1000;

  const invalid: string[] = [];
  if (start < limits.minValidTime)
    invalid.push(`it starts on ${iso(start)}, before ${iso(limits.minValidTime)}`);
  if (elapsedSec > limits.maxElapsedSec) {
    invalid.push(`it lasts ${(elapsedSec / 3600).toFixed(1)} h, more than ${limits.maxElapsedSec / 3600} h`);
  }
  if (activity.durationSec > elapsedSec) {
    invalid.push(`${activity.durationSec} s of moving time within ${elapsedSec} s`);
  }
  if (invalid.length > 0) {
    reasons.push({
      code: "invalid_timestamps",
      message: `The times are not credible: ${invalid.join("; ")}.`,
    });
  }
  const now = context.clock.now();
  if (end > now + limits.futureSkewSec * 1000) {
    reasons.push({
      code: "future_timestamp",
      message: `The workout ends on ${iso(end)}, after the current time ${iso(now)}.`,
    });
  }
  if (activity.distanceM !== undefined && activity.durationSec > 0) {
    const speed = activity.distanceM / activity.durationSec;
    const limit = SPORT_LIMITS[activity.sport].maxMedianSpeedMps;
    if (speed > limit) {
      reasons.push({
        code: "implausible_speed",
        message: `Not plausible for ${activity.sport}: an average of ${(speed * 3.6).toFixed(1)} km/h (limit ${(limit * 3.6).toFixed(1)}).`,
      });
    }
  }
  if (context.acceptedExisting.some((w) => w.contentHash === activity.contentHash)) {
    reasons.push({ code: "duplicate", message: "This exact workout was already logged." });
  }
  const overlap = overlapReason(
    context.acceptedExisting,
    { contentHash: activity.contentHash, startMs: start, endMs: end },
    limits.overlapToleranceSec,
  );
  if (overlap !== undefined) reasons.push(overlap);
  return { status: reasons.length === 0 ? "accepted" : "rejected", reasons };
}
