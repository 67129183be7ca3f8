/** Argument pieces several tools share. */
import { z } from "zod";
import { NotFoundError } from "../../errors.ts";
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import { isFromYearOne } from "../../workouts/isoTime.ts";

/** A commitment id as decimal digits. */
export const commitmentIdArgument = z
  .string()
  .regex(/^[0-9]{1,78}$/, "must be a commitment id (decimal digits)")
  .describe('Commitment id, decimal digits, e.g. "1"');

export const isoInstantArgument = z.iso
  .datetime({ offset: true })
  .refine(isFromYearOne, "must be in year 1 or later");

/** The owner's commitment with this id, else NotFoundError (also for someone else's: nothing leaks). */
export function ownCommitment(commitments: readonly CommitmentRecord[], id: string): CommitmentRecord {
  const found = commitments.find((c) => c.commitmentId.toString() === BigInt(id).toString());
  if (found === undefined) {
    throw new NotFoundError({
      code: "commitment_not_found",
      message: `You have no commitment ${id}.`,
      details: { field: "commitmentId" },
    });
  }
  return found;
}
