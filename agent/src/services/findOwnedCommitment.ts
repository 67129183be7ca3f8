/**
 * One commitment of the signed-in owner, from the indexer's cache; on a cache miss, read through from the chain
 * when a `VaultReader` is given (and the cache is filled with what was read). Unknown → 404
 * `commitment_not_found`; someone else's → 403 `not_owner`, with nothing about it in the answer.
 */
import type { VaultReader } from "../chain/ports.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import type {
  AcceptedWorkoutFacts,
  CommitmentKey,
  CommitmentRecord,
} from "../store/commitmentsRepository.ts";
import type { ChainTarget, ServiceContext } from "./serviceContext.ts";

export interface FindOwnedCommitmentParameters {
  owner: string;
  commitmentId: bigint;
  reader?: VaultReader | undefined;
}

export type FindOwnedCommitmentReturnType = CommitmentRecord;

/**
 * A read-through row is written with the highest `updatedBlock`: the reader does not say which block it read (the
 * latest), so every reorg repair reads it again at its ancestor (deleting it when the commitment does not exist
 * there) until the indexer's upsert at a real block replaces it. (With 0, a row read on a branch the chain then
 * left was never read again: a phantom or stale commitment until another event touched it.)
 */
export const READ_THROUGH_BLOCK = Number.MAX_SAFE_INTEGER;

export async function findOwnedCommitment(
  context: Pick<ServiceContext, "store" | "logger"> & { chain: ChainTarget },
  { owner, commitmentId, reader }: FindOwnedCommitmentParameters,
): Promise<FindOwnedCommitmentReturnType> {
  const commitment = await findCommitment(context, { commitmentId, reader });
  requireOwner({ owner, commitmentId, actualOwner: commitment.owner });
  return commitment;
}

export interface OwnedCommitmentWithWorkouts {
  commitment: CommitmentRecord;
  /**
   * The owner's accepted workouts over the commitment's windows, read with it in one statement; undefined when
   * the commitment was read through from the chain (`describeCommitment` reads them then).
   */
  workouts: AcceptedWorkoutFacts[] | undefined;
}

/**
 * `findOwnedCommitment` and the owner's accepted workouts over its windows in one statement (what `GET
 * /api/commitments/:id` shows): the same 404, read-through and 403, and nothing of anyone's workouts is read for
 * someone who does not own the commitment.
 */
export async function findOwnedCommitmentWithWorkouts(
  context: Pick<ServiceContext, "store" | "logger"> & { chain: ChainTarget },
  { owner, commitmentId, reader }: FindOwnedCommitmentParameters,
): Promise<OwnedCommitmentWithWorkouts> {
  const key = { chainId: context.chain.chainId, vault: context.chain.vault, commitmentId };
  const found = await context.store.commitments.getWithAcceptedWorkouts({ ...key, owner });
  const owned = found ?? { commitment: await readThrough(context, key, reader), workouts: undefined };
  requireOwner({ owner, commitmentId, actualOwner: owned.commitment.owner });
  return owned;
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
  const key = { chainId: context.chain.chainId, vault: context.chain.vault, commitmentId };
  return (await context.store.commitments.get(key)) ?? readThrough(context, key, reader);
}

/**
 * A commitment missing from the cache, read from the chain when a reader is given (and cached); 404
 * `commitment_not_found` when there is none (or no reader).
 */
async function readThrough(
  context: Pick<ServiceContext, "store" | "logger">,
  key: CommitmentKey,
  reader: VaultReader | undefined,
): Promise<CommitmentRecord> {
  const { commitmentId } = key;
  let commitment: CommitmentRecord | null = null;
  if (reader !== undefined) {
    const onChain = await reader.readCommitment(commitmentId);
    if (onChain !== null) {
      // Never over a row the indexer wrote meanwhile (read at a known block): that one wins.
      commitment = await context.store.commitments.insertIfAbsent({
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
        appeals: onChain.appeals,
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
