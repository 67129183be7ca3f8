/**
 * One scheduler pass: delivers due reminders, then evaluates every commitment with a running window (bounded
 * pages by ascending id, at most `maxCommitments`, and for at most `maxDurationMs`: a pass that meets slow
 * calendars stops and leaves the rest to the next one). A failing commitment is logged and counted; the pass
 * goes on. Returns what happened, for logs, metrics and benches.
 *
 * Set-based reads (issue 18): per page, the accepted workouts of every owner whose running milestone is still
 * open are read in one query, and their coach preferences in another; each commitment's evaluation then reads
 * them from memory (`pageStore`) instead of two queries of its own; likewise the coach interventions already
 * sent in the page's windows, so a nudge already sent is found without a transaction (deployNudge's first
 * check; the transaction still re-checks under the owner's lock). Memory stays bounded by the page: a page's
 * rows are dropped before the next page is read. Everything else (rules, nudges, their
 * dedupe and daily cap under the owner's lock) is exactly what `evaluateCommitment` does alone.
 */
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { CoachPreferencesRecord } from "../../store/coachPreferencesRepository.ts";
import type { NudgeRecord } from "../../store/nudgesRepository.ts";
import type { Store } from "../../store/store.ts";
import type { WorkoutRecord } from "../../store/workoutsRepository.ts";
import type { MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { currentWindow } from "../commitmentProgress.ts";
import { type EvaluationOutcome, evaluateCommitment } from "../interventions/evaluateCommitment.ts";
import { deliverDueReminders } from "../nudges/deliverDueReminders.ts";

export interface RunCoachPassParameters {
  /** Default 500. */
  pageSize?: number;
  /** Default 50,000. */
  maxCommitments?: number;
  /** Longest a pass evaluates commitments; checked between them. Default 5 minutes. */
  maxDurationMs?: number;
  /** Monotonic milliseconds for `maxDurationMs` (default `performance.now`). */
  elapsed?: () => number;
}

export interface RunCoachPassReturnType {
  commitments: number;
  outcomes: Record<EvaluationOutcome, number>;
  nudges: { delivered: number; failed: number; duplicate: number; suppressed: number };
  reminders: { delivered: number; failed: number };
  errors: number;
  /** True when `maxCommitments` or `maxDurationMs` cut the pass short. */
  truncated: boolean;
}

/**
 * The store as one page's evaluations see it: `workouts.acceptedOverlapping` and `coachPreferences.get` answer
 * from what was read for the whole page (same rows, same order), and fall back to the store for an owner or a
 * range the page did not cover.
 */
async function pageStore(store: Store, page: readonly CommitmentRecord[], nowMs: number): Promise<Store> {
  const owners = new Set<string>();
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  for (const commitment of page) {
    const window = currentWindow(commitment, nowMs);
    if (window === null || commitment.closed) continue;
    if ((commitment.milestoneStates[window.index] ?? "Open") !== "Open") continue;
    owners.add(commitment.owner.toLowerCase());
    fromMs = Math.min(fromMs, window.startMs);
    toMs = Math.max(toMs, window.endMs);
  }
  if (owners.size === 0) return store;
  const ownerList = [...owners];
  const workoutsByOwner = new Map<string, WorkoutRecord[]>();
  for (const workout of await store.workouts.acceptedOverlappingOwners(
    ownerList,
    new Date(fromMs),
    new Date(toMs),
  )) {
    const key = workout.owner.toLowerCase();
    const list = workoutsByOwner.get(key);
    if (list === undefined) workoutsByOwner.set(key, [workout]);
    else list.push(workout);
  }
  const preferences: Map<string, CoachPreferencesRecord> = await store.coachPreferences.getMany(ownerList);
  // The interventions already sent in these windows: a second pass finds its duplicates without a transaction.
  const sentSince = new Date(fromMs);
  const sentRows = await store.nudges.coachInterventionsSince(ownerList, sentSince);
  const sent = new Map<string, NudgeRecord>(
    sentRows.map((nudge) => [`${nudge.owner.toLowerCase()}|${nudge.channel}|${nudge.dedupeKey}`, nudge]),
  );
  const sentComplete = sentRows.length < 10_000;
  return {
    ...store,
    workouts: {
      ...store.workouts,
      acceptedOverlapping: async (owner, start, end) => {
        const key = owner.toLowerCase();
        if (!owners.has(key) || start.getTime() < fromMs || end.getTime() > toMs) {
          return store.workouts.acceptedOverlapping(owner, start, end);
        }
        return (workoutsByOwner.get(key) ?? []).filter(
          (workout) => workout.startTime < end && workout.endTime > start,
        );
      },
    },
    nudges: {
      ...store.nudges,
      find: async (owner, channel, dedupeKey) => {
        const key = owner.toLowerCase();
        if (!sentComplete || !owners.has(key) || !dedupeKey.startsWith("coach:")) {
          return store.nudges.find(owner, channel, dedupeKey);
        }
        // An intervention of a running window was created within it (after `sentSince`), so absent here means
        // not sent when the page was read; deployNudge checks again under the owner's lock before sending.
        return sent.get(`${key}|${channel}|${dedupeKey}`) ?? null;
      },
    },
    coachPreferences: {
      ...store.coachPreferences,
      get: async (owner) => {
        const key = owner.toLowerCase();
        if (!owners.has(key)) return store.coachPreferences.get(owner);
        return preferences.get(key) ?? null;
      },
    },
  };
}

export async function runCoachPass(
  deps: CoachDependencies,
  parameters: RunCoachPassParameters = {},
): Promise<RunCoachPassReturnType> {
  const pageSize = parameters.pageSize ?? 500;
  const maxCommitments = parameters.maxCommitments ?? 50_000;
  const maxDurationMs = parameters.maxDurationMs ?? 5 * 60_000;
  const elapsed = parameters.elapsed ?? (() => performance.now());
  const startedAt = elapsed();
  const result: RunCoachPassReturnType = {
    commitments: 0,
    outcomes: { no_window: 0, unknown_rules: 0, settled: 0, met: 0, on_track: 0, intervened: 0 },
    nudges: { delivered: 0, failed: 0, duplicate: 0, suppressed: 0 },
    reminders: await deliverDueReminders(deps),
    errors: 0,
    truncated: false,
  };
  if (deps.chain === null) return result;
  const at = Math.floor(deps.clock.now() / 1000);
  const rulesCache = new Map<string, MilestoneRules | null>();
  let afterId: bigint | undefined;
  while (result.commitments < maxCommitments) {
    const limit = Math.min(pageSize, maxCommitments - result.commitments);
    const page = await deps.store.activeCommitments.list({
      chainId: deps.chain.chainId,
      vault: deps.chain.vault,
      at,
      afterId,
      limit,
    });
    let store = deps.store;
    try {
      store = await pageStore(deps.store, page, deps.clock.now());
    } catch (error) {
      // The page's evaluations then read for themselves, and fail (and are counted) one by one if they must.
      deps.logger.warn({ err: error }, "coach page prefetch failed; evaluating without it");
    }
    const pageDeps = { ...deps, store };
    for (const commitment of page) {
      if (elapsed() - startedAt > maxDurationMs) {
        result.truncated = true;
        return result;
      }
      result.commitments += 1;
      try {
        const evaluation = await evaluateCommitment(pageDeps, { commitment, rulesCache });
        result.outcomes[evaluation.outcome] += 1;
        for (const nudge of evaluation.nudges) result.nudges[nudge.status] += 1;
      } catch (error) {
        result.errors += 1;
        deps.logger.error(
          { err: error, commitmentId: commitment.commitmentId.toString() },
          "coach evaluation failed",
        );
      }
    }
    const last = page.at(-1);
    if (last === undefined || page.length < limit) return result;
    afterId = last.commitmentId;
  }
  result.truncated = true;
  return result;
}
