/**
 * Which intervention a commitment needs now (PURE), escalating as the window's end nears:
 * - `plan` while more than 3/7 of the window is left (a week: more than 72 h): how many to fit in;
 * - `slot` with at most 3/7 left: a concrete free slot from the calendar;
 * - `stakes` with at most 1/7 left (a week: 24 h): the money at stake and the hours left.
 * Nothing when the window is met or settled, or when the owner is on pace: at least
 * `floor(required * elapsed share)` done, with under 1/7 of the window left always counting as behind.
 * Every number in a message comes from the progress (or the slot), so it can be checked against them.
 */

import type { FreeSlot } from "../calendar/freeSlots.ts";
import type { CommitmentProgress } from "../commitmentProgress.ts";

export const interventionStages = ["plan", "slot", "stakes"] as const;
export type InterventionStage = (typeof interventionStages)[number];

export interface Intervention {
  stage: InterventionStage;
  reason: "behind_pace";
  message: string;
}

export interface PlanInterventionParameters {
  progress: CommitmentProgress;
  /** The next free slot before the window ends (for the `slot` stage), if any. */
  slot: FreeSlot | null;
  minMinutes: number;
}

export function interventionStageFor(progress: CommitmentProgress): InterventionStage | null {
  if (progress.met || progress.state !== "Open" || progress.remaining === 0) return null;
  const left = 1 - progress.elapsedFraction;
  const expectedByNow = Math.floor(progress.required * progress.elapsedFraction);
  const behind = progress.done < expectedByNow || left <= 1 / 7;
  if (!behind || left <= 0) return null;
  return left <= 1 / 7 ? "stakes" : left <= 3 / 7 ? "slot" : "plan";
}

function workouts(n: number): string {
  return n === 1 ? "1 more workout" : `${n} more workouts`;
}

export function planIntervention(parameters: PlanInterventionParameters): Intervention | null {
  const { progress, slot, minMinutes } = parameters;
  const stage = interventionStageFor(progress);
  if (stage === null) return null;
  const status = `${progress.done} of ${progress.required} done`;
  const message =
    stage === "plan"
      ? `${status} for milestone ${progress.milestoneNumber}, ${progress.hoursLeft} h left: plan ${workouts(progress.remaining)} of at least ${minMinutes} min now.`
      : stage === "slot"
        ? slot === null
          ? `${status}, ${progress.hoursLeft} h left: block ${minMinutes} min today for ${workouts(progress.remaining)}.`
          : `${status}, ${progress.hoursLeft} h left: you are free ${slot.local}, a good time for a workout.`
        : `${progress.atStake} at stake, ${progress.hoursLeft} h left: ${workouts(progress.remaining)} to go.`;
  return { stage, reason: "behind_pace", message };
}
