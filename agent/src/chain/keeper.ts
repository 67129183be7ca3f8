/**
 * The keeper slashes milestones whose claim deadline has passed, so beneficiaries get what was promised
 * without anyone having to call `slash` by hand.
 *
 * A run (single-flight across replicas through a `Lock`):
 * 1. scan: candidates from the cache (`listUnsettled`, bounded pages; Open milestones whose nominal deadline
 *    is behind the chain's latest timestamp), minus milestones with a pending or confirmed `chain_transactions`
 *    row, confirmed against the chain (state still Open and `claimDeadline` <= latest block timestamp, which
 *    accounts for pauses); at most `maxPerRun`;
 * 2. settle: batches of at most `maxPerTx` slashes in one `multicall` transaction each. A batch is simulated
 *    first; if it would revert (one milestone was claimed or slashed meanwhile), each item is simulated on its
 *    own and the failing ones are dropped, so one settled milestone never sinks the batch. The rows are
 *    inserted before sending (unique per milestone), so two keepers never send the same slash.
 * Each slash sent is counted (`slashesSent`) and written to the audit log, as is its outcome.
 */
import { type Address, encodeFunctionData, type Hex } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ChainTransactionKey, ChainTransactionRecord } from "../store/chainTransactionsRepository.ts";
import type { Store } from "../store/store.ts";
import { ContractRevertedError, toJsonSafe } from "./chainErrors.ts";
import type { Lock } from "./lock.ts";
import { createPollLoop, type PollLoop } from "./pollLoop.ts";
import type { Sleep } from "./sleep.ts";
import type { ResumePendingResult, TransactionOutcome, TransactionSender } from "./transactionSender.ts";
import type { ViemVaultReader } from "./vaultReader.ts";

export interface CreateKeeperParameters {
  chainId: number;
  vault: Address;
  reader: Pick<ViemVaultReader, "readMilestones" | "latestTimestamp" | "isPaused">;
  sender: TransactionSender;
  store: Store;
  lock: Lock;
  logger: Logger;
  metrics: Pick<Metrics, "slashesSent">;
  /** Slashes per transaction. Default 20. */
  maxPerTx?: number;
  /** Slashes per run. Default 200. */
  maxPerRun?: number;
  /** Cached commitments per scan page. Default 200. */
  scanPageSize?: number;
  /** Most scan pages per run. Default 50. */
  maxScanPages?: number;
  /** The run lease; renewed before each batch. Default 10 minutes (longer than a batch's receipt wait). */
  lockTtlMs?: number;
  sleep?: Sleep;
}

export interface DueMilestone {
  commitmentId: bigint;
  milestoneIndex: number;
  /** Unix seconds. */
  claimDeadline: number;
}

export interface DroppedMilestone {
  commitmentId: bigint;
  milestoneIndex: number;
  /** The decoded revert (`MilestoneNotOpen`, ...) or why it was not sent (`taken`: another sender has it). */
  reason: string;
}

export interface KeeperRunResult {
  /** Why nothing was done: another replica holds the lease, or the vault is paused. */
  skipped: "locked" | "paused" | null;
  /** Due milestones found by the scan. */
  due: number;
  /** Milestones whose slash was mined successfully. */
  slashed: number;
  /** Milestones sent but not (yet) confirmed: reverted, failed, or still pending. */
  unconfirmed: number;
  dropped: DroppedMilestone[];
  transactions: Hex[];
}

