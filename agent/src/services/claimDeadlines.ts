/**
 * Claim deadlines of a commitment's milestones, unix seconds (the first second a claim is refused). Without a
 * `VaultReader` they are the base deadlines (window end + grace); with one, each `Open` milestone's deadline is
 * read from the vault, which extends deadlines a pause covered. Reads run at most `CLAIM_DEADLINE_READS_IN_FLIGHT`
 * at a time. With `fallback`, a failed read is logged and the base deadline is used; without, it is thrown.
 */
import type { VaultReader } from "../chain/ports.ts";
import type { Logger } from "../logger.ts";
import { baseClaimDeadlineOf, type CommitmentSchedule } from "./milestoneSchedule.ts";

export const CLAIM_DEADLINE_READS_IN_FLIGHT = 8;

export interface ClaimDeadlinesOfParameters {
  commitment: CommitmentSchedule & { commitmentId: bigint };
  /** The milestones to report; every milestone when absent. */
  indices?: readonly number[];
  /** Read only these from the chain (the others keep their base deadline); default every `Open` one reported. */
  readIndices?: readonly number[];
  reader?: VaultReader | undefined;
  fallback: boolean;
  logger: Logger;
}

/** Milestone index → claim deadline, unix seconds. */
export type ClaimDeadlinesOfReturnType = Map<number, number>;

export async function claimDeadlinesOf({
  commitment,
  indices = Array.from({ length: commitment.milestones }, (_, i) => i),
  readIndices = indices,
  reader,
  fallback,
  logger,
}: ClaimDeadlinesOfParameters): Promise<ClaimDeadlinesOfReturnType> {
  const deadlines = new Map<number, number>();
  for (const index of indices) deadlines.set(index, baseClaimDeadlineOf(commitment, index));
  if (reader === undefined) return deadlines;
  const toRead = readIndices.filter(
    (index) => deadlines.has(index) && (commitment.milestoneStates[index] ?? "Open") === "Open",
  );
  for (let from = 0; from < toRead.length; from += CLAIM_DEADLINE_READS_IN_FLIGHT) {
    const chunk = toRead.slice(from, from + CLAIM_DEADLINE_READS_IN_FLIGHT);
    await Promise.all(
      chunk.map(async (index) => {
        try {
          deadlines.set(index, await reader.claimDeadline(commitment.commitmentId, index));
        } catch (error) {
          if (!fallback) throw error;
          logger.warn(
            { err: error, commitmentId: commitment.commitmentId.toString(), milestoneIndex: index },
            "claim deadline read failed; showing the deadline before pauses",
          );
        }
      }),
    );
  }
  return deadlines;
}
