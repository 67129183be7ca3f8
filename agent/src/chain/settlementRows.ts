/**
 * The steps the keeper, the challenge settler and the claim relayer share around a transaction's
 * `chain_transactions` rows: claim a row before sending (only its creator, or whoever reopens a failed one,
 * sends), give it back when nothing will be sent, audit what was sent and how it ended, and the empty
 * `resumePending` summary.
 */
import type { Address } from "viem";
import type { Logger } from "../logger.ts";
import type {
  ChainTransactionKey,
  ChainTransactionRecord,
  ChainTransactionsRepository,
} from "../store/chainTransactionsRepository.ts";
import type { Store } from "../store/store.ts";
import { toJsonSafe } from "./chainErrors.ts";
import type { Lock } from "./lock.ts";
import type { ResumePendingResult, TransactionSender } from "./transactionTypes.ts";

/** What the keeper, the challenge settler and the claim relayer are each built from. */
export interface SettlementServiceParameters {
  chainId: number;
  /** The vault whose milestones (or whose commitments' participants) are settled. */
  vault: Address;
  sender: TransactionSender;
  store: Store;
  /** Single-flight across replicas. */
  lock: Lock;
  logger: Logger;
}

export interface ClaimRowReturnType {
  /** The row this caller now owns (created, or reopened after a failure or a revert); null: not this caller's. */
  row: ChainTransactionRecord | null;
  /** The row as found (or created). */
  record: ChainTransactionRecord;
}

/** Inserts the row for `key`, or reopens it when its last attempt failed or reverted. */
export async function claimRow(
  transactions: Pick<ChainTransactionsRepository, "insertIfAbsent" | "reopen">,
  key: ChainTransactionKey,
  insert: { fromAddress: Address; details: Record<string, unknown> },
): Promise<ClaimRowReturnType> {
  const { created, record } = await transactions.insertIfAbsent({ ...key, ...insert });
  if (created) return { row: record, record };
  if (record.status === "failed" || record.status === "reverted") {
    return { row: await transactions.reopen(key), record };
  }
  return { row: null, record };
}

/** Nothing (more) will be sent for these rows: delete those never signed, mark the others failed. */
export async function giveBackRows(
  transactions: Pick<ChainTransactionsRepository, "deleteUnsent" | "setStatus">,
  rows: readonly Pick<ChainTransactionRecord, "id">[],
  reason: string,
): Promise<void> {
  for (const row of rows) {
    if (!(await transactions.deleteUnsent(row.id))) {
      await transactions.setStatus({ ids: [row.id], status: "failed", lastError: reason });
    }
  }
}

export interface MilestoneRef {
  commitmentId: bigint;
  milestoneIndex: number;
}

/** `<commitment id>:<milestone index>`, the key sets of milestones use. */
export const milestoneKey = (m: MilestoneRef): string => `${m.commitmentId}:${m.milestoneIndex}`;

/**
 * Audits a milestone transaction step (`keeper.slash_submitted`, `relayer.claim_confirmed`, ...) under the
 * commitment's subject, with the chain, vault, milestone and sending account.
 */
export function milestoneAuditor(
  service: Pick<SettlementServiceParameters, "chainId" | "vault" | "sender" | "store">,
  actor: string,
) {
  const { chainId, vault } = service;
  const { auditLog } = service.store;
  const from = service.sender.address;
  return async (action: string, m: MilestoneRef, details: Record<string, unknown>): Promise<void> => {
    await auditLog.append({
      actor,
      action,
      subject: `commitment:${m.commitmentId}`,
      details: toJsonSafe({
        chainId,
        vault,
        commitmentId: m.commitmentId,
        milestoneIndex: m.milestoneIndex,
        from,
        ...details,
      }) as Record<string, unknown>,
    });
  };
}

/** A kind's pending rows on one contract, oldest first (at most 500), for `resumePending` at startup. */
export const pendingRows = (
  store: { chainTransactions: Pick<ChainTransactionsRepository, "listPending"> },
  contract: { chainId: number; vault: Address },
  kind: ChainTransactionKey["kind"],
): Promise<ChainTransactionRecord[]> =>
  store.chainTransactions.listPending({ chainId: contract.chainId, vault: contract.vault, kind, limit: 500 });

export const noneResumed = (): ResumePendingResult => ({
  checked: 0,
  confirmed: 0,
  reverted: 0,
  failed: 0,
  pending: 0,
});
