/**
 * The keeper slashes milestones whose claim deadline has passed, so beneficiaries get what was promised
 * without anyone having to call `slash` by hand.
 *
 * A run (single-flight across replicas through a `Lock`):
 * 1. scan: candidates from the cache (`listUnsettled`, bounded pages; Open milestones whose nominal deadline
 *    is behind the chain's latest timestamp), minus milestones with a pending or confirmed `chain_transactions`
 *    row, confirmed against the chain (state still Open and `claimDeadline` <= latest block timestamp, which
 *    accounts for pauses); at most `maxPerRun`;
 * 2. settle: batches of at most `maxPerTx` slashes in one transaction each. With Multicall3 on the chain
 *    (`multicall3`), a batch is one `aggregate3` with `allowFailure` on every slash: its simulation says which
 *    items would fail (they are dropped before sending), and an item settled by someone else between the
 *    simulation and the block (another keeper's batch, the owner's late claim or appeal) fails alone while the
 *    rest are slashed; the receipt's `MilestoneSlashed` events tell which items took effect. Without Multicall3
 *    a batch is the vault's own `multicall` (all or nothing): it is simulated right before sending and, if it
 *    would revert, each item is simulated on its own and the failing ones are dropped. The rows are inserted
 *    before sending (unique per milestone), so two keepers sharing a store never send the same slash.
 *    Only `Open` milestones are candidates: an `Appealed` one (its slash reverts) is never sent, nor one `withhold`
 *    answers true for (this agent attested it or its store says it was met: services/autoSettle.ts claims those
 *    before their deadline, and the owner may still appeal).
 * Each slash sent is counted (`slashesSent`) and written to the audit log, as is its outcome.
 */
import {
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  type Log,
  parseEventLogs,
} from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ChainTransactionKey, ChainTransactionRecord } from "../store/chainTransactionsRepository.ts";
import type { Store } from "../store/store.ts";
import { ContractRevertedError } from "./chainErrors.ts";
import { createLeasedTask } from "./leasedTask.ts";
import { withLease } from "./lock.ts";
import { decodeAggregate3, encodeAggregate3 } from "./multicall3.ts";
import {
  claimRow,
  giveBackRows,
  type MilestoneRef,
  milestoneAuditor,
  milestoneKey,
  noneResumed,
  pendingRows,
  type SettlementServiceParameters,
} from "./settlementRows.ts";
import type { Sleep } from "./sleep.ts";
import type { ResumePendingResult, Submission, TransactionOutcome } from "./transactionTypes.ts";
import { createScanCursor, type ScanCursor, unsettledPages } from "./unsettledScan.ts";
import type { ViemVaultReader } from "./vaultReader.ts";

