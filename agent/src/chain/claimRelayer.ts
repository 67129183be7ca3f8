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
import { ContractRevertedError } from "./chainErrors.ts";
import { type HeldLease, keepRenewed, type Lock } from "./lock.ts";
import { mapBounded } from "./mapBounded.ts";
import type { ClaimRelayer, RelayClaimParameters, RelayClaimReturnType } from "./ports.ts";
import {
  claimRow,
  giveBackRows,
  type MilestoneRef,
  milestoneAuditor,
  noneResumed,
  type SettlementServiceParameters,
} from "./settlementRows.ts";
import { realSleep, type Sleep } from "./sleep.ts";
import type { ResumePendingResult, Submission, TransactionOutcome } from "./transactionTypes.ts";

/** The per-milestone claim lease's TTL by default (renewed while held). */
export const CLAIM_LEASE_TTL_MS = 30_000;

export interface CreateClaimRelayerParameters extends SettlementServiceParameters {
  metrics: Pick<Metrics, "claimsRelayed">;
  /** How long `relayClaim` waits for the receipt before answering `pending`. Default 20 000 ms. */
  responseWaitMs?: number;
  /**
   * The per-milestone lease, renewed while this relayer works on the milestone (sending, then following the
   * transaction), so a replica killed holding it blocks the milestone this long only. Default 30 s.
   */
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

/** What the relayer's steps share. */
interface RelayerContext {
  chainId: number;
  vault: Address;
  sender: CreateClaimRelayerParameters["sender"];
  store: Store;
  lock: Lock;
  log: Logger;
  metrics: CreateClaimRelayerParameters["metrics"];
  lockTtlMs: number;
  responseWaitMs: number;
  sleep: Sleep;
  audit: ReturnType<typeof milestoneAuditor>;
  /** Claims whose outcome is still being recorded (for `close`). */
  following: Set<Promise<unknown>>;
}

export function createClaimRelayer(parameters: CreateClaimRelayerParameters): CreateClaimRelayerReturnType {
  const { chainId, vault, sender, store, lock, logger, metrics } = parameters;
  const { responseWaitMs = 20_000, lockTtlMs = CLAIM_LEASE_TTL_MS, sleep = realSleep } = parameters;
  const { resumeLimit = 100, resumeConcurrency = 4 } = parameters;
  const log = logger.child({ component: "claimRelayer", chainId, vault });
  const audit = milestoneAuditor(parameters, "relayer");
  const r: RelayerContext = {
    ...{ chainId, vault, sender, store, lock, log, metrics, audit },
    ...{ lockTtlMs, responseWaitMs, sleep, following: new Set() },
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
          const result = await relayClaim(r, parameters);
          span?.setAttributes({ "relayer.status": result.status, "relayer.submitted": result.submitted });
          if (result.txHash !== null) span?.setAttribute("tx.hash", result.txHash);
          return result;
        },
      ),
    resumePending: () => inSpan("relayer.resume", {}, () => resumeClaims(r, resumeLimit, resumeConcurrency)),
    close: async () => {
      await Promise.allSettled([...r.following]);
    },
  };
}

const claimKey = (r: RelayerContext, m: MilestoneRef): ChainTransactionKey => ({
  chainId: r.chainId,
  vault: r.vault,
  kind: "claim",
  commitmentId: m.commitmentId,
  milestoneIndex: m.milestoneIndex,
});
const leaseName = (r: RelayerContext, m: MilestoneRef) =>
  `claim:${r.chainId}:${r.vault.toLowerCase()}:${m.commitmentId}:${m.milestoneIndex}`;

/** Takes the milestone's lease (null: another call holds it), renewed until released. */
async function takeLease(r: RelayerContext, name: string): Promise<HeldLease | null> {
  if (!(await r.lock.tryAcquire(name, r.lockTtlMs))) return null;
  return keepRenewed({ lock: r.lock, name, ttlMs: r.lockTtlMs, log: r.log });
}

async function recordOutcome(r: RelayerContext, row: MilestoneRef, outcome: TransactionOutcome) {
  if (outcome.status === "pending") return;
  if (outcome.status !== "confirmed") r.metrics.claimsRelayed.inc({ outcome: "failed" });
  await r.audit(`relayer.claim_${outcome.status}`, row, {
    txHash: outcome.txHash,
    blockNumber: outcome.blockNumber,
    error: outcome.error,
  });
}

/**
 * Records the outcome when it comes and then releases the lease (in the background); waits for it at most
 * `responseWaitMs` (null when it has not come by then).
 */
async function follow(
  r: RelayerContext,
  outcome: Promise<TransactionOutcome>,
  row: MilestoneRef,
  lease: HeldLease,
): Promise<TransactionOutcome | null> {
  const finished = outcome
    .then(async (result) => {
      await recordOutcome(r, row, result).catch((err: unknown) =>
        r.log.error({ err }, "auditing a claim failed"),
      );
      return result;
    })
    .finally(() => lease.release());
  r.following.add(finished);
  const forget = () => r.following.delete(finished);
  void finished.then(forget, forget);
  const stopWaiting = new AbortController();
  const result = await Promise.race([
    finished,
    r.sleep(r.responseWaitMs, stopWaiting.signal).then(() => null),
  ]);
  stopWaiting.abort();
  return result;
}

