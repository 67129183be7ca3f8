/**
 * The steps the keeper, the challenge settler and the claim relayer share around a transaction's
 * `chain_transactions` rows: claim a row before sending (only its creator, or whoever reopens a failed one,
 * sends), give it back when nothing will be sent, audit what was sent and how it ended, and the empty
 * `resumePending` summary.
 */
import type { Address } from "viem";
import type { AuditLogRepository } from "../store/auditLogRepository.ts";
import type {
  ChainTransactionKey,
  ChainTransactionRecord,
  ChainTransactionsRepository,
} from "../store/chainTransactionsRepository.ts";
import { toJsonSafe } from "./chainErrors.ts";
import type { ResumePendingResult } from "./transactionTypes.ts";

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
export function milestoneAuditor({
  auditLog,
  actor,
  chainId,
  vault,
  from,
}: {
  auditLog: Pick<AuditLogRepository, "append">;
  actor: string;
  chainId: number;
  vault: Address;
  from: Address;
}) {
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

export const noneResumed = (): ResumePendingResult => ({
  checked: 0,
  confirmed: 0,
  reverted: 0,
  failed: 0,
  pending: 0,
});