export interface CreateKeeperParameters extends SettlementServiceParameters {
  reader: Pick<ViemVaultReader, "readMilestones" | "latestTimestamp" | "isPaused">;
  metrics: Pick<Metrics, "slashesSent">;
  /**
   * Multicall3 on this chain (`MULTICALL3_ADDRESS` where deployed): batches go through its `aggregate3` with
   * `allowFailure`, so one front-run item never sinks a batch. Absent: the vault's all-or-nothing `multicall`.
   */
  multicall3?: Address;
  /** True for a due milestone this agent must not slash (it holds an attestation for it). Default: none. */
  withhold?: (milestone: { commitmentId: bigint; milestoneIndex: number }) => Promise<boolean>;
  /** Slashes per transaction. Default 20. */
  maxPerTx?: number;
  /** Slashes per run. Default 200. */
  maxPerRun?: number;
  /** Cached commitments per scan page. Default 200. */
  scanPageSize?: number;
  /** Most scan pages per run. Default 50. */
  maxScanPages?: number;
  /** The run lease; renewed while the run lasts (`withLease`) and before each batch. Default 30 s. */
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
  /**
   * The decoded revert (`MilestoneNotOpen`, ...), why it was not sent (`taken`: another sender has it), or
   * `settled_meanwhile`: sent in a batch that was mined, but settled by another transaction first.
   */
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

/** Why a batched slash that was mined did not take effect: another transaction settled the milestone first. */
export const SETTLED_MEANWHILE = "settled_meanwhile";

/** A custom error's name from revert data (`unknown` when it is not one of the vault's). */
function revertName(data: Hex): string {
  try {
    return decodeErrorResult({ abi: commitmentVaultAbi, data }).errorName;
  } catch {
    return "unknown";
  }
}

function emptyResult(skipped: KeeperRunResult["skipped"] = null): KeeperRunResult {
  return { skipped, due: 0, slashed: 0, unconfirmed: 0, dropped: [], transactions: [] };
}

/** What the keeper's steps share. */
interface KeeperContext {
  chainId: number;
  vault: Address;
  reader: CreateKeeperParameters["reader"];
  sender: CreateKeeperParameters["sender"];
  store: Store;
  log: Logger;
  metrics: CreateKeeperParameters["metrics"];
  multicall3: Address | undefined;
  withhold: CreateKeeperParameters["withhold"];
  maxPerTx: number;
  maxPerRun: number;
  scanPageSize: number;
  maxScanPages: number;
  /** Where the next scan starts: after the last milestone this one looked at (see `unsettledScan.ts`). */
  cursor: ScanCursor;
  audit: ReturnType<typeof milestoneAuditor>;
}

export function createKeeper(parameters: CreateKeeperParameters): CreateKeeperReturnType {
  const { chainId, vault, reader, sender, store, lock, logger, lockTtlMs = 30_000, sleep } = parameters;
  const { metrics, multicall3, withhold, maxPerTx = 20, maxPerRun = 200 } = parameters;
  const { scanPageSize = 200, maxScanPages = 50 } = parameters;
  const log = logger.child({ component: "keeper", chainId, vault });
  const audit = milestoneAuditor(parameters, "keeper");
  const k: KeeperContext = {
    ...{ chainId, vault, reader, sender, store, log, metrics, multicall3, withhold, audit },
    ...{ maxPerTx, maxPerRun, scanPageSize, maxScanPages, cursor: createScanCursor() },
  };
  const lease = { lock, name: `keeper:${chainId}:${vault.toLowerCase()}`, ttlMs: lockTtlMs, log };

  const task = createLeasedTask({
    name: "keeper",
    lease,
    work: async () => {
      if (await reader.isPaused()) return emptyResult("paused");
      const result = await settle(k, await scan(k), () => lock.tryAcquire(lease.name, lockTtlMs));
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
    skipped: () => emptyResult("locked"),
    // A full run means more may be due.
    again: (result) => result.due >= maxPerRun && result.slashed > 0,
    sleep,
  });

  return {
    runOnce: task.runOnce,
    scan: () => scan(k),
    settle: (milestones) => settle(k, milestones),
    resumePending: () => withLease(lease, () => resumeSlashes(k), noneResumed),
    start: task.start,
    stop: task.stop,
  };
}

const slashCall = (m: MilestoneRef): Hex =>
  encodeFunctionData({
    abi: commitmentVaultAbi,
    functionName: "slash",
    args: [m.commitmentId, BigInt(m.milestoneIndex)],
  });
const vaultBatchCall = (items: readonly DueMilestone[]): Hex =>
  encodeFunctionData({ abi: commitmentVaultAbi, functionName: "multicall", args: [items.map(slashCall)] });
const aggregateCall = (vault: Address, items: readonly DueMilestone[]): Hex =>
  encodeAggregate3(items.map((item) => ({ target: vault, callData: slashCall(item) })));

/** The transaction that slashes `items`: one slash alone, else a batch (through Multicall3 when there is one). */
function requestFor(
  k: Pick<KeeperContext, "vault" | "multicall3">,
  items: readonly DueMilestone[],
): { to: Address; data: Hex; operation: string } {
  if (items.length === 1)
    return { to: k.vault, data: slashCall(items[0] as DueMilestone), operation: "slash" };
  if (k.multicall3 !== undefined)
    return { to: k.multicall3, data: aggregateCall(k.vault, items), operation: "slash batch" };
  return { to: k.vault, data: vaultBatchCall(items), operation: "slash batch" };
}

/** The items a mined transaction slashed, from its `MilestoneSlashed` events. */
function slashedBy(vault: Address, logs: readonly Log[]): Set<string> {
  return new Set(
    parseEventLogs({
      abi: commitmentVaultAbi,
      logs: logs.filter((log) => log.address.toLowerCase() === vault.toLowerCase()) as Log[],
      eventName: "MilestoneSlashed",
    }).map((log) => `${log.args.id}:${log.args.index}`),
  );
}

function dropItem(
  k: Pick<KeeperContext, "log">,
  dropped: DroppedMilestone[],
  item: MilestoneRef,
  reason: string,
) {
  dropped.push({ commitmentId: item.commitmentId, milestoneIndex: item.milestoneIndex, reason });
  k.log.info(
    { commitmentId: item.commitmentId.toString(), milestoneIndex: item.milestoneIndex, reason },
    "slash dropped",
  );
}

/**
 * Due milestones: Open in the cache and nominally due, not taken, then confirmed on chain; at most `maxPerRun`.
 * Starts where the last scan stopped (`k.cursor`), so milestones withheld run after run (met, never claimed)
 * cannot keep the budget from the commitments after them.
 */
async function scan(k: KeeperContext): Promise<DueMilestone[]> {
  const now = await k.reader.latestTimestamp();
  const candidates: MilestoneRef[] = [];
  // Collect more than a run can send: some will be settled on chain already or taken by a pending row.
  const collectLimit = k.maxPerRun * 2;
  for await (const { rows, taken } of unsettledPages(k.store, k, "slash", k, k.cursor)) {
    for (const row of rows) {
      for (const [index, state] of row.milestoneStates.entries()) {
        // The nominal deadline is a lower bound (a pause only extends it), so later ones are not due.
        const nominalDeadline = row.start + (index + 1) * row.period + row.grace;
        const candidate = { commitmentId: row.commitmentId, milestoneIndex: index };
        if (state !== OPEN || nominalDeadline > now || taken.has(milestoneKey(candidate))) continue;
        candidates.push(candidate);
      }
    }
    const last = rows.at(-1);
    if (candidates.length >= collectLimit && last !== undefined) {
      // The next scan starts with the first candidate this one leaves out (or after this page).
      k.cursor.stopBefore(candidates[collectLimit]?.commitmentId ?? last.commitmentId + 1n);
      break;
    }
  }
  const statuses = await k.reader.readMilestones(candidates.slice(0, collectLimit));
  const due: DueMilestone[] = [];
  for (const [i, status] of statuses.entries()) {
    const candidate = candidates[i];
    if (candidate === undefined || status === null) continue;
    if (status.state !== OPEN || status.claimDeadline > now) continue;
    if (k.withhold !== undefined && (await k.withhold(candidate))) {
      k.log.info(
        { commitmentId: candidate.commitmentId.toString(), milestoneIndex: candidate.milestoneIndex },
        "slash withheld: this agent attested the milestone or its requirement was met",
      );
      continue;
    }
    due.push({ ...candidate, claimDeadline: status.claimDeadline });
    if (due.length >= k.maxPerRun) {
      const next = candidates[i + 1];
      if (next !== undefined) k.cursor.stopBefore(next.commitmentId);
      break;
    }
  }
  return due;
}

/** Items whose slash would succeed now, by one `aggregate3` simulation through Multicall3. */
async function simulateAggregate(
  k: KeeperContext,
  target: Address,
  items: readonly DueMilestone[],
  dropped: DroppedMilestone[],
): Promise<DueMilestone[]> {
  const { returnData } = await k.sender.simulate({
    to: target,
    data: aggregateCall(k.vault, items),
    operation: "slash batch",
  });
  const results = decodeAggregate3(returnData);
  const passing: DueMilestone[] = [];
  for (const [i, item] of items.entries()) {
    const result = results[i];
    if (result?.success === true) passing.push(item);
    else dropItem(k, dropped, item, result === undefined ? "unknown" : revertName(result.returnData));
  }
  return passing;
}

/** Items whose slash would succeed now: the batch when it simulates, else each one tried on its own. */
async function simulateBatch(k: KeeperContext, items: readonly DueMilestone[], dropped: DroppedMilestone[]) {
  if (k.multicall3 !== undefined && items.length > 1)
    return simulateAggregate(k, k.multicall3, items, dropped);
  try {
    await k.sender.simulate({
      to: k.vault,
      data: items.length === 1 ? slashCall(items[0] as DueMilestone) : vaultBatchCall(items),
      operation: "slash batch",
    });
    return [...items];
  } catch (error) {
    if (!(error instanceof ContractRevertedError)) throw error;
  }
  const passing: DueMilestone[] = [];
  for (const item of items) {
    try {
      await k.sender.simulate({ to: k.vault, data: slashCall(item), operation: "slash" });
      passing.push(item);
    } catch (error) {
      if (!(error instanceof ContractRevertedError)) throw error;
      dropItem(k, dropped, item, error.errorName);
    }
  }
  return passing;
}

/** Inserts (or reopens) each item's row; returns the items this keeper now owns, with their rows. */
async function claimRows(k: KeeperContext, items: readonly DueMilestone[], dropped: DroppedMilestone[]) {
  const owned: { item: DueMilestone; row: ChainTransactionRecord }[] = [];
  for (const item of items) {
    // A slash that failed or reverted before may be sent again (the chain still says Open and due).
    const { row } = await claimRow(k.store.chainTransactions, slashKey(k, item), {
      fromAddress: k.sender.address,
      details: { claimDeadline: item.claimDeadline },
    });
    if (row === null) {
      dropped.push({ commitmentId: item.commitmentId, milestoneIndex: item.milestoneIndex, reason: "taken" });
      continue;
    }
    owned.push({ item, row });
  }
  return owned;
}

const slashKey = (k: Pick<KeeperContext, "chainId" | "vault">, m: MilestoneRef): ChainTransactionKey => ({
  chainId: k.chainId,
  vault: k.vault,
  kind: "slash",
  commitmentId: m.commitmentId,
  milestoneIndex: m.milestoneIndex,
});

/**
 * Counts and audits a final outcome (a still-pending one is audited when `resumePending` settles it). A mined
 * batch may hold items another transaction settled first (their `aggregate3` call failed alone): the receipt
 * has no `MilestoneSlashed` for them, so their rows become `failed` (`settled_meanwhile`) and they are
 * returned as `missed`, never counted as slashed by this keeper.
 */
async function recordOutcome(
  k: KeeperContext,
  sent: readonly { item: MilestoneRef; rowId: string }[],
  outcome: TransactionOutcome,
): Promise<{ applied: MilestoneRef[]; missed: MilestoneRef[] }> {
  if (outcome.status === "pending") return { applied: [], missed: [] };
  if (outcome.status === "reverted" || outcome.status === "failed") {
    k.metrics.slashesSent.inc({ outcome: "failed" }, sent.length);
  }
  const slashed =
    outcome.status === "confirmed" && outcome.logs !== undefined ? slashedBy(k.vault, outcome.logs) : null;
  const missed = slashed === null ? [] : sent.filter(({ item }) => !slashed.has(milestoneKey(item)));
  if (missed.length > 0) {
    await k.store.chainTransactions.setStatus({
      ids: missed.map(({ rowId }) => rowId),
      status: "failed",
      lastError: SETTLED_MEANWHILE,
    });
    k.metrics.slashesSent.inc({ outcome: SETTLED_MEANWHILE }, missed.length);
  }
  const missedKeys = new Set(missed.map(({ item }) => milestoneKey(item)));
  for (const { item } of sent) {
    const action = missedKeys.has(milestoneKey(item)) ? SETTLED_MEANWHILE : outcome.status;
    await k.audit(`keeper.slash_${action}`, item, {
      txHash: outcome.txHash,
      blockNumber: outcome.blockNumber,
      error: outcome.error,
    });
  }
  return {
    applied: sent.filter(({ item }) => !missedKeys.has(milestoneKey(item))).map(({ item }) => item),
    missed: missed.map(({ item }) => item),
  };
}

/** Sends the slashes in batches of `maxPerTx` (at most `maxPerRun`), renewing the lease before each. */
async function settle(
  k: KeeperContext,
  milestones: readonly DueMilestone[],
  renew: () => Promise<boolean> = async () => true,
): Promise<KeeperRunResult> {
  const result = emptyResult();
  result.due = milestones.length;
  const capped = milestones.slice(0, k.maxPerRun);
  for (let offset = 0; offset < capped.length; offset += k.maxPerTx) {
    if (!(await renew())) {
      k.log.warn("keeper lease lost; stopping this run");
      break;
    }
    await sendBatch(k, capped.slice(offset, offset + k.maxPerTx), result);
  }
  return result;
}

/** One batch: simulate, claim the rows, send, wait for the outcome and record it into `result`. */
async function sendBatch(k: KeeperContext, batch: readonly DueMilestone[], result: KeeperRunResult) {
  const passing = await simulateBatch(k, batch, result.dropped);
  const owned = await claimRows(k, passing, result.dropped);
  if (owned.length === 0) return;
  const items = owned.map(({ item }) => item);
  const rows = owned.map(({ row }) => row);
  let submission: Submission;
  try {
    submission = await k.sender.submit({ ...requestFor(k, items), rowIds: rows.map((row) => row.id) });
  } catch (error) {
    if (error instanceof ContractRevertedError) {
      // Settled between the simulation and the send: give the rows back, the next run re-scans.
      await giveBackRows(k.store.chainTransactions, rows, error.errorName);
      for (const item of items) result.dropped.push({ ...item, reason: error.errorName });
      return;
    }
    await giveBackRows(k.store.chainTransactions, rows, (error as Error).message);
    k.metrics.slashesSent.inc({ outcome: "failed" }, items.length);
    throw error;
  }
  k.metrics.slashesSent.inc({ outcome: "submitted" }, items.length);
  for (const item of items) {
    await k.audit("keeper.slash_submitted", item, { txHash: submission.txHash, nonce: submission.nonce });
  }
  result.transactions.push(submission.txHash);
  const outcome = await submission.outcome;
  const { applied, missed } = await recordOutcome(
    k,
    owned.map(({ item, row }) => ({ item, rowId: row.id })),
    outcome,
  );
  for (const item of missed) dropItem(k, result.dropped, item, SETTLED_MEANWHILE);
  if (outcome.status === "confirmed") result.slashed += applied.length;
  else result.unconfirmed += items.length;
}

/** Follows slash transactions left pending; a batch is one transaction for several rows, resumed once. */
async function resumeSlashes(k: KeeperContext): Promise<ResumePendingResult> {
  const summary = noneResumed();
  const rows = await pendingRows(k.store, k, "slash");
  const byTransaction = new Map<string, ChainTransactionRecord[]>();
  for (const row of rows) {
    const group = row.txHash ?? `unsent:${row.id}`;
    byTransaction.set(group, [...(byTransaction.get(group) ?? []), row]);
  }
  for (const group of byTransaction.values()) {
    const outcome = await k.sender.resume(group);
    const sent = group.map((row) => ({
      item: { commitmentId: row.commitmentId, milestoneIndex: row.milestoneIndex },
      rowId: row.id,
    }));
    const { missed } = await recordOutcome(k, sent, outcome);
    summary.checked += group.length;
    summary[outcome.status] += group.length - missed.length;
    summary.failed += missed.length;
  }
  return summary;
}
