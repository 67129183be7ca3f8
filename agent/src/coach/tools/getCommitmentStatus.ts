/**
 * `getCommitmentStatus({ commitmentId? })`: progress of the owner's commitment(s) in the running window:
 * done / required, hours left, money at stake now, claim deadline and milestone state. Without an id, every
 * commitment with a running window. When commitments belong to a challenge pool, `challenges` says what the coach
 * knows about each challenge (parameters, how many are still in, the pot, the owner's standing, when winnings can be
 * claimed; challengeContext.ts), running or not: a finished challenge still has winnings to claim.
 */
import { z } from "zod";
import { type ChallengeFacts, loadChallengeFacts } from "../challengeContext.ts";
import type { CommitmentProgress } from "../commitmentProgress.ts";
import { loadProgress, windowAt } from "../commitmentProgress.ts";
import { formatLocal } from "../zonedTime.ts";
import { defineCommitmentTool } from "./coachTool.ts";
import { commitmentIdArgument } from "./toolArguments.ts";

export const getCommitmentStatusArguments = z.strictObject({ commitmentId: commitmentIdArgument.optional() });

export interface CommitmentStatus extends CommitmentProgress {
  /** Window end in the owner's zone, e.g. `Mon 30 Nov 00:00`. */
  windowEndLocal: string;
  claimDeadline: string;
  /** The challenge this commitment belongs to (see `challenges`), when it is a challenge pool's. */
  challengeId?: string;
}

export interface GetCommitmentStatusReturnType {
  timeZone: string;
  commitments: CommitmentStatus[];
  /** The challenges the owner's commitments (the chosen one, or the latest 20) belong to. */
  challenges: ChallengeFacts[];
  /** Why the list is empty, when it is. */
  note?: string;
}

export const getCommitmentStatus = defineCommitmentTool({
  name: "getCommitmentStatus",
  description:
    "Progress of the user's commitment(s) in the current milestone window: workouts done and required, hours left, money at stake now, claim deadline. Omit commitmentId for all running ones.",
  parameters: getCommitmentStatusArguments,
  run: async (args, { owner, deps, context, nowMs, chosen }): Promise<GetCommitmentStatusReturnType> => {
    const commitments: CommitmentStatus[] = [];
    for (const commitment of chosen.slice(0, 20)) {
      const loaded = await loadProgress({
        store: deps.store,
        commitment,
        nowMs,
        tokens: deps.tokens,
      });
      if (loaded === null) continue;
      commitments.push({
        ...loaded.progress,
        windowEndLocal: formatLocal(loaded.window.endMs, context.timeZone),
        claimDeadline: new Date(windowAt(commitment, loaded.window.index).claimDeadlineMs).toISOString(),
      });
    }
    const challenges = await loadChallengeFacts(
      deps,
      owner,
      args.commitmentId === undefined ? context.commitments.slice(-20) : chosen,
      context.timeZone,
    );
    for (const status of commitments) {
      const facts = challenges.find((c) => c.commitmentId === status.commitmentId);
      if (facts !== undefined) status.challengeId = facts.challengeId;
    }
    const result: GetCommitmentStatusReturnType = { timeZone: context.timeZone, commitments, challenges };
    if (commitments.length === 0) {
      result.note =
        deps.chain === null
          ? "No vault is configured on this agent."
          : "No commitment has a running milestone window.";
    }
    return result;
  },
});
