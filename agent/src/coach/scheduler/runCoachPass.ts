/**
 * One scheduler pass: delivers due reminders, then evaluates every commitment with a running window (bounded
 * pages by ascending id, at most `maxCommitments`, and for at most `maxDurationMs`: a pass that meets slow
 * calendars stops and leaves the rest to the next one). A failing commitment is logged and counted; the pass
 * goes on. Returns what happened, for logs, metrics and benches.
 */
import type { MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
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
    for (const commitment of page) {
      if (elapsed() - startedAt > maxDurationMs) {
        result.truncated = true;
        return result;
      }
      result.commitments += 1;
      try {
        const evaluation = await evaluateCommitment(deps, { commitment, rulesCache });
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
