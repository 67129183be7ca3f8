/**
 * One scheduler pass: delivers due reminders, then evaluates every commitment with a running window (bounded
 * pages by ascending id, at most `maxCommitments`, and for at most `maxDurationMs`: a pass that meets slow
 * calendars stops and leaves the rest to the next one). A failing commitment is logged and counted; the pass
 * goes on. Returns what happened, for logs, metrics and benches.
 *
 * Set-based (issue 18): each page's reads come from one query per kind for the whole page (`pageStore`); each
 * commitment is then planned in memory (`planCommitment`: the same decisions `evaluateCommitment` makes), and the
 * page's nudges are sent together at the end of the page (`deployNudgeBatch`: one transaction per group for the
 * owner locks, dedupe lookups, daily caps and a multi-row reservation, one update for the in-app outcomes),
 * deciding what sending them one at a time in the same order decides. Memory stays bounded by the page.
 * `maxDurationMs` also bounds the deliveries: it is checked before each group and each slow (webhook, email)
 * delivery; past it, the nudges not sent are released for a later pass and the pass is `truncated`.
 */
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import {
  type CommitmentPlan,
  type EvaluationOutcome,
  planCommitment,
} from "../interventions/evaluateCommitment.ts";
import { deliverDueReminders } from "../nudges/deliverDueReminders.ts";
import { type BatchNudgeResult, deployNudgeBatch } from "../nudges/deployNudgeBatch.ts";
import { pageStore } from "./pageStore.ts";

export interface RunCoachPassParameters {
  /** Default 500. */
  pageSize?: number;
  /** Default 50,000. */
  maxCommitments?: number;
  /**
   * Longest a pass runs; checked between commitments, before each group of nudges and before each slow
   * delivery. Default 5 minutes.
   */
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

export async function runCoachPass(
  deps: CoachDependencies,
  parameters: RunCoachPassParameters = {},
): Promise<RunCoachPassReturnType> {
  const pageSize = parameters.pageSize ?? 500;
  const maxCommitments = parameters.maxCommitments ?? 50_000;
  const maxDurationMs = parameters.maxDurationMs ?? 5 * 60_000;
  const elapsed = parameters.elapsed ?? (() => performance.now());
  const startedAt = elapsed();
  const expired = () => elapsed() - startedAt > maxDurationMs;
  const result: RunCoachPassReturnType = {
    commitments: 0,
    outcomes: { no_window: 0, unknown_rules: 0, settled: 0, met: 0, on_track: 0, intervened: 0 },
    nudges: { delivered: 0, failed: 0, duplicate: 0, suppressed: 0 },
    reminders: await deliverDueReminders(deps, { expired }),
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
      store = await pageStore(deps.store, page, deps.clock.now(), deps.chain.chainId);
    } catch (error) {
      // The page's evaluations then read for themselves, and fail (and are counted) one by one if they must.
      deps.logger.warn({ err: error }, "coach page prefetch failed; evaluating without it");
    }
    const pageDeps = { ...deps, store };
    const planned: { commitment: CommitmentRecord; plan: CommitmentPlan }[] = [];
    let cut = false;
    for (const commitment of page) {
      if (expired()) {
        cut = true;
        break;
      }
      result.commitments += 1;
      try {
        planned.push({ commitment, plan: await planCommitment(pageDeps, { commitment, rulesCache }) });
      } catch (error) {
        countError(deps, result, commitment, error);
      }
    }
    const deferred = await sendPlanned(pageDeps, result, planned, expired);
    if (cut || deferred) {
      result.truncated = true;
      return result;
    }
    const last = page.at(-1);
    if (last === undefined || page.length < limit) return result;
    afterId = last.commitmentId;
  }
  result.truncated = true;
  return result;
}

function countError(
  deps: CoachDependencies,
  result: RunCoachPassReturnType,
  commitment: CommitmentRecord,
  error: unknown,
): void {
  result.errors += 1;
  deps.logger.error(
    { err: error, commitmentId: commitment.commitmentId.toString() },
    "coach evaluation failed",
  );
}

/**
 * Sends the page's planned nudges in groups and counts each commitment: its outcome, or an error when one of its
 * nudges failed as `deployNudge` throws; and the nudges it did send either way (a failing nudge does not stop
 * the commitment's other nudges, which were delivered and are counted). A commitment whose nudges were not all
 * sent when the time budget ran out (`deferred`) is not counted: a later pass evaluates it again. Returns
 * whether any nudge was deferred.
 */
async function sendPlanned(
  deps: CoachDependencies,
  result: RunCoachPassReturnType,
  planned: readonly { commitment: CommitmentRecord; plan: CommitmentPlan }[],
  expired: () => boolean,
): Promise<boolean> {
  const sent = await deployNudgeBatch(
    deps,
    planned.flatMap(({ plan }) => plan.nudges),
    expired,
  );
  let next = 0;
  let anyDeferred = false;
  for (const { commitment, plan } of planned) {
    const own: BatchNudgeResult[] = sent.slice(next, next + plan.nudges.length);
    next += plan.nudges.length;
    for (const nudge of own) if (nudge.ok) result.nudges[nudge.result.status] += 1;
    const failed = own.find((nudge) => !nudge.ok && !("deferred" in nudge));
    if (failed !== undefined && !failed.ok && "error" in failed) {
      countError(deps, result, commitment, failed.error);
    } else if (own.some((nudge) => "deferred" in nudge)) {
      anyDeferred = true;
      result.commitments -= 1;
    } else result.outcomes[plan.outcome] += 1;
  }
  return anyDeferred;
}
