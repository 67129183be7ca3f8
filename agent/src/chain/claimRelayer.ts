/**
 * The optional gasless relayer: submits `claimMilestone` for a commitment's owner, at most once per milestone.
 *
 * `relayClaim` takes the milestone's lease (so this replica alone works on it), inserts its
 * `chain_transactions` row (unique per milestone: a second call, from this or another replica or after a
 * restart, gets the existing status with `submitted: false` and nothing new is sent; a `failed`/`reverted` row
 * is reopened for a new attempt, and a `pending` row nobody follows any more is picked up with
 * `sender.resume`), simulates (a revert is a ContractRevertedError with the decoded custom error,
 * and the row is given back so nothing is left pending) and sends through the transaction sender. It waits up
 * to `responseWaitMs` for the receipt and otherwise answers `pending` while the sender keeps following the
 * transaction (bumping its gas) in the background; the lease is released when that ends.
 *
 * `resumePending()` is for startup: pending claim rows nobody holds a lease on are checked, rebroadcast or
 * bumped through `sender.resume`. Every claim relayed and every outcome is counted (`claimsRelayed`) and
 * written to the audit log.
 */
import { type Address, encodeFunctionData } from "viem";
import { z } from "zod";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { AgentError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ChainTransactionKey, ChainTransactionRecord } from "../store/chainTransactionsRepository.ts";
import type { Store } from "../store/store.ts";
import { inSpan } from "../telemetry/spans.ts";
import { ContractRevertedError, toJsonSafe } from "./chainErrors.ts";
import type { Lock } from "./lock.ts";
import { mapBounded } from "./mapBounded.ts";
import type { ClaimRelayer, RelayClaimParameters, RelayClaimReturnType } from "./ports.ts";
import { realSleep, type Sleep } from "./sleep.ts";
import type { ResumePendingResult, TransactionOutcome, TransactionSender } from "./transactionSender.ts";

export interface CreateClaimRelayerParameters {
  chainId: number;
  vault: Address;
  sender: TransactionSender;
  store: Store;
  lock: Lock;
  logger: Logger;
  metrics: Pick<Metrics, "claimsRelayed">;
  /** How long `relayClaim` waits for the receipt before answering `pending`. Default 20 000 ms. */
  responseWaitMs?: number;
  /** The per-milestone lease; must outlast the sender's receipt timeout. Default 15 minutes. */
  lockTtlMs?: number;
  /** Pending rows `resumePending` looks at (oldest first). Default 100. */
  resumeLimit?: number;
  /** Transactions `resumePending` follows at once. Default 4. */
  resumeConcurrency?: number;
  sleep?: Sleep;
}

export interface ClaimRelayerService extends ClaimRelayer {
  /** At startup: follows claim transactions left pending that no replica is working on. */
  resumePending(): Promise<ResumePendingResult>;
  /** Waits until the claims still being followed are done (close the sender first to stop following). */
  close(): Promise<void>;
}

export type CreateClaimRelayerReturnType = ClaimRelayerService;

const parametersSchema = z.object({
  commitmentId: z
    .bigint()
    .min(0n)
    .max(2n ** 256n - 1n),
  milestoneIndex: z.number().int().min(0).max(103),
  evidenceHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of 0x-prefixed hex")
    .transform((value) => value.toLowerCase() as `0x${string}`),
  validUntil: z
    .number()
    .int()
    .min(0)
    .max(2 ** 53 - 1),
  signatures: z
    .array(
      z
        .string()
        .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature")
        .transform((value) => value.toLowerCase() as `0x${string}`),
    )
    .min(1)
    .max(16),
});

