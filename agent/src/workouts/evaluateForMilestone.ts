import type { CountingCode, Reason } from "./reasons.ts";
import type { Sport } from "./sport.ts";

/**
 * Whether an ACCEPTED workout counts toward one milestone window of a commitment, under the commitment's rules
 * document (PRODUCT.md "Rules document"). PURE.
 *
 * A workout counts when all hold, else every failing rule gives its reason:
 * - `manual_not_allowed`: rules.evidence is "device" and the workout was logged by hand ("provider" data is
 *   device data with timestamps, so it counts as device evidence);
 * - `activity_not_allowed`: its sport is not in rules.perMilestone.activities;
 * - `too_short`: its moving time (durationSec, pauses excluded) is under rules.perMilestone.minMinutes;
 * - `outside_window`: it does not START inside [window.startMs, window.endMs) (a workout belongs to the window
 *   it started in, even when it ends after the boundary, so it can never count twice).
 * Windows are absolute instants (the contract's `start + i*period`); rules.timezone is what the web app and the
 * coach use to present them, it does not move them.
 */
export type WorkoutSourceKind = "fit" | "gpx" | "tcx" | "manual" | "provider";

export interface MilestoneRules {
  version: number;
  timezone: string;
  perMilestone: { minWorkouts: number; minMinutes: number; activities: readonly Sport[] };
  evidence: "device" | "any";
}

export interface MilestoneWindow {
  /** Inclusive, ms since the epoch. */
  startMs: number;
  /** Exclusive, ms since the epoch. */
  endMs: number;
}

/** The facts of an accepted workout that the rules look at. */
export interface CountableWorkout {
  id: string;
  source: WorkoutSourceKind;
  sport: Sport;
  /** ms since the epoch. */
  startTime: number;
  /** Moving time, seconds. */
  durationSec: number;
}

export interface EvaluateForMilestoneReturnType {
  counts: boolean;
  reasons: Reason<CountingCode>[];
}
export type EvaluateForMilestoneParameters = Parameters<typeof evaluateForMilestone>;

export function evaluateForMilestone(
  workout: CountableWorkout,
  rules: MilestoneRules,
  window: MilestoneWindow,
): EvaluateForMilestoneReturnType {
  const reasons: Reason<CountingCode>[] = [];
  if (rules.evidence === "device" && workout.source === "manual") {
    reasons.push({
      code: "manual_not_allowed",
      message: "These rules require evidence from a device; manual logs do not count.",
    });
  }
  if (!rules.perMilestone.activities.includes(workout.sport)) {
    reasons.push({
      code: "activity_not_allowed",
      message: `A ${workout.sport} does not count: the rules allow ${rules.perMilestone.activities.join(", ") || "no activity"}.`,
    });
  }
  const minSec = rules.perMilestone.minMinutes * 60;
  if (workout.durationSec < minSec) {
    reasons.push({
      code: "too_short",
      message: `${(workout.durationSec / 60).toFixed(1)} min of moving time, the rules ask for at least ${rules.perMilestone.minMinutes} min.`,
    });
  }
  if (workout.startTime < window.startMs || workout.startTime >= window.endMs) {
    reasons.push({
      code: "outside_window",
      message: `It started on ${new Date(workout.startTime).toISOString()}, outside the window ${new Date(window.startMs).toISOString()} to ${new Date(window.endMs).toISOString()}.`,
    });
  }
  return { counts: reasons.length === 0, reasons };
}

export interface SummarizeWindowReturnType {
  /** Qualifying workouts in the window. */
  done: number;
  /** rules.perMilestone.minWorkouts. */
  required: number;
  met: boolean;
  /** Ids of the qualifying workouts, earliest first (ties by id), the order an evidence hash is built in. */
  qualifyingIds: string[];
}
export type SummarizeWindowParameters = Parameters<typeof summarizeWindow>;

/**
 * Progress of one milestone window: which of the given workouts count. Only accepted workouts are considered;
 * pass each workout with its verdict status.
 */
export function summarizeWindow(
  workouts: readonly (CountableWorkout & { status: "accepted" | "rejected" })[],
  rules: MilestoneRules,
  window: MilestoneWindow,
): SummarizeWindowReturnType {
  const qualifying = workouts
    .filter((w) => w.status === "accepted" && evaluateForMilestone(w, rules, window).counts)
    .sort((a, b) => a.startTime - b.startTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const required = rules.perMilestone.minWorkouts;
  return {
    done: qualifying.length,
    required,
    met: qualifying.length >= required,
    qualifyingIds: qualifying.map((w) => w.id),
  };
}
