/**
 * `getCommitmentStatus({ commitmentId? })`: progress of the owner's commitment(s) in the running window:
 * done / required, hours left, money at stake now, claim deadline and milestone state. Without an id, every
 * commitment with a running window.
 */
import { z } from "zod";
import type { CommitmentProgress } from "../commitmentProgress.ts";
import { loadProgress, windowAt } from "../commitmentProgress.ts";
import { loadOwnerContext } from "../ownerContext.ts";
import { formatLocal } from "../zonedTime.ts";
import { defineTool } from "./coachTool.ts";
import { commitmentIdArgument, ownCommitment } from "./toolArguments.ts";

export const getCommitmentStatusArguments = z.strictObject({ commitmentId: commitmentIdArgument.optional() });

export interface CommitmentStatus extends CommitmentProgress {
  /** Window end in the owner's zone, e.g. `Mon 30 Nov 00:00`. */
  windowEndLocal: string;
  claimDeadline: string;
}

export interface GetCommitmentStatusReturnType {
  timeZone: string;
  commitments: CommitmentStatus[];
  /** Why the list is empty, when it is. */
  note?: string;
}

export const getCommitmentStatus = defineTool({
  name: "getCommitmentStatus",
  description:
    "Progress of the user's commitment(s) in the current milestone window: workouts done and required, hours left, money at stake now, claim deadline. Omit commitmentId for all running ones.",
  parameters: getCommitmentStatusArguments,
  run: async (args, { owner, deps }): Promise<GetCommitmentStatusReturnType> => {
    const context = await loadOwnerContext(deps, owner);
    const chosen =
      args.commitmentId === undefined
        ? context.active
        : [ownCommitment(context.commitments, args.commitmentId)];
    const commitments: CommitmentStatus[] = [];
    for (const commitment of chosen.slice(0, 20)) {
      const loaded = await loadProgress({
        store: deps.store,
        commitment,
        nowMs: deps.clock.now(),
        tokens: deps.tokens,
      });
      if (loaded === null) continue;
      commitments.push({
        ...loaded.progress,
        windowEndLocal: formatLocal(loaded.window.endMs, context.timeZone),
        claimDeadline: new Date(windowAt(commitment, loaded.window.index).claimDeadlineMs).toISOString(),
      });
    }
    const result: GetCommitmentStatusReturnType = { timeZone: context.timeZone, commitments };
    if (commitments.length === 0) {
      result.note =
        deps.chain === null
          ? "No vault is configured on this agent."
          : "No commitment has a running milestone window.";
    }
    return result;
  },
});