export function createClaimRelayer({
  chainId,
  vault,
  sender,
  store,
  lock,
  logger,
  metrics,
  responseWaitMs = 20_000,
  lockTtlMs = 900_000,
  resumeLimit = 100,
  resumeConcurrency = 4,
  sleep = realSleep,
}: CreateClaimRelayerParameters): CreateClaimRelayerReturnType {
  const log = logger.child({ component: "claimRelayer", chainId, vault });
  const following = new Set<Promise<unknown>>();

  const keyOf = (commitmentId: bigint, milestoneIndex: number): ChainTransactionKey => ({
    chainId,
    vault,
    kind: "claim",
    commitmentId,
    milestoneIndex,
  });
  const lockNameOf = (commitmentId: bigint, milestoneIndex: number) =>
    `claim:${chainId}:${vault.toLowerCase()}:${commitmentId}:${milestoneIndex}`;

  const audit = async (
    action: string,
    commitmentId: bigint,
    milestoneIndex: number,
    details: Record<string, unknown>,
  ) => {
    await store.auditLog.append({
      actor: "relayer",
      action,
      subject: `commitment:${commitmentId}`,
      details: toJsonSafe({
        chainId,
        vault,
        commitmentId,
        milestoneIndex,
        from: sender.address,
        ...details,
      }) as Record<string, unknown>,
    });
  };

  const recordOutcome = async (
    row: Pick<ChainTransactionRecord, "commitmentId" | "milestoneIndex">,
    outcome: TransactionOutcome,
  ) => {
    if (outcome.status === "pending") return;
    if (outcome.status !== "confirmed") metrics.claimsRelayed.inc({ outcome: "failed" });
    await audit(`relayer.claim_${outcome.status}`, row.commitmentId, row.milestoneIndex, {
      txHash: outcome.txHash,
      blockNumber: outcome.blockNumber,
      error: outcome.error,
    });
  };

  const releaseLock = (name: string) =>
    lock
      .release(name)
      .catch((err: unknown) => log.warn({ err, lock: name }, "releasing a claim lease failed"));

  /** Nothing (more) will be sent for this row: delete it if nothing was ever signed, else mark it failed. */
  const giveBack = async (row: ChainTransactionRecord, reason: string) => {
    if (!(await store.chainTransactions.deleteUnsent(row.id))) {
      await store.chainTransactions.setStatus({ ids: [row.id], status: "failed", lastError: reason });
    }
  };

  /**
   * Records the outcome when it comes and then releases the lease (in the background); waits for it at most
   * `responseWaitMs` (null when it has not come by then).
   */
  const follow = async (
    outcome: Promise<TransactionOutcome>,
    row: Pick<ChainTransactionRecord, "commitmentId" | "milestoneIndex">,
    lockName: string,
  ): Promise<TransactionOutcome | null> => {
    const finished = outcome
      .then(async (result) => {
        await recordOutcome(row, result).catch((err: unknown) =>
          log.error({ err }, "auditing a claim failed"),
        );
        return result;
      })
      .finally(() => releaseLock(lockName));
    following.add(finished);
    const forget = () => following.delete(finished);
    void finished.then(forget, forget);
    const stopWaiting = new AbortController();
    const result = await Promise.race([finished, sleep(responseWaitMs, stopWaiting.signal).then(() => null)]);
    stopWaiting.abort();
    return result;
  };

  const relayClaim = async (parameters: RelayClaimParameters): Promise<RelayClaimReturnType> => {
    const parsed = parametersSchema.safeParse(parameters);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidationError({
        code: "invalid_claim",
        message: `Invalid claim: ${issue?.path.join(".") ?? "input"} ${issue?.message ?? ""}`.trim(),
        details: { field: String(issue?.path[0] ?? "") },
        cause: parsed.error,
      });
    }
    const p = parsed.data;
    const key = keyOf(p.commitmentId, p.milestoneIndex);
    const lockName = lockNameOf(p.commitmentId, p.milestoneIndex);

    if (!(await lock.tryAcquire(lockName, lockTtlMs))) {
      // Another call (here or on another replica) is submitting this milestone right now.
      const existing = await store.chainTransactions.get(key);
      return { status: existing?.status ?? "pending", txHash: existing?.txHash ?? null, submitted: false };
    }
    let releaseOnReturn = true;
    try {
      const { created, record } = await store.chainTransactions.insertIfAbsent({
        ...key,
        fromAddress: sender.address,
        details: { evidenceHash: p.evidenceHash, validUntil: p.validUntil },
      });
      let row: ChainTransactionRecord | null = created ? record : null;
      if (!created && (record.status === "failed" || record.status === "reverted")) {
        row = await store.chainTransactions.reopen(key);
      } else if (!created && record.status === "pending") {
        // This call holds the lease, so nobody follows this row: a crash or a receipt timeout left it behind.
        if (record.txHash === null) {
          row = record; // never signed: this call sends it
        } else {
          releaseOnReturn = false;
          const outcome = await follow(sender.resume([record]), record, lockName);
          return {
            status: outcome?.status ?? "pending",
            txHash: outcome?.txHash ?? record.txHash,
            submitted: false,
          };
        }
      }
      if (row === null) return { status: record.status, txHash: record.txHash, submitted: false };

      let submission: Awaited<ReturnType<TransactionSender["submit"]>>;
      try {
        submission = await sender.submit({
          to: vault,
          data: encodeFunctionData({
            abi: commitmentVaultAbi,
            functionName: "claimMilestone",
            args: [
              p.commitmentId,
              BigInt(p.milestoneIndex),
              p.evidenceHash,
              BigInt(p.validUntil),
              p.signatures,
            ],
          }),
          operation: "claimMilestone",
          rowIds: [row.id],
        });
      } catch (error) {
        const reason = error instanceof ContractRevertedError ? error.errorName : (error as Error).message;
        await giveBack(row, reason);
        metrics.claimsRelayed.inc({ outcome: "failed" });
        await audit("relayer.claim_rejected", p.commitmentId, p.milestoneIndex, {
          code: error instanceof AgentError ? error.code : "error",
          ...(error instanceof ContractRevertedError ? { errorName: error.errorName, args: error.args } : {}),
        });
        throw error;
      }
      metrics.claimsRelayed.inc({ outcome: "submitted" });
      await audit("relayer.claim_submitted", p.commitmentId, p.milestoneIndex, {
        txHash: submission.txHash,
        nonce: submission.nonce,
      });

      releaseOnReturn = false;
      const outcome = await follow(submission.outcome, row, lockName);
      return {
        status: outcome?.status ?? "pending",
        txHash: outcome?.txHash ?? submission.txHash,
        submitted: true,
      };
    } finally {
      if (releaseOnReturn) await releaseLock(lockName);
    }
  };

  const resumePending = async (): Promise<ResumePendingResult> => {
    const summary: ResumePendingResult = { checked: 0, confirmed: 0, reverted: 0, failed: 0, pending: 0 };
    const rows = await store.chainTransactions.listPending({
      chainId,
      vault,
      kind: "claim",
      limit: resumeLimit,
    });
    await mapBounded(rows, resumeConcurrency, async (row) => {
      const lockName = lockNameOf(row.commitmentId, row.milestoneIndex);
      summary.checked++;
      if (!(await lock.tryAcquire(lockName, lockTtlMs))) {
        summary.pending++;
        return;
      }
      try {
        const outcome = await sender.resume([row]);
        await recordOutcome(row, outcome);
        summary[outcome.status]++;
      } finally {
        await releaseLock(lockName);
      }
    });
    if (summary.checked > 0) log.info({ ...summary }, "pending claims resumed");
    return summary;
  };

  return {
    relayClaim: (parameters) =>
      inSpan(
        "relayer.claim",
        {
          "commitment.id": String(parameters.commitmentId),
          "milestone.index": Number(parameters.milestoneIndex),
          "relayer.signatures": parameters.signatures.length,
        },
        async (span) => {
          const result = await relayClaim(parameters);
          span?.setAttributes({ "relayer.status": result.status, "relayer.submitted": result.submitted });
          if (result.txHash !== null) span?.setAttribute("tx.hash", result.txHash);
          return result;
        },
      ),
    resumePending: () => inSpan("relayer.resume", {}, () => resumePending()),
    close: async () => {
      await Promise.allSettled([...following]);
    },
  };
}
