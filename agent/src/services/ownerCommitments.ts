/**
 * An owner's commitments on the configured vault (from the indexer's cache), each with its rules document when
 * the agent knows it: what workouts are counted against. Bounded by the cache's page limit.
 */
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import { COMMITMENTS_PAGE_MAX } from "../store/commitmentsRepository.ts";
import type { Repositories } from "../store/store.ts";
import { createRulesLookup, type RulesLookup } from "./commitmentRules.ts";
import type { CommitmentWithRules } from "./countWorkout.ts";
import type { ChainTarget } from "./serviceContext.ts";

export interface LoadOwnerCommitmentsParameters {
  repositories: Pick<Repositories, "commitments" | "rulesDocuments">;
  chain: ChainTarget | undefined;
  owner: string;
  /** Reuse a request's lookup; a fresh one otherwise. */
  rules?: RulesLookup;
}

export interface OwnerCommitment extends CommitmentWithRules {
  commitment: CommitmentRecord;
}

export type LoadOwnerCommitmentsReturnType = OwnerCommitment[];

export async function loadOwnerCommitments({
  repositories,
  chain,
  owner,
  rules = createRulesLookup({ repositories }),
}: LoadOwnerCommitmentsParameters): Promise<LoadOwnerCommitmentsReturnType> {
  if (chain === undefined) return [];
  const commitments = await repositories.commitments.listByOwner({
    chainId: chain.chainId,
    vault: chain.vault,
    owner,
    limit: COMMITMENTS_PAGE_MAX,
  });
  const withRules: OwnerCommitment[] = [];
  for (const commitment of commitments) {
    withRules.push({ commitment, rules: await rules(commitment.rulesHash) });
  }
  return withRules;
}
