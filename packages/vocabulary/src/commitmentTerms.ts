/**
 * The terms a commitment is created with, as `createCommitment` takes them and `getCommitment` reports them: one
 * shape for the agent's chain reader and store and the web app's form, so a new term is added in one place.
 */
import type { Address } from "viem";

export interface CommitmentTerms {
  /** The staked token; the zero address for ETH. */
  token: Address;
  /** The whole stake, in the token's smallest unit. */
  amount: bigint;
  /** Unix seconds: when the first milestone's window opens. */
  start: number;
  /** Seconds: the length of one milestone's window. */
  period: number;
  /** How many milestones the stake is split into. */
  milestones: number;
  /** Seconds after a window closes during which it can still be attested. */
  grace: number;
  /** Who receives a slashed milestone's share. */
  beneficiary: Address;
}
