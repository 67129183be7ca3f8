/**
 * Which milestones an accepted workout counts toward, and why it does not count for the others. PURE.
 *
 * For every commitment that is not closed and whose rules are known, the workout belongs to the window it
 * started in (at most one per commitment):
 * - the window's milestone is `Open` (or `Appealed`: not settled yet) and `evaluateForMilestone` says it counts →
 *   `countsFor`;
 * - it does not count (`manual_not_allowed`, `too_short`, `activity_not_allowed`) → `notCounted` with the
 *   milestone index and every reason;
 * - the milestone is already settled (Released, Slashed, Refunded) → `notCounted` with `milestone_settled`
 *   (a code added beside PRODUCT.md's four counting codes) first, then any other reason;
 * - it started before the commitment's first window → `notCounted` without a milestone index, `outside_window`
 *   first; after the last window the commitment is simply not related to the workout and is left out.
 * Rejected workouts count for nothing and get no counting reasons (their verdict says why).
 */
import type { CountingCode } from "../workouts/index.ts";
import { type CountableWorkout, evaluateForMilestone, type MilestoneRules } from "../workouts/index.ts";
import {
  type CommitmentSchedule,
  commitmentSpanOf,
  milestoneIndexAt,
  milestoneStateOf,
  milestoneWindowOf,
} from "./milestoneSchedule.ts";

/** `milestone_settled`: the workout falls in a window whose milestone was already released, slashed or refunded. */
export type NotCountedCode = CountingCode | "milestone_settled";

export interface CountedCommitment extends CommitmentSchedule {
  commitmentId: bigint;
  closed: boolean;
}

export interface CommitmentWithRules {
  commitment: CountedCommitment;
  /** null when the rules document behind the commitment's rulesHash is unknown to the agent. */
  rules: MilestoneRules | null;
}

export interface CountsForEntry {
  /** Decimal uint256. */
  commitmentId: string;
  milestoneIndex: number;
}

export interface NotCountedEntry {
  commitmentId: string;
  /** Absent when the workout started before the commitment's first window. */
  milestoneIndex?: number;
  reasons: { code: NotCountedCode; message: string }[];
}

export interface CountWorkoutReturnType {
  countsFor: CountsForEntry[];
  notCounted: NotCountedEntry[];
}
export type CountWorkoutParameters = Parameters<typeof countWorkout>;

export function countWorkout(
  workout: CountableWorkout & { status: "accepted" | "rejected" },
  commitments: readonly CommitmentWithRules[],
): CountWorkoutReturnType {
  const result: CountWorkoutReturnType = { countsFor: [], notCounted: [] };
  if (workout.status !== "accepted") return result;
  for (const { commitment, rules } of commitments) {
    if (rules === null || commitment.closed) continue;
    const commitmentId = commitment.commitmentId.toString();
    const index = milestoneIndexAt(commitment, workout.startTime);
    if (index === undefined) {
      const span = commitmentSpanOf(commitment);
      if (workout.startTime >= span.startMs) continue;
      const { reasons } = evaluateForMilestone(workout, rules, span);
      const outside = reasons.filter((r) => r.code === "outside_window");
      result.notCounted.push({
        commitmentId,
        reasons: [...outside, ...reasons.filter((r) => r.code !== "outside_window")],
      });
      continue;
    }
    const evaluation = evaluateForMilestone(workout, rules, milestoneWindowOf(commitment, index));
    const state = milestoneStateOf(commitment, index);
    // An Appealed milestone is not settled: its workouts still count (a late quorum may settle it).
    if (state !== "Open" && state !== "Appealed") {
      result.notCounted.push({
        commitmentId,
        milestoneIndex: index,
        reasons: [
          {
            code: "milestone_settled",
            message: `Milestone ${index} of commitment ${commitmentId} is already settled (${state}).`,
          },
          ...evaluation.reasons,
        ],
      });
    } else if (evaluation.counts) {
      result.countsFor.push({ commitmentId, milestoneIndex: index });
    } else {
      result.notCounted.push({ commitmentId, milestoneIndex: index, reasons: evaluation.reasons });
    }
  }
  return result;
}
