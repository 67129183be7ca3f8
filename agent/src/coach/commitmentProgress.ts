/**
 * Where a commitment stands right now, counted exactly like the oracle (`summarizeWindow`): the current
 * milestone window, qualifying workouts done / required, hours left, and the money at stake in that window
 * (the milestone's share: `amount / milestones`, the last one takes the remainder).
 */

import { rulesDocumentSchema } from "../rules/rulesDocument.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { MilestoneState } from "../store/schema.ts";
import type { Repositories } from "../store/store.ts";
import type { WorkoutRecord } from "../store/workoutsRepository.ts";
import type { CountableWorkout, MilestoneRules } from "../workouts/evaluateForMilestone.ts";
import { summarizeWindow } from "../workouts/evaluateForMilestone.ts";
import type { Sport } from "../workouts/sport.ts";
import { formatAmount, type TokenInfoLookup } from "./tokenAmounts.ts";

export interface MilestoneWindowInfo {
  index: number;
  startMs: number;
  endMs: number;
  /** Last instant a claim is possible: window end + grace. */
  claimDeadlineMs: number;
}

export interface CommitmentProgress {
  commitmentId: string;
  milestoneIndex: number;
  /** `milestoneIndex + 1`, as people count. */
  milestoneNumber: number;
  milestones: number;
  state: MilestoneState;
  windowStart: string;
  windowEnd: string;
  done: number;
  required: number;
  met: boolean;
  remaining: number;
  /** Whole hours until the window closes (rounded down). */
  hoursLeft: number;
  /** Share of the window already elapsed, 0..1. */
  elapsedFraction: number;
  /** "25 USDC" */
  atStake: string;
  qualifyingWorkoutIds: string[];
}

/** The window containing `nowMs`, or null before the first or after the last. */
export function currentWindow(commitment: CommitmentRecord, nowMs: number): MilestoneWindowInfo | null {
  const nowSec = Math.floor(nowMs / 1000);
  if (nowSec < commitment.start) return null;
  const index = Math.floor((nowSec - commitment.start) / commitment.period);
  if (index >= commitment.milestones) return null;
  return windowAt(commitment, index);
}

export function windowAt(commitment: CommitmentRecord, index: number): MilestoneWindowInfo {
  const startMs = (commitment.start + index * commitment.period) * 1000;
  const endMs = startMs + commitment.period * 1000;
  return { index, startMs, endMs, claimDeadlineMs: endMs + commitment.grace * 1000 };
}

export function milestoneShare(amount: bigint, milestones: number, index: number): bigint {
  const share = amount / BigInt(milestones);
  return index === milestones - 1 ? amount - share * BigInt(milestones - 1) : share;
}

/** The rules document stored under `rulesHash`, or null when unknown or not a valid document. */
export async function loadRules(
  store: Pick<Repositories, "rulesDocuments">,
  rulesHash: string,
): Promise<MilestoneRules | null> {
  const record = await store.rulesDocuments.get(rulesHash);
  if (record === null) return null;
  try {
    const parsed = rulesDocumentSchema.safeParse(JSON.parse(record.canonicalJson));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function toCountable(workout: WorkoutRecord): CountableWorkout & { status: "accepted" | "rejected" } {
  return {
    id: workout.id,
    source: workout.source,
    sport: workout.sport as Sport,
    startTime: workout.startTime.getTime(),
    durationSec: workout.durationSec,
    status: workout.verdict.status,
  };
}

export interface ComputeProgressParameters {
  commitment: CommitmentRecord;
  rules: MilestoneRules;
  window: MilestoneWindowInfo;
  /** Accepted workouts overlapping the window (`workouts.acceptedOverlapping`). */
  workouts: readonly WorkoutRecord[];
  nowMs: number;
  tokens: TokenInfoLookup;
}

export function computeProgress(parameters: ComputeProgressParameters): CommitmentProgress {
  const { commitment, rules, window, workouts, nowMs, tokens } = parameters;
  const summary = summarizeWindow(workouts.map(toCountable), rules, {
    startMs: window.startMs,
    endMs: window.endMs,
  });
  const span = window.endMs - window.startMs;
  const share = milestoneShare(commitment.amount, commitment.milestones, window.index);
  return {
    commitmentId: commitment.commitmentId.toString(),
    milestoneIndex: window.index,
    milestoneNumber: window.index + 1,
    milestones: commitment.milestones,
    state: commitment.milestoneStates[window.index] ?? "Open",
    windowStart: new Date(window.startMs).toISOString(),
    windowEnd: new Date(window.endMs).toISOString(),
    done: summary.done,
    required: summary.required,
    met: summary.met,
    remaining: Math.max(0, summary.required - summary.done),
    hoursLeft: Math.max(0, Math.floor((window.endMs - nowMs) / 3_600_000)),
    elapsedFraction: Math.min(1, Math.max(0, (nowMs - window.startMs) / span)),
    atStake: formatAmount(share, tokens(commitment.token)),
    qualifyingWorkoutIds: summary.qualifyingIds,
  };
}

export interface LoadProgressParameters {
  store: Pick<Repositories, "rulesDocuments" | "workouts">;
  commitment: CommitmentRecord;
  nowMs: number;
  tokens: TokenInfoLookup;
}

/** Progress of the commitment's current window, with its rules; null when no window is running or rules are unknown. */
export async function loadProgress(
  parameters: LoadProgressParameters,
): Promise<{ progress: CommitmentProgress; rules: MilestoneRules; window: MilestoneWindowInfo } | null> {
  const { store, commitment, nowMs, tokens } = parameters;
  const window = currentWindow(commitment, nowMs);
  if (window === null) return null;
  const rules = await loadRules(store, commitment.rulesHash);
  if (rules === null) return null;
  const workouts = await store.workouts.acceptedOverlapping(
    commitment.owner,
    new Date(window.startMs),
    new Date(window.endMs),
  );
  return { progress: computeProgress({ commitment, rules, window, workouts, nowMs, tokens }), rules, window };
}
