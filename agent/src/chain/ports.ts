/**
 * What the HTTP routes and services need from the chain, as interfaces. The viem implementations live beside
 * this file (`vaultReader.ts`, `claimRelayer.ts`); routes depend only on these shapes, so they are built and
 * tested with any implementation (the tests use the real one against an in-process Hardhat chain).
 */
import type { CommitmentTerms } from "@resolution-autopilot/vocabulary";
import type { Address, Hex } from "viem";
import type { MilestoneAppeal, MilestoneState } from "../store/schema.ts";

/** A commitment as the vault reports it (`getCommitment` plus every milestone's state). */
export interface OnChainCommitment extends CommitmentTerms {
  chainId: number;
  vault: Address;
  commitmentId: bigint;
  owner: Address;
  rulesHash: Hex;
  closed: boolean;
  /** `milestoneStates[i]` is the state of milestone `i`. */
  milestoneStates: MilestoneState[];
  /** Every milestone the owner appealed (`appealOf` with a non-zero `appealedAt`), by ascending index (v2). */
  appeals: MilestoneAppeal[];
}

export interface ReadOptions {
  /** Read the state as of this block (the indexer reads at its confirmed height). Default: latest. */
  blockNumber?: bigint;
}

/** Read access to one CommitmentVault. Every value returned has been validated (zod) on its way in. */
export interface VaultReader {
  readonly chainId: number;
  readonly vault: Address;
  /** The commitment, or null when no commitment has this id (the vault's `owner` is zero). */
  readCommitment(commitmentId: bigint, options?: ReadOptions): Promise<OnChainCommitment | null>;
  /** `claimDeadline(id, index)`: the first second at which the milestone can no longer be claimed (pause-aware). */
  claimDeadline(commitmentId: bigint, milestoneIndex: number, options?: ReadOptions): Promise<number>;
  /** The current oracle set and threshold. */
  oracleSet(options?: ReadOptions): Promise<{ oracles: Address[]; threshold: number }>;
  /** Timestamp (unix seconds) of the latest block: "now" as the vault sees it. */
  latestTimestamp(): Promise<number>;
  /** `exitAvailable()` (v2): the vault has been paused 30 of the last 31 days, so anyone may `exit` a commitment. */
  exitAvailable(options?: ReadOptions): Promise<boolean>;
  /**
   * `pauseState()`: when the current pause began (0 when not paused) and when the vault was last unpaused (0 if
   * never), unix seconds. A pause moves claim deadlines; these two say which milestones it may have moved.
   */
  pauseTimes(options?: ReadOptions): Promise<PauseTimes>;
}

export interface PauseTimes {
  pausedAt: number;
  lastUnpausedAt: number;
}

export interface RelayClaimParameters {
  commitmentId: bigint;
  milestoneIndex: number;
  evidenceHash: Hex;
  /** Unix seconds. */
  validUntil: number;
  /** Exactly the signatures to submit, signers strictly ascending. */
  signatures: Hex[];
}

export interface RelayClaimReturnType {
  status: "pending" | "confirmed" | "reverted" | "failed";
  txHash: Hex | null;
  /** False when this milestone had already been submitted (by this or another replica): nothing new was sent. */
  submitted: boolean;
}

/** The optional gasless relayer: submits `claimMilestone` for the owner, at most once per milestone. */
export interface ClaimRelayer {
  relayClaim(parameters: RelayClaimParameters): Promise<RelayClaimReturnType>;
}