function parseClaim(parameters: RelayClaimParameters): z.output<typeof parametersSchema> {
  const parsed = parametersSchema.safeParse(parameters);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ValidationError({
    code: "invalid_claim",
    message: `Invalid claim: ${issue?.path.join(".") ?? "input"} ${issue?.message ?? ""}`.trim(),
    details: { field: String(issue?.path[0] ?? "") },
    cause: parsed.error,
  });
}

async function relayClaim(
  r: RelayerContext,
  parameters: RelayClaimParameters,
): Promise<RelayClaimReturnType> {
  const p = parseClaim(parameters);
  const milestone = { commitmentId: p.commitmentId, milestoneIndex: p.milestoneIndex };
  const key = claimKey(r, milestone);
  const lease = await takeLease(r, leaseName(r, milestone));
  if (lease === null) {
    // Another call (here or on another replica) is submitting this milestone right now.
    const existing = await r.store.chainTransactions.get(key);
    return { status: existing?.status ?? "pending", txHash: existing?.txHash ?? null, submitted: false };
  }
  let releaseOnReturn = true;
  try {
    const claimed = await claimRow(r.store.chainTransactions, key, {
      fromAddress: r.sender.address,
      details: { evidenceHash: p.evidenceHash, validUntil: p.validUntil },
    });
    const { record } = claimed;
    let row = claimed.row;
    if (row === null && record.status === "pending") {
      // This call holds the lease, so nobody follows this row: a crash or a receipt timeout left it behind.
      if (record.txHash === null) {
        row = record; // never signed: this call sends it
      } else {
        releaseOnReturn = false;
        const outcome = await follow(r, r.sender.resume([record]), record, lease);
        return {
          status: outcome?.status ?? "pending",
          txHash: outcome?.txHash ?? record.txHash,
          submitted: false,
        };
      }
    }
    if (row === null) return { status: record.status, txHash: record.txHash, submitted: false };
    let submission: Submission;
    try {
      submission = await submitClaim(r, p, row);
    } catch (error) {
      if (!(error instanceof AgentError && error.code === "transaction_taken")) throw error;
      const taken = await r.store.chainTransactions.get(key);
      return { status: taken?.status ?? "pending", txHash: taken?.txHash ?? null, submitted: false };
    }
    releaseOnReturn = false;
    const outcome = await follow(r, submission.outcome, row, lease);
    return {
      status: outcome?.status ?? "pending",
      txHash: outcome?.txHash ?? submission.txHash,
      submitted: true,
    };
  } finally {
    if (releaseOnReturn) await lease.release();
  }
}

/** Sends `claimMilestone` for the row (a refusal gives the row back, is counted and audited, and is thrown). */
async function submitClaim(
  r: RelayerContext,
  p: z.output<typeof parametersSchema>,
  row: ChainTransactionRecord,
): Promise<Submission> {
  let submission: Submission;
  try {
    submission = await r.sender.submit({
      to: r.vault,
      data: encodeFunctionData({
        abi: commitmentVaultAbi,
        functionName: "claimMilestone",
        args: [p.commitmentId, BigInt(p.milestoneIndex), p.evidenceHash, BigInt(p.validUntil), p.signatures],
      }),
      operation: "claimMilestone",
      rowIds: [row.id],
    });
  } catch (error) {
    // Another replica took the row over and signed it: it is that replica's now, never given back from here.
    if (error instanceof AgentError && error.code === "transaction_taken") throw error;
    const reason = error instanceof ContractRevertedError ? error.errorName : (error as Error).message;
    await giveBackRows(r.store.chainTransactions, [row], reason);
    r.metrics.claimsRelayed.inc({ outcome: "failed" });
    await r.audit("relayer.claim_rejected", p, {
      code: error instanceof AgentError ? error.code : "error",
      ...(error instanceof ContractRevertedError ? { errorName: error.errorName, args: error.args } : {}),
    });
    throw error;
  }
  r.metrics.claimsRelayed.inc({ outcome: "submitted" });
  await r.audit("relayer.claim_submitted", p, { txHash: submission.txHash, nonce: submission.nonce });
  return submission;
}

/** Pending claim rows no replica holds a lease on: checked, rebroadcast or bumped through `sender.resume`. */
async function resumeClaims(
  r: RelayerContext,
  limit: number,
  concurrency: number,
): Promise<ResumePendingResult> {
  const summary = noneResumed();
  const rows = await r.store.chainTransactions.listPending({
    chainId: r.chainId,
    vault: r.vault,
    kind: "claim",
    limit,
  });
  await mapBounded(rows, concurrency, async (row) => {
    summary.checked++;
    const lease = await takeLease(r, leaseName(r, row));
    if (lease === null) {
      summary.pending++;
      return;
    }
    try {
      const outcome = await r.sender.resume([row]);
      await recordOutcome(r, row, outcome);
      summary[outcome.status]++;
    } finally {
      await lease.release();
    }
  });
  if (summary.checked > 0) r.log.info({ ...summary }, "pending claims resumed");
  return summary;
}
