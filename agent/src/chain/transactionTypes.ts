/**
 * What the transaction sender takes and answers (its collaborators, the keeper, the settler and the relayer
 * import these without importing the sender itself).
 */
import type { Address, Hex, Log } from "viem";
import type { ChainTransactionRecord } from "../store/chainTransactionsRepository.ts";

export interface TransactionRequest {
  to: Address;
  data: Hex;
  /** Wei. Default 0. */
  value?: bigint;
  /** What is being sent, for errors and logs (`claimMilestone`, `slash batch`). */
  operation: string;
}

export interface SubmitTransactionParameters extends TransactionRequest {
  /** The `chain_transactions` rows this transaction settles: every attempt and the outcome are written there. */
  rowIds: string[];
}

export type TransactionOutcomeStatus = "confirmed" | "reverted" | "failed" | "pending";

export interface TransactionOutcome {
  status: TransactionOutcomeStatus;
  /** The mined hash (a bump's when the bump was mined), else the latest sent; null if nothing was sent. */
  txHash: Hex | null;
  nonce: number | null;
  blockNumber: bigint | null;
  /** Signed attempts of this transaction, bumps included. */
  attempts: number;
  /** Why it failed or is still pending. */
  error: string | null;
  /** The mined receipt's logs (empty when not mined), e.g. to see which items of a batch took effect. */
  logs?: readonly Log[];
}

/** What a `resumePending` found, counted in rows (milestones). */
export interface ResumePendingResult {
  checked: number;
  confirmed: number;
  reverted: number;
  failed: number;
  /** Still not mined (or skipped because another process is following them). */
  pending: number;
}

export interface SimulateTransactionReturnType {
  /** The gas limit to send with (estimate x `gasLimitPercent`). */
  gas: bigint;
  /** What the call returned (e.g. the per-call results of a Multicall3 `aggregate3`). */
  returnData: Hex;
}

export interface Submission {
  txHash: Hex;
  nonce: number;
  /** Resolves (never rejects) when the transaction is mined, has failed, or the wait timed out. */
  outcome: Promise<TransactionOutcome>;
}

export interface TransactionSender {
  readonly address: Address;
  readonly chainId: number;
  /** Throws ContractRevertedError (decoded) when the call would revert, DependencyError when the RPC fails. */
  simulate(request: TransactionRequest): Promise<SimulateTransactionReturnType>;
  /** Simulates, signs, records and broadcasts; the outcome is followed in the background. */
  submit(parameters: SubmitTransactionParameters): Promise<Submission>;
  /** `submit`, then waits for the outcome. */
  send(parameters: SubmitTransactionParameters): Promise<TransactionOutcome>;
  /** Picks up rows left pending (by a crash or a timeout) that share one transaction: check, rebroadcast, bump. */
  resume(rows: readonly ChainTransactionRecord[]): Promise<TransactionOutcome>;
  /** Stops following transactions (their rows stay pending for `resume`) and waits for the followers to end. */
  close(): Promise<void>;
}
