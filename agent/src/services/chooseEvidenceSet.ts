/**
 * The workouts an attestation's `evidenceHash` covers (PRODUCT.md, v2):
 * - no set asked for: the canonical set, the earliest qualifying workouts by start time (ties by content hash),
 *   exactly as many as the rules require, so oracles that saw the same uploads sign the same `evidenceHash` even
 *   when one of them saw more;
 * - a set asked for (`workouts`, content hashes): exactly that set, when every listed workout is one this oracle
 *   accepted for the owner and that counts for the milestone, and the set is large enough for the rules. Else 409
 *   `evidence_workout_not_qualifying` naming the first failing workout (`field: workouts.<i>`, with its reasons
 *   when it is a near miss), or 409 `evidence_set_too_small` (`field: workouts`).
 * A milestone whose requirement is not met at all is refused before this (`requirement_not_met`).
 */
import type { Hex } from "viem";
import { ConflictError } from "../errors.ts";
import type { WorkoutRecord } from "../store/workoutsRepository.ts";
import type { MilestoneProgress } from "./milestoneProgress.ts";

/** Most workouts an asked-for evidence set may list. */
export const EVIDENCE_SET_MAX = 64;

export interface ChooseEvidenceSetParameters {
  progress: MilestoneProgress;
  /** Content hashes of the set asked for; undefined → the canonical set. */
  workouts?: readonly Hex[] | undefined;
}

export type ChooseEvidenceSetReturnType = WorkoutRecord[];

function byStartThenContent(a: WorkoutRecord, b: WorkoutRecord): number {
  const time = a.startTime.getTime() - b.startTime.getTime();
  if (time !== 0) return time;
  const [x, y] = [a.contentHash.toLowerCase(), b.contentHash.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

export function chooseEvidenceSet({
  progress,
  workouts,
}: ChooseEvidenceSetParameters): ChooseEvidenceSetReturnType {
  if (workouts === undefined) {
    return [...progress.qualifying].sort(byStartThenContent).slice(0, progress.required);
  }
  const qualifying = new Map(progress.qualifying.map((w) => [w.contentHash.toLowerCase(), w]));
  const nearMisses = new Map(progress.nearMisses.map((m) => [m.workout.contentHash.toLowerCase(), m]));
  const chosen: WorkoutRecord[] = [];
  for (const [i, contentHash] of workouts.entries()) {
    const workout = qualifying.get(contentHash.toLowerCase());
    if (workout !== undefined) {
      chosen.push(workout);
      continue;
    }
    const miss = nearMisses.get(contentHash.toLowerCase());
    throw new ConflictError({
      code: "evidence_workout_not_qualifying",
      message:
        miss === undefined
          ? `workouts.${i}: ${contentHash} is not a workout this oracle accepted for you in milestone ${progress.index + 1}'s window.`
          : `workouts.${i}: ${contentHash} does not count for milestone ${progress.index + 1} (${miss.reasons.map((r) => r.code).join(", ")}).`,
      details: {
        field: `workouts.${i}`,
        contentHash,
        milestoneIndex: progress.index,
        ...(miss === undefined
          ? {}
          : {
              workoutId: miss.workout.id,
              reasons: miss.reasons.map((r) => ({ code: r.code, message: r.message })),
            }),
      },
    });
  }
  if (chosen.length < progress.required) {
    throw new ConflictError({
      code: "evidence_set_too_small",
      message: `workouts: ${chosen.length} of the ${progress.required} qualifying workouts the rules require.`,
      details: { field: "workouts", listed: chosen.length, required: progress.required },
    });
  }
  return chosen.sort(byStartThenContent);
}
