/**
 * One commitment of the signed-in owner, from the indexer's cache; on a cache miss, read through from the chain
 * when a `VaultReader` is given (and the cache is filled with what was read). Unknown → 404
 * `commitment_not_found`; someone else's → 403 `not_owner`, with nothing about it in the answer.
 */
import type { VaultReader } from "../chain/ports.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { ChainTarget, ServiceContext } from "./serviceContext.ts";

export interface FindOwnedCommitmentParameters {
  owner: string;
  commitmentId: bigint;
  reader?: VaultReader | undefined;
}

export type FindOwnedCommitmentReturnType = CommitmentRecord;

/**
 * A read-through row is written with `updatedBlock` 0: the reader does not say which block it read, and the
 * indexer's next upsert (at a real block) overwrites it.
 */
export const READ_THROUGH_BLOCK = 0;

export async function findOwnedCommitment(
  context: Pick<ServiceContext, "store" | "logger"> & { chain: ChainTarget },
  { owner, commitmentId, reader }: FindOwnedCommitmentParameters,
): Promise<FindOwnedCommitmentReturnType> {
  const commitment = await findCommitment(context, { commitmentId, reader });
  requireOwner({ owner, commitmentId, actualOwner: commitment.owner });
  return commitment;
}

/** 403 `not_owner` unless `owner` is `actualOwner` (addresses compared case-insensitively). */
export function requireOwner({
  owner,
  commitmentId,
  actualOwner,
}: {
  owner: string;
  commitmentId: bigint;
  actualOwner: string;
}): void {
  if (actualOwner.toLowerCase() !== owner.toLowerCase()) {
    throw new ForbiddenError({
      code: "not_owner",
      message: `Commitment ${commitmentId} belongs to another address.`,
      details: { commitmentId: commitmentId.toString() },
    });
  }
}

/** Any owner's commitment, from the cache or read through from the chain; 404 `commitment_not_found`. */
export async function findCommitment(
  context: Pick<ServiceContext, "store" | "logger"> & { chain: ChainTarget },
  { commitmentId, reader }: Omit<FindOwnedCommitmentParameters, "owner">,
): Promise<CommitmentRecord> {
  const { store, chain } = context;
  const key = { chainId: chain.chainId, vault: chain.vault, commitmentId };
  let commitment = await store.commitments.get(key);
  if (commitment === null && reader !== undefined) {
    const onChain = await reader.readCommitment(commitmentId);
    if (onChain !== null) {
      commitment = await store.commitments.upsert({
        ...key,
        owner: onChain.owner,
        token: onChain.token,
        amount: onChain.amount,
        start: onChain.start,
        period: onChain.period,
        milestones: onChain.milestones,
        grace: onChain.grace,
        beneficiary: onChain.beneficiary,
        rulesHash: onChain.rulesHash,
        closed: onChain.closed,
        milestoneStates: onChain.milestoneStates,
        updatedBlock: READ_THROUGH_BLOCK,
      });
      context.logger.debug(
        { commitmentId: commitmentId.toString() },
        "commitment read through from the chain",
      );
    }
  }
  if (commitment === null) {
    throw new NotFoundError({
      code: "commitment_not_found",
      message: `There is no commitment ${commitmentId} on this vault.`,
      details: { commitmentId: commitmentId.toString() },
    });
  }
  return commitment;
}