export interface Keeper {
  /** Acquires the lease, scans and settles. */
  runOnce(): Promise<KeeperRunResult>;
  /** Due milestones, confirmed on chain (no lease taken, nothing sent). */
  scan(): Promise<DueMilestone[]>;
  /** Sends the slashes for `milestones` in batches (no lease taken: the per-milestone rows still guard). */
  settle(milestones: readonly DueMilestone[]): Promise<KeeperRunResult>;
  /** At startup: follows slash transactions left pending (under the lease). */
  resumePending(): Promise<ResumePendingResult>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export type CreateKeeperReturnType = Keeper;

const OPEN = "Open";

function emptyResult(skipped: KeeperRunResult["skipped"] = null): KeeperRunResult {
  return { skipped, due: 0, slashed: 0, unconfirmed: 0, dropped: [], transactions: [] };
}

export function createKeeper({
  chainId,
  vault,
  reader,
  sender,
  store,
  lock,
  logger,
  metrics,
  maxPerTx = 20,
  maxPerRun = 200,
  scanPageSize = 200,
  maxScanPages = 50,
  lockTtlMs = 600_000,
  sleep,
}: CreateKeeperParameters): CreateKeeperReturnType {
  const log = logger.child({ component: "keeper", chainId, vault });
  const lockName = `keeper:${chainId}:${vault.toLowerCase()}`;
  let loop: PollLoop | undefined;

  const keyOf = (m: { commitmentId: bigint; milestoneIndex: number }): ChainTransactionKey => ({
    chainId,
    vault,
    kind: "slash",
    commitmentId: m.commitmentId,
    milestoneIndex: m.milestoneIndex,
  });
  const slashCall = (m: DueMilestone): Hex =>
    encodeFunctionData({
      abi: commitmentVaultAbi,
      functionName: "slash",
      args: [m.commitmentId, BigInt(m.milestoneIndex)],
    });
  const batchCall = (items: readonly DueMilestone[]): Hex =>
    encodeFunctionData({ abi: commitmentVaultAbi, functionName: "multicall", args: [items.map(slashCall)] });

  const audit = async (
    action: string,
    m: { commitmentId: bigint; milestoneIndex: number },
    details: Record<string, unknown>,
  ) => {
    await store.auditLog.append({
      actor: "keeper",
      action,
      subject: `commitment:${m.commitmentId}`,
      details: toJsonSafe({
        chainId,
        vault,
        commitmentId: m.commitmentId,
        milestoneIndex: m.milestoneIndex,
        from: sender.address,
        ...details,
      }) as Record<string, unknown>,
    });
  };

  const scan = async (): Promise<DueMilestone[]> => {
    const now = await reader.latestTimestamp();
    const candidates: { commitmentId: bigint; milestoneIndex: number }[] = [];
    let afterId: bigint | undefined;
    // Collect more than a run can send: some will be settled on chain already or taken by a pending row.
    const collectLimit = maxPerRun * 2;
    for (let page = 0; page < maxScanPages && candidates.length < collectLimit; page++) {
      const rows = await store.commitments.listUnsettled({
        chainId,
        vault,
        limit: scanPageSize,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      const last = rows.at(-1);
      if (last === undefined) break;
      afterId = last.commitmentId;
      const taken = new Set(
        (
          await store.chainTransactions.listForCommitments({
            chainId,
            vault,
            kind: "slash",
            commitmentIds: rows.map((row) => row.commitmentId),
          })
        )
          .filter((row) => row.status === "pending" || row.status === "confirmed")
          .map((row) => `${row.commitmentId}:${row.milestoneIndex}`),
      );
      for (const row of rows) {
        for (const [index, state] of row.milestoneStates.entries()) {
          // The nominal deadline is a lower bound (a pause only extends it), so later ones are not due.
          const nominalDeadline = row.start + (index + 1) * row.period + row.grace;
          if (state !== OPEN || nominalDeadline > now || taken.has(`${row.commitmentId}:${index}`)) continue;
          candidates.push({ commitmentId: row.commitmentId, milestoneIndex: index });
        }
      }
      if (rows.length < scanPageSize) break;
    }
    const statuses = await reader.readMilestones(candidates.slice(0, collectLimit));
    const due: DueMilestone[] = [];
    for (const [i, status] of statuses.entries()) {
      const candidate = candidates[i];
      if (candidate === undefined || status === null) continue;
      if (status.state !== OPEN || status.claimDeadline > now) continue;
      due.push({ ...candidate, claimDeadline: status.claimDeadline });
      if (due.length >= maxPerRun) break;
    }
    return due;
  };

  /** Items whose slash would succeed now: the batch when it simulates, else each one tried on its own. */
  const simulateBatch = async (items: readonly DueMilestone[], dropped: DroppedMilestone[]) => {
    try {
      await sender.simulate({ to: vault, data: batchCall(items), operation: "slash batch" });
      return [...items];
    } catch (error) {
      if (!(error instanceof ContractRevertedError)) throw error;
    }
    const passing: DueMilestone[] = [];
    for (const item of items) {
      try {
        await sender.simulate({ to: vault, data: slashCall(item), operation: "slash" });
        passing.push(item);
      } catch (error) {
        if (!(error instanceof ContractRevertedError)) throw error;
        dropped.push({
          commitmentId: item.commitmentId,
          milestoneIndex: item.milestoneIndex,
          reason: error.errorName,
        });
        log.info(
          {
            commitmentId: item.commitmentId.toString(),
            milestoneIndex: item.milestoneIndex,
            error: error.errorName,
          },
          "slash dropped: it would revert",
        );
      }
    }
    return passing;
  };

  /** Inserts (or reopens) each item's row; returns the items this keeper now owns, with their rows. */
  const claimRows = async (items: readonly DueMilestone[], dropped: DroppedMilestone[]) => {
    const owned: { item: DueMilestone; row: ChainTransactionRecord }[] = [];
    for (const item of items) {
      const { created, record } = await store.chainTransactions.insertIfAbsent({
        ...keyOf(item),
        fromAddress: sender.address,
        details: { claimDeadline: item.claimDeadline },
      });
      let row: ChainTransactionRecord | null = created ? record : null;
      // A slash that failed or reverted before may be sent again (the chain still says Open and due).
      if (!created && (record.status === "failed" || record.status === "reverted")) {
        row = await store.chainTransactions.reopen(keyOf(item));
      }
      if (row === null) {
        dropped.push({
          commitmentId: item.commitmentId,
          milestoneIndex: item.milestoneIndex,
          reason: "taken",
        });
        continue;
      }
      owned.push({ item, row });
    }
    return owned;
  };

  /** Gives back rows nothing was sent for (so a later run can try again). */
  const releaseRows = async (rows: readonly ChainTransactionRecord[], reason: string) => {
    for (const row of rows) {
      if (!(await store.chainTransactions.deleteUnsent(row.id))) {
        await store.chainTransactions.setStatus({ ids: [row.id], status: "failed", lastError: reason });
      }
    }
  };

  /** Counts and audits a final outcome (a still-pending one is audited when `resumePending` settles it). */
  const recordOutcome = async (items: readonly DueMilestone[], outcome: TransactionOutcome) => {
    if (outcome.status === "pending") return;
    if (outcome.status === "reverted" || outcome.status === "failed") {
      metrics.slashesSent.inc({ outcome: "failed" }, items.length);
    }
    for (const item of items) {
      await audit(`keeper.slash_${outcome.status}`, item, {
        txHash: outcome.txHash,
        blockNumber: outcome.blockNumber,
        error: outcome.error,
      });
    }
  };

  const settle = async (
    milestones: readonly DueMilestone[],
    renew: () => Promise<boolean> = async () => true,
  ): Promise<KeeperRunResult> => {
    const result = emptyResult();
    result.due = milestones.length;
    const capped = milestones.slice(0, maxPerRun);
    for (let offset = 0; offset < capped.length; offset += maxPerTx) {
      if (!(await renew())) {
        log.warn("keeper lease lost; stopping this run");
        break;
      }
      const batch = capped.slice(offset, offset + maxPerTx);
      const passing = await simulateBatch(batch, result.dropped);
      const owned = await claimRows(passing, result.dropped);
      if (owned.length === 0) continue;
      const items = owned.map(({ item }) => item);
      const rows = owned.map(({ row }) => row);
      let submission: Awaited<ReturnType<TransactionSender["submit"]>>;
      try {
        submission = await sender.submit({
          to: vault,
          data: items.length === 1 ? slashCall(items[0] as DueMilestone) : batchCall(items),
          operation: items.length === 1 ? "slash" : "slash batch",
          rowIds: rows.map((row) => row.id),
        });
      } catch (error) {
        if (error instanceof ContractRevertedError) {
          // Settled between the simulation and the send: give the rows back, the next run re-scans.
          await releaseRows(rows, error.errorName);
          for (const item of items) {
            result.dropped.push({ ...item, reason: error.errorName });
          }
          continue;
        }
        await releaseRows(rows, (error as Error).message);
        metrics.slashesSent.inc({ outcome: "failed" }, items.length);
        throw error;
      }
      metrics.slashesSent.inc({ outcome: "submitted" }, items.length);
      for (const item of items) {
        await audit("keeper.slash_submitted", item, { txHash: submission.txHash, nonce: submission.nonce });
      }
      result.transactions.push(submission.txHash);
      const outcome = await submission.outcome;
      await recordOutcome(items, outcome);
      if (outcome.status === "confirmed") result.slashed += items.length;
      else result.unconfirmed += items.length;
    }
    return result;
  };

  const withLease = async <T>(work: () => Promise<T>, skipped: () => T): Promise<T> => {
    if (!(await lock.tryAcquire(lockName, lockTtlMs))) return skipped();
    try {
      return await work();
    } finally {
      await lock
        .release(lockName)
        .catch((err: unknown) => log.warn({ err }, "releasing the keeper lease failed"));
    }
  };

  const runOnce = () =>
    withLease(
      async () => {
        if (await reader.isPaused()) return emptyResult("paused");
        const due = await scan();
        const result = await settle(due, () => lock.tryAcquire(lockName, lockTtlMs));
        if (result.transactions.length > 0 || result.dropped.length > 0) {
          log.info(
            {
              due: result.due,
              slashed: result.slashed,
              unconfirmed: result.unconfirmed,
              dropped: result.dropped.length,
              transactions: result.transactions.length,
            },
            "keeper run done",
          );
        }
        return result;
      },
      () => emptyResult("locked"),
    );

  const resumePending = () =>
    withLease(
      async () => {
        const summary: ResumePendingResult = { checked: 0, confirmed: 0, reverted: 0, failed: 0, pending: 0 };
        const rows = await store.chainTransactions.listPending({ chainId, vault, kind: "slash", limit: 500 });
        // A batch is one transaction for several rows: resume each transaction once.
        const byTransaction = new Map<string, ChainTransactionRecord[]>();
        for (const row of rows) {
          const group = row.txHash ?? `unsent:${row.id}`;
          byTransaction.set(group, [...(byTransaction.get(group) ?? []), row]);
        }
        for (const group of byTransaction.values()) {
          const outcome = await sender.resume(group);
          const items = group.map((row) => ({
            commitmentId: row.commitmentId,
            milestoneIndex: row.milestoneIndex,
            claimDeadline: 0,
          }));
          await recordOutcome(items, outcome);
          summary.checked += group.length;
          summary[outcome.status] += group.length;
        }
        return summary;
      },
      () => ({ checked: 0, confirmed: 0, reverted: 0, failed: 0, pending: 0 }),
    );

  return {
    runOnce,
    scan,
    settle: (milestones) => settle(milestones),
    resumePending,
    start(intervalMs) {
      if (loop !== undefined) return;
      loop = createPollLoop({
        name: "keeper",
        intervalMs,
        logger: log,
        run: async () => {
          const result = await runOnce();
          // A full run means more may be due.
          return { again: result.due >= maxPerRun && result.slashed > 0 };
        },
        ...(sleep !== undefined ? { sleep } : {}),
      });
      loop.start();
    },
    async stop() {
      const current = loop;
      loop = undefined;
      await current?.stop();
    },
  };
}
