/**
 * Drift -> intervention -> nudge for one commitment: its current window's progress, the intervention it
 * needs (if any) and a nudge on each of the owner's channels. The dedupe key names the commitment, milestone
 * and stage, so each stage goes out at most once per window and channel, whichever replica runs it.
 */
import { AgentError, DependencyError } from "../../errors.ts";
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import { findFreeSlots } from "../calendar/findFreeSlots.ts";
import type { FreeSlot } from "../calendar/freeSlots.ts";
import { challengeNudgeNote, loadChallengeFacts } from "../challengeContext.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { loadPreferences, timeZoneFor } from "../coachPreferences.ts";
import { computeProgress, currentWindow, loadRules } from "../commitmentProgress.ts";
import {
  type DeployNudgeParameters,
  type DeployNudgeReturnType,
  deployNudge,
} from "../nudges/deployNudge.ts";
import { type InterventionStage, interventionStageFor, planIntervention } from "./planIntervention.ts";

export type EvaluationOutcome = "no_window" | "unknown_rules" | "settled" | "met" | "on_track" | "intervened";

export interface EvaluateCommitmentReturnType {
  outcome: EvaluationOutcome;
  stage?: InterventionStage;
  nudges: DeployNudgeReturnType[];
}

export interface EvaluateCommitmentParameters {
  commitment: CommitmentRecord;
  /** Rules cache shared by one pass (rules hash → rules, null when unknown). */
  rulesCache?: Map<string, MilestoneRules | null>;
}

export function interventionKey(commitment: CommitmentRecord, milestoneIndex: number, stage: string): string {
  return `coach:${commitment.chainId}:${commitment.vault.toLowerCase()}:${commitment.commitmentId}:${milestoneIndex}:${stage}`;
}

/** What an evaluation decided before sending anything: the outcome and, when intervening, one nudge per channel. */
export interface CommitmentPlan {
  outcome: EvaluationOutcome;
  stage?: InterventionStage;
  nudges: DeployNudgeParameters[];
}

/**
 * Evaluates one commitment and sends its nudges one at a time (the scheduler's pass plans a page with
 * `planCommitment` and sends its nudges in batches, `deployNudgeBatch`, to the same effect).
 */
export async function evaluateCommitment(
  deps: CoachDependencies,
  parameters: EvaluateCommitmentParameters,
): Promise<EvaluateCommitmentReturnType> {
  const plan = await planCommitment(deps, parameters);
  const nudges: DeployNudgeReturnType[] = [];
  for (const nudge of plan.nudges) nudges.push(await deployNudge(deps, nudge));
  return { ...plan, nudges };
}

/** Everything `evaluateCommitment` decides, without sending: the outcome and the nudges to deploy, in order. */
export async function planCommitment(
  deps: CoachDependencies,
  { commitment, rulesCache }: EvaluateCommitmentParameters,
): Promise<CommitmentPlan> {
  const nowMs = deps.clock.now();
  const window = currentWindow(commitment, nowMs);
  if (window === null || commitment.closed) return { outcome: "no_window", nudges: [] };
  if ((commitment.milestoneStates[window.index] ?? "Open") !== "Open")
    return { outcome: "settled", nudges: [] };
  let rules = rulesCache?.get(commitment.rulesHash);
  if (rules === undefined) {
    rules = await loadRules(deps.store, commitment.rulesHash);
    rulesCache?.set(commitment.rulesHash, rules);
  }
  if (rules === null) return { outcome: "unknown_rules", nudges: [] };
  const workouts = await deps.store.workouts.acceptedOverlapping(
    commitment.owner,
    new Date(window.startMs),
    new Date(window.endMs),
  );
  const progress = computeProgress({ commitment, rules, window, workouts, nowMs, tokens: deps.tokens });
  if (progress.met) return { outcome: "met", nudges: [] };
  const stage = interventionStageFor(progress);
  if (stage === null) return { outcome: "on_track", nudges: [] };

  const preferences = await loadPreferences(deps.store, commitment.owner);
  const timeZone = timeZoneFor(preferences, rules.timezone);
  const minMinutes = Math.max(30, rules.perMilestone.minMinutes);
  let slot: FreeSlot | null = null;
  if (stage === "slot") {
    try {
      const found = await findFreeSlots(deps, {
        owner: commitment.owner,
        fromMs: nowMs,
        toMs: window.endMs,
        timeZone,
        preferences,
        minMinutes,
        maxSlots: 1,
      });
      slot = found.slots[0] ?? null;
    } catch (error) {
      // A calendar that cannot be read (too complex, malformed) costs the nudge its slot, not the nudge.
      if (!(error instanceof AgentError) || error instanceof DependencyError) throw error;
      deps.logger.warn(
        { err: error, owner: commitment.owner },
        "calendar unreadable; nudging without a slot",
      );
    }
  }
  const intervention = planIntervention({ progress, slot, minMinutes });
  if (intervention === null) return { outcome: "on_track", nudges: [] };
  // A challenge-pool participant hears about the pot and the others (the indexer's cache, no chain call).
  const [challenge] = await loadChallengeFacts(deps, commitment.owner, [commitment], timeZone);
  const message =
    challenge === undefined
      ? intervention.message
      : `${intervention.message} ${challengeNudgeNote(challenge)}`;
  const dedupeKey = interventionKey(commitment, window.index, intervention.stage);
  const nudges = [...new Set(["inApp" as const, ...preferences.channels])].map((channel) => ({
    owner: commitment.owner,
    channel,
    message,
    reason: intervention.reason,
    dedupeKey,
    fallbackTimeZone: rules.timezone,
    preferences,
  }));
  return { outcome: "intervened", stage: intervention.stage, nudges };
}
