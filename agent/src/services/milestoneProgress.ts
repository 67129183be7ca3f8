/**
 * Progress of a commitment's milestones from the owner's accepted workouts: per window, the qualifying workouts
 * (`summarizeWindow`, the oracle's counting) and the near misses, accepted workouts that started in the window
 * but do not count, with their reasons. One query for the windows asked about.
 */
import type { Repositories } from "../store/store.ts";
import type { WorkoutRecord } from "../store/workoutsRepository.ts";
import {
  type CountableWorkout,
  type CountingCode,
  evaluateForMilestone,
  type MilestoneRules,
  type Reason,
  summarizeWindow,
} from "../workouts/index.ts";
import { type CommitmentSchedule, milestoneIndexAt, milestoneWindowOf } from "./milestoneSchedule.ts";
import { countableOf, sportOf } from "./workoutView.ts";

export interface NearMiss {
  workout: WorkoutRecord;
  reasons: Reason<CountingCode>[];
}

export interface MilestoneProgress {
  index: number;
  done: number;
  required: number;
  met: boolean;
  /** The workouts that count, earliest first (the order the evidence is listed in). */
  qualifying: WorkoutRecord[];
  nearMisses: NearMiss[];
}

export interface MilestoneProgressOfParameters {
  repositories: Pick<Repositories, "workouts">;
  owner: string;
  commitment: CommitmentSchedule;
  rules: MilestoneRules;
  /** The milestones to report (ascending); every milestone when absent. */
  indices?: readonly number[];
}

/** Milestone index → progress. */
export type MilestoneProgressOfReturnType = Map<number, MilestoneProgress>;

/** What a milestone's count needs of a workout: the rules' facts, its start in ms and its sport as stored. */
export interface CountedWorkoutFacts extends Omit<CountableWorkout, "sport"> {
  /** As stored: a sport the rules do not know counts as `other` (`countableOf`). */
  sport: string;
}

/** `MilestoneProgress` without the near misses: what `GET /api/commitments/:id` shows. */
export interface MilestoneCount {
  done: number;
  required: number;
  met: boolean;
  /** The ids of the workouts that count, earliest first. */
  qualifyingIds: string[];
}

export interface MilestoneCountsOfParameters {
  commitment: CommitmentSchedule;
  rules: MilestoneRules;
  /** The owner's accepted workouts overlapping the commitment's windows (`acceptedOverlapping` over its span). */
  workouts: readonly CountedWorkoutFacts[];
}

/**
 * Every milestone's count from workouts already read (what `milestoneProgressOf` counts, the same
 * `summarizeWindow`, without reading and without the near misses), indexed by milestone.
 */
export function milestoneCountsOf({
  commitment,
  rules,
  workouts,
}: MilestoneCountsOfParameters): MilestoneCount[] {
  const byWindow: (CountableWorkout & { status: "accepted" })[][] = Array.from(
    { length: commitment.milestones },
    () => [],
  );
  for (const workout of workouts) {
    const index = milestoneIndexAt(commitment, workout.startTime);
    if (index === undefined) continue;
    byWindow[index]?.push({
      id: workout.id,
      source: workout.source,
      sport: sportOf(workout.sport),
      startTime: workout.startTime,
      durationSec: workout.durationSec,
      status: "accepted",
    });
  }
  return byWindow.map((inWindow, index) =>
    summarizeWindow(inWindow, rules, milestoneWindowOf(commitment, index)),
  );
}

export async function milestoneProgressOf({
  repositories,
  owner,
  commitment,
  rules,
  indices = Array.from({ length: commitment.milestones }, (_, i) => i),
}: MilestoneProgressOfParameters): Promise<MilestoneProgressOfReturnType> {
  const progress: MilestoneProgressOfReturnType = new Map();
  if (indices.length === 0) return progress;
  const from = milestoneWindowOf(commitment, Math.min(...indices)).startMs;
  const to = milestoneWindowOf(commitment, Math.max(...indices)).endMs;
  const workouts = await repositories.workouts.acceptedOverlapping(owner, new Date(from), new Date(to));

  const byWindow = new Map<number, WorkoutRecord[]>();
  for (const workout of workouts) {
    const index = milestoneIndexAt(commitment, workout.startTime.getTime());
    if (index === undefined) continue;
    const bucket = byWindow.get(index) ?? [];
    bucket.push(workout);
    byWindow.set(index, bucket);
  }
  for (const index of indices) {
    const window = milestoneWindowOf(commitment, index);
    const inWindow = byWindow.get(index) ?? [];
    const byId = new Map(inWindow.map((w) => [w.id, w]));
    const summary = summarizeWindow(inWindow.map(countableOf), rules, window);
    const counted = new Set(summary.qualifyingIds);
    const nearMisses: NearMiss[] = [];
    for (const workout of inWindow) {
      if (counted.has(workout.id)) continue;
      nearMisses.push({
        workout,
        reasons: evaluateForMilestone(countableOf(workout), rules, window).reasons,
      });
    }
    progress.set(index, {
      index,
      done: summary.done,
      required: summary.required,
      met: summary.met,
      qualifying: summary.qualifyingIds.flatMap((id) => byId.get(id) ?? []),
      nearMisses,
    });
  }
  return progress;
}
