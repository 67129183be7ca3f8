import { ValidationError } from "../errors.ts";
import { parseAssembledActivity } from "./assembledActivity.ts";
import type { ActivitySource, ParsedActivity } from "./parsedActivity.ts";
import type { ParseProblemCode, Reason } from "./reasons.ts";
import type { SampleSummary } from "./sampleSummary.ts";
import type { Sport } from "./sport.ts";

/**
 * Turns what a parser found (the device's own summary, which can lie or be broken, and the samples, which are
 * the evidence) into a validated ParsedActivity. The rules, in one place for the three formats:
 *
 * - startTime: the device's declared start when it precedes the first sample by at most an hour (the timer was
 *   started a little before the first record), else the first sample; the declared start when there are none.
 * - elapsedSec: from startTime to the later of the last sample and start + declared elapsed time (when that is
 *   consistent with the declared timer time; otherwise the declared end).
 * - durationSec: the declared timer time when it is sane (positive, not above the elapsed time) and the samples
 *   corroborate it (at most 10% + 2 min more than the time the samples cover); otherwise the time the samples
 *   cover, pauses and recording gaps excluded. So a session claiming 38 min over 7 min of track points gets 7.
 */

/** How far the declared start may precede the first sample and still be used. */
const MAX_DECLARED_LEAD_MS = 60 * 60 * 1000;
/** Rounding slack when comparing declared times, seconds. */
const DECLARED_SLACK_SEC = 2;
/** A declared timer time is corroborated when it is at most evidence x this + CORROBORATION_SLACK_SEC. */
const CORROBORATION_FACTOR = 1.1;
const CORROBORATION_SLACK_SEC = 120;

/** What the file says about itself, as opposed to what its samples show. All optional. */
export interface DeclaredSummary {
  startTime?: number | undefined;
  endTime?: number | undefined;
  timerSec?: number | undefined;
  elapsedSec?: number | undefined;
  /** Timer-running time from FIT timer start/stop events. */
  timerRunningSec?: number | undefined;
  distanceM?: number | undefined;
  avgHeartRate?: number | undefined;
  maxHeartRate?: number | undefined;
}

export interface AssembleActivityParameters {
  source: ActivitySource;
  index: number;
  sport: Sport;
  deviceSport?: string | undefined;
  samples: SampleSummary;
  declared: DeclaredSummary;
  problems: Reason<ParseProblemCode>[];
  /** See parsedActivity.ts. */
  cadenceKind?: "pedal" | "steps" | undefined;
  lapStepCadence?: number | undefined;
}
export type AssembleActivityReturnType = ParsedActivity;

export interface ResolveActivityTimesReturnType {
  startTime: number;
  elapsedSec: number;
  durationSec: number;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The time rules described above; `undefined` when neither the samples nor the summary carry any time. */
export function resolveActivityTimes(
  samples: SampleSummary,
  declared: DeclaredSummary,
): ResolveActivityTimesReturnType | undefined {
  const declaredStart =
    declared.startTime !== undefined && Number.isFinite(declared.startTime) ? declared.startTime : undefined;
  const first = samples.minTime;
  const last = samples.maxTime;
  let startTime: number | undefined;
  if (first !== undefined) {
    startTime =
      declaredStart !== undefined && declaredStart <= first && first - declaredStart <= MAX_DECLARED_LEAD_MS
        ? declaredStart
        : first;
  } else {
    startTime = declaredStart;
  }
  if (startTime === undefined) return undefined;

  const timer = positive(declared.timerSec);
  const declaredElapsed = positive(declared.elapsedSec);
  const elapsedConsistent =
    declaredElapsed !== undefined && (timer === undefined || timer <= declaredElapsed + DECLARED_SLACK_SEC);
  let end = last ?? startTime;
  if (elapsedConsistent && declaredElapsed !== undefined) {
    end = Math.max(end, startTime + declaredElapsed * 1000);
  } else if (
    declared.endTime !== undefined &&
    Number.isFinite(declared.endTime) &&
    declared.endTime > startTime
  ) {
    // Only when the declared elapsed time is missing or contradicts the timer: a FIT session's timestamp is
    // when the message was written, often well after the device stopped.
    end = Math.max(end, declared.endTime);
  } else if (last === undefined && timer !== undefined) {
    // Nothing but a timer total (a TCX lap without track points): the wall time is at least that.
    end = startTime + timer * 1000;
  }
  const elapsedSec = Math.max(0, (end - startTime) / 1000);

  const timerSane =
    timer !== undefined &&
    timer <= elapsedSec + DECLARED_SLACK_SEC &&
    (declaredElapsed === undefined || timer <= declaredElapsed + DECLARED_SLACK_SEC);
  const running = positive(declared.timerRunningSec);
  const claimed = timerSane ? timer : running !== undefined ? Math.min(running, elapsedSec) : undefined;
  let durationSec: number;
  if (samples.timedPoints >= 2) {
    const evidence = samples.movingSec;
    durationSec =
      claimed !== undefined && claimed <= evidence * CORROBORATION_FACTOR + CORROBORATION_SLACK_SEC
        ? claimed
        : evidence;
  } else {
    durationSec = claimed ?? 0;
  }
  durationSec = Math.min(durationSec, elapsedSec);
  return { startTime, elapsedSec: round3(elapsedSec), durationSec: round3(durationSec) };
}

export function assembleActivity({
  source,
  index,
  sport,
  deviceSport,
  samples,
  declared,
  problems,
  cadenceKind,
  lapStepCadence,
}: AssembleActivityParameters): AssembleActivityReturnType {
  const allProblems = [...problems];
  if (
    samples.points > 0 &&
    samples.timedPoints === 0 &&
    !allProblems.some((p) => p.code === "no_timestamps")
  ) {
    allProblems.push({
      code: "no_timestamps",
      message: `None of the ${samples.points} points has a timestamp (a planned route, not a recording).`,
    });
  }
  const times = resolveActivityTimes(samples, declared);
  if (times === undefined) {
    throw new ValidationError({
      code: "no_timestamps",
      message: "The activity carries no timestamp at all, so it cannot be placed in time.",
      details: { source, index, points: samples.points },
    });
  }
  const distanceM = positive(declared.distanceM) ?? positive(samples.pathM);
  const avgHeartRate =
    positive(declared.avgHeartRate) ??
    (samples.heartRateMean !== undefined ? Math.round(samples.heartRateMean) : undefined);
  const maxHeartRate = positive(declared.maxHeartRate) ?? samples.heartRateMax;
  // Parse, then use only the parsed value: a NaN or a wrong enum here is a parser bug or a hostile file
  // (assembledActivitySchema's rules, checked without zod on the way that succeeds: assembledActivity.ts).
  return parseAssembledActivity({
    source,
    index,
    sport,
    // A label from the file, shown to people: bounded, whatever the file says.
    deviceSport: deviceSport?.slice(0, 100),
    startTime: times.startTime,
    durationSec: times.durationSec,
    elapsedSec: times.elapsedSec,
    distanceM: distanceM !== undefined ? round3(distanceM) : undefined,
    avgHeartRate,
    maxHeartRate,
    samples,
    cadenceKind,
    lapStepCadence: positive(lapStepCadence),
    problems: allProblems,
  });
}
